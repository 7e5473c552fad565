//! The refresh failing. While the access token is still valid it keeps being used; once it
//! has expired the error is clear. Either way the store keeps the previous tokens, and a
//! refresh works once the fault is gone. A refresh whose answer is lost after the provider
//! rotated the token meets its reuse detection: the store is emptied and connecting again
//! works.

use std::time::{Duration, Instant, SystemTime};

use photolink_demo_provider::{Config, Fault};
use photolink_oauth::{Error, NetworkFailure, Persistence, SessionStatus, TokenStore};

use super::{
    TIMEOUT, assert_connection_kept, assert_same_tokens, assert_shows_no_token, detail_of_200,
    fault_config,
};
use crate::support::provider::{Connected, connected_with, expire_locally, sign_in};

/// Rewrites the saved tokens so the access token is still valid but due for a refresh
/// (it expires within the refresh skew).
fn expire_soon(connected: &Connected) {
    let mut tokens = connected.saved();
    let now = SystemTime::now();
    tokens.received_at = now - Duration::from_secs(3600);
    tokens.expires_at = Some(now + Duration::from_secs(30));
    connected.store.save(&tokens).unwrap();
}

/// Refreshes while `fault` answers every token request: first with a still-valid access
/// token, which keeps being used, then with an expired one, which fails. Checks that the
/// store keeps the good tokens throughout, that the error shows none of them, and that a
/// refresh works once the fault is gone; returns the error.
async fn refresh_with(fault: Fault) -> Error {
    let connected = connected_with(Config::default(), fault_config()).await;
    let good = connected.saved();
    let name = fault.name();
    connected
        .provider
        .set_faults([fault.until_cleared()])
        .unwrap();

    expire_soon(&connected);
    let session = connected.restarted_session();
    let photos = session
        .authorized_get(&connected.photos_url())
        .await
        .expect("the still-valid access token is used");
    assert_eq!(photos.status, 200);
    assert_same_tokens(&connected.saved(), &good);

    expire_locally(&connected);
    let session = connected.restarted_session();
    let error = session
        .authorized_get(&connected.photos_url())
        .await
        .unwrap_err();
    assert_connection_kept(&error, &connected, &session, &good);
    assert_eq!(session.persistence(), Persistence::Saved);
    let stats = connected.provider.stats();
    assert_eq!(stats.faults_served.get(name), Some(&2), "one per phase");
    assert_eq!(stats.refresh_grants, 0);

    connected.provider.clear_faults();
    session
        .authorized_get(&connected.photos_url())
        .await
        .expect("a refresh works once the fault is gone");
    let stats = connected.provider.stats();
    assert_eq!(stats.refresh_grants, 1);
    assert_eq!(stats.refresh_reuse_detected, 0);
    assert_ne!(
        connected.saved().refresh_token.unwrap().secret(),
        good.refresh_token.unwrap().secret(),
        "the rotated refresh token is saved"
    );
    error
}

#[tokio::test]
async fn a_refresh_answered_500_keeps_the_tokens() {
    let error = refresh_with(Fault::TokenServerError {
        status: 500,
        retry_after: None,
    })
    .await;
    assert!(
        matches!(error, Error::Token { status: 500, .. }),
        "{error:?}"
    );
    assert!(error.is_transient());
}

