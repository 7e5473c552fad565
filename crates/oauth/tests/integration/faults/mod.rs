//! Faults injected into the demo provider, and survived. Each test arms one fault and checks
//! four things: the typed error the core returns; showing no token in `Display` or `Debug`
//! (neither the connection's own nor the random ones of faulty bodies, which the provider
//! reports, nor anything token-shaped); nothing half-stored (the store holds the
//! previous good tokens, or nothing for a first connection, or nothing at all once the grant
//! is dead); and a retry that works once the fault is gone.

mod connect;
mod discovery;
mod endpoints;
mod refresh;
mod resources;
mod unreachable;

use std::sync::Arc;
use std::time::Duration;

use photolink_demo_provider::{Config, ProviderHandle};
use photolink_oauth::{
    ClientConfig, Error, OAuthClient, RetryPolicy, Session, SessionStatus, TokenSet,
};

use crate::support::mock::config;
use crate::support::provider::{Connected, client_with, start};
use crate::support::store::TokenStoreDouble;

/// The client timeout in fault tests: a hanging server fails the request after this long.
pub const TIMEOUT: Duration = Duration::from_secs(1);

/// The test client with short waits: a [`TIMEOUT`] for every request, and resource retries
/// after 10 ms and 20 ms that wait at most 2 s for a `Retry-After`.
pub fn fault_config() -> ClientConfig {
    let mut config = config();
    config.http.timeout = TIMEOUT;
    config.http.resource_retry = RetryPolicy {
        max_retries: 2,
        first_backoff: Duration::from_millis(10),
        max_wait: Duration::from_secs(2),
    };
    config
}

/// A running provider and a session that has not connected yet, over a store that can be
/// told to fail.
pub struct SignedOut {
    pub provider: ProviderHandle,
    pub client: OAuthClient,
    pub store: Arc<TokenStoreDouble>,
    pub session: Session,
}

/// Starts a provider with `provider_config` and a session with `client_config` that
/// discovered it and holds no tokens.
pub async fn signed_out(provider_config: Config, client_config: ClientConfig) -> SignedOut {
    let provider = start(provider_config).await;
    let client = client_with(&provider, client_config).await;
    let store = Arc::new(TokenStoreDouble::default());
    let session = Session::new(client.clone(), store.clone()).unwrap();
    SignedOut {
        provider,
        client,
        store,
        session,
    }
}

/// How many times `provider` has served the fault named `fault`.
pub fn served(provider: &ProviderHandle, fault: &str) -> u64 {
    provider
        .stats()
        .faults_served
        .get(fault)
        .copied()
        .unwrap_or(0)
}

/// The `detail` of an [`Error::UnexpectedResponse`] for a 200 answer.
#[track_caller]
pub fn detail_of_200(error: &Error) -> String {
    match error {
        Error::UnexpectedResponse {
            status: 200,
            detail,
            retry_after: None,
        } => detail.to_string(),
        other => panic!("expected an unusable 200 answer, got {other:?}"),
    }
}

/// Asserts that `held` are the `good` tokens: the same access and refresh token.
#[track_caller]
pub fn assert_same_tokens(held: &TokenSet, good: &TokenSet) {
    assert_eq!(
        held.access_token.secret(),
        good.access_token.secret(),
        "the access token is kept"
    );
    assert_eq!(
        held.refresh_token.as_ref().map(|t| t.secret()),
        good.refresh_token.as_ref().map(|t| t.secret()),
        "the refresh token is kept"
    );
}

/// Asserts that `session`'s connection outlived `error`: the error shows no token (neither
/// `good`'s nor any `connected`'s provider served), the session is still connected, and the
/// store still holds `good`.
#[track_caller]
pub fn assert_connection_kept(
    error: &Error,
    connected: &Connected,
    session: &Session,
    good: &TokenSet,
) {
    assert_shows_no_served_token(
        error,
        &connected.provider,
        &[
            good.access_token.secret(),
            good.refresh_token.as_ref().unwrap().secret(),
        ],
    );
    assert_eq!(
        session.status(),
        SessionStatus::Connected,
        "a failure that is not the grant's is not a lost connection"
    );
    assert_same_tokens(&connected.saved(), good);
}

/// Clears the faults and asserts that the photo list then arrives.
pub async fn assert_photos_arrive_once_cleared(connected: &Connected) {
    connected.provider.clear_faults();
    let photos = connected
        .get_photos()
        .await
        .expect("the photos arrive once the fault is gone");
    assert_eq!(photos.status, 200);
}

/// Asserts that `error` shows no token: none of `known`, none of the random tokens
/// `provider`'s faulty bodies carried, nothing token-shaped.
#[track_caller]
pub fn assert_shows_no_served_token(error: &Error, provider: &ProviderHandle, known: &[&str]) {
    let served = provider.fake_tokens_served();
    let mut shown_nowhere: Vec<&str> = served.iter().map(String::as_str).collect();
    shown_nowhere.extend(known);
    assert_shows_no_token(error, &shown_nowhere);
}

/// Asserts that neither `Display` nor `Debug` of `error` shows a token: none of `known`, and
/// no run of 32 or more base64url characters, the shape of every token and code the provider
/// issues and of the random tokens in its faulty bodies.
#[track_caller]
pub fn assert_shows_no_token(error: &Error, known: &[&str]) {
    let shown = format!("{error} | {error:?}");
    for token in known {
        assert!(!shown.contains(token), "a known token is shown: {shown}");
    }
    let longest_run = shown
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest_run < 32, "a token-shaped value is shown: {shown}");
}

#[test]
#[should_panic(expected = "a token-shaped value is shown")]
fn the_token_check_finds_an_unknown_token_shaped_value() {
    let error = Error::IssuerMismatch {
        expected: photolink_oauth::CleanText::configured(
            "answer was access_token=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4MTIzNDU2",
        ),
        found: None,
    };
    assert_shows_no_token(&error, &[]);
}

#[test]
#[should_panic(expected = "a known token is shown")]
fn the_token_check_finds_a_known_token() {
    let error = Error::IssuerMismatch {
        expected: photolink_oauth::CleanText::configured("got at-1"),
        found: None,
    };
    assert_shows_no_token(&error, &["at-1"]);
}
