//! The provider stopped: a real "connection refused" on its old port. The saved tokens
//! survive, and everything works once a provider listens there again.

use std::path::PathBuf;
use std::sync::Arc;

use photolink_demo_provider::Config;
use photolink_oauth::{
    Error, MemoryTokenStore, NetworkFailure, PendingAuthorization, Session, SessionStatus,
    TokenStore,
};
use url::Url;

use super::{assert_same_tokens, assert_shows_no_token, fault_config};
use crate::support::mock::{REDIRECT_URI, query_param};
use crate::support::provider::{Connected, connected_with, start};

/// A fresh directory for one test's provider state, removed when dropped.
struct StateDir(PathBuf);

impl StateDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "photolink-oauth-faults-{}-{:x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// A provider configuration that keeps its state (its grants) in this directory, so a
    /// provider started again with it knows the tokens it issued before.
    fn provider_config(&self) -> Config {
        Config {
            state_file: Some(self.0.join("provider-state.json")),
            ..Config::default()
        }
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[track_caller]
fn assert_refused(error: &Error) {
    assert!(
        matches!(error, Error::Network(NetworkFailure::CouldNotConnect)),
        "{error:?}"
    );
    assert!(error.is_transient());
}

#[tokio::test]
async fn a_stopped_provider_is_a_network_error_and_the_saved_tokens_survive_until_it_is_back() {
    let state_dir = StateDir::new();
    let connected = connected_with(state_dir.provider_config(), fault_config()).await;
    let good = connected.saved();
    let known = [
        good.access_token.secret(),
        good.refresh_token.as_ref().unwrap().secret(),
    ];
    let Connected {
        provider,
        client,
        store,
        ..
    } = connected;
    let port = provider.local_addr().port();
    provider.shutdown().await;

    // A refresh of an expired token, after a restart of the app.
    let mut expired = good.clone();
    expired.expires_at = Some(expired.received_at);
    store.save(&expired).unwrap();
    let session = Session::new(client.clone(), store.clone()).unwrap();
    let error = session.access_token().await.unwrap_err();
    assert_refused(&error);
    assert_shows_no_token(&error, &known);
    assert_eq!(session.status(), SessionStatus::Connected);
    assert_same_tokens(&store.load().unwrap().expect("the tokens are kept"), &good);

    // A first connection.
    let empty = Arc::new(MemoryTokenStore::new());
    let newcomer = Session::new(client.clone(), empty.clone()).unwrap();
    let pending = PendingAuthorization::new();
    let state = query_param(&pending.begin(&client).unwrap(), "state").unwrap();
    let issuer = client.metadata().issuer.clone();
    let callback = Url::parse_with_params(
        REDIRECT_URI,
        [("code", "a-code"), ("state", &state), ("iss", &issuer)],
    )
    .unwrap();
    let error = newcomer
        .connect(pending.complete(callback.as_str()).unwrap())
        .await
        .unwrap_err();
    assert_refused(&error);
    assert_eq!(newcomer.status(), SessionStatus::SignedOut);
    assert!(empty.load().unwrap().is_none(), "nothing is stored");

    // The provider is back on the same port, with the same grants.
    let provider = start(Config {
        port,
        ..state_dir.provider_config()
    })
    .await;
    let photos = session
        .authorized_get(&provider.endpoints().photos)
        .await
        .expect("the saved connection works again");
    assert_eq!(photos.status, 200);
    assert_eq!(provider.stats().refresh_grants, 1);
    assert_eq!(provider.stats().refresh_reuse_detected, 0);
}

#[tokio::test]
async fn a_photo_request_to_a_stopped_provider_is_a_network_error_and_the_connection_is_kept() {
    let state_dir = StateDir::new();
    let connected = connected_with(state_dir.provider_config(), fault_config()).await;
    let photos_url = connected.photos_url();
    let good = connected.saved();
    let Connected {
        provider,
        session,
        store,
        ..
    } = connected;
    let port = provider.local_addr().port();
    provider.shutdown().await;

    let error = session.authorized_get(&photos_url).await.unwrap_err();
    assert_refused(&error);
    assert_shows_no_token(
        &error,
        &[
            good.access_token.secret(),
            good.refresh_token.as_ref().unwrap().secret(),
        ],
    );
    assert_eq!(session.status(), SessionStatus::Connected);
    assert_same_tokens(&store.load().unwrap().expect("the tokens are kept"), &good);

    let _provider = start(Config {
        port,
        ..state_dir.provider_config()
    })
    .await;
    let photos = session
        .authorized_get(&photos_url)
        .await
        .expect("the photos arrive once the provider is back");
    assert_eq!(photos.status, 200);
}

#[tokio::test]
async fn discovering_a_stopped_provider_is_a_network_error_not_a_missing_document() {
    let provider = start(Config::default()).await;
    let issuer = provider.issuer_url().to_owned();
    let port = provider.local_addr().port();
    provider.shutdown().await;
    let http = photolink_oauth::HttpClient::new(photolink_oauth::HttpOptions::default()).unwrap();

    let error = photolink_oauth::discover(&http, &issuer).await.unwrap_err();

    // Both places were tried, and each was refused: not a missing document.
    assert!(
        matches!(&error, Error::Network(NetworkFailure::CouldNotConnect)),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert_shows_no_token(&error, &[]);
    let provider = start(Config {
        port,
        ..Config::default()
    })
    .await;
    let metadata = photolink_oauth::discover(&http, provider.issuer_url())
        .await
        .expect("discovery works once the provider is back");
    assert_eq!(metadata.issuer, issuer);
}