#[tokio::test]
async fn a_refresh_answered_503_keeps_the_tokens_and_says_when_to_try_again() {
    let error = refresh_with(Fault::TokenServerError {
        status: 503,
        retry_after: Some(5),
    })
    .await;
    assert!(
        matches!(error, Error::Token { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(5)));
}

#[tokio::test]
async fn a_refresh_whose_connection_is_closed_keeps_the_tokens() {
    let error = refresh_with(Fault::TokenConnectionClosed).await;
    assert!(matches!(error, Error::Network(_)), "{error:?}");
}

#[tokio::test]
async fn a_hanging_refresh_times_out_and_keeps_the_tokens() {
    let started = Instant::now();
    let error = refresh_with(Fault::TokenHang).await;
    assert!(
        matches!(&error, Error::Network(NetworkFailure::TimedOut)),
        "{error:?}"
    );
    assert!(started.elapsed() >= 2 * TIMEOUT, "both phases timed out");
}

#[tokio::test]
async fn a_refresh_answered_with_a_web_page_keeps_the_tokens() {
    let error = refresh_with(Fault::TokenHtml).await;
    assert_eq!(detail_of_200(&error), "a web page");
}

#[tokio::test]
async fn a_refresh_answered_with_truncated_json_keeps_the_tokens() {
    let error = refresh_with(Fault::TokenTruncatedJson).await;
    assert!(detail_of_200(&error).contains("cut off"), "{error}");
}

#[tokio::test]
async fn a_refresh_answered_without_an_access_token_keeps_the_tokens() {
    let error = refresh_with(Fault::TokenWithoutAccessToken).await;
    assert_eq!(detail_of_200(&error), "no access_token in the answer");
}

#[tokio::test]
async fn a_refresh_answered_with_another_token_type_keeps_the_tokens() {
    let error = refresh_with(Fault::TokenTypeNotBearer).await;
    assert_eq!(detail_of_200(&error), r#"an unsupported token type "mac""#);
}

#[tokio::test]
async fn a_refresh_answered_with_50_mb_keeps_the_tokens() {
    let error = refresh_with(Fault::TokenHugeBody).await;
    assert!(matches!(error, Error::ResponseTooLarge { .. }), "{error:?}");
}

#[tokio::test]
async fn a_refresh_answered_form_encoded_keeps_the_tokens_and_shows_none() {
    let error = refresh_with(Fault::TokenFormEncoded).await;
    assert_eq!(detail_of_200(&error), "a form-encoded body");
}

#[tokio::test]
async fn a_refresh_whose_answer_is_lost_meets_reuse_detection_and_asks_to_connect_again() {
    let connected = connected_with(Config::default(), fault_config()).await;
    let good = connected.saved();
    let known = [
        good.access_token.secret(),
        good.refresh_token.as_ref().unwrap().secret(),
    ];
    connected
        .provider
        .set_faults([Fault::TokenAnswerLost.times(1)])
        .unwrap();
    expire_locally(&connected);
    let session = connected.restarted_session();

    let error = session.access_token().await.unwrap_err();
    assert!(matches!(error, Error::Network(_)), "{error:?}");
    assert_shows_no_token(&error, &known);
    assert_eq!(session.status(), SessionStatus::Connected);
    assert_same_tokens(&connected.saved(), &good);
    let stats = connected.provider.stats();
    assert_eq!(stats.faults_served.get("token_answer_lost"), Some(&1));
    assert_eq!(stats.refresh_grants, 1, "the provider rotated the token");

    // The retry presents the refresh token the lost answer retired: the provider takes it for
    // a stolen copy and ends the grant.
    let error = session.access_token().await.unwrap_err();
    assert!(matches!(error, Error::ReconnectNeeded), "{error:?}");
    assert_shows_no_token(&error, &known);
    assert_eq!(session.status(), SessionStatus::ReconnectNeeded);
    assert!(
        connected.store.load().unwrap().is_none(),
        "nothing stale is kept"
    );
    let stats = connected.provider.stats();
    assert_eq!(stats.refresh_reuse_detected, 1);
    assert_eq!(stats.grants_revoked, 1);

    // Connecting again works.
    let persistence = sign_in(&connected.client, &session)
        .await
        .expect("a new sign-in connects");
    assert_eq!(persistence, Persistence::Saved);
    assert_eq!(session.status(), SessionStatus::Connected);
    let photos = session
        .authorized_get(&connected.photos_url())
        .await
        .unwrap();
    assert_eq!(photos.status, 200);
}
