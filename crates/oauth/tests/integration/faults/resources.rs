//! The photo API failing mid-session: 5xx answers are retried a bounded number of times with
//! backoff, a 401 gets one refresh and one retry.

use std::time::{Duration, Instant};

use photolink_demo_provider::{Config, Fault};
use photolink_oauth::{Error, Persistence, SessionStatus, TokenStore};

use super::{
    assert_connection_kept, assert_photos_arrive_once_cleared, assert_shows_no_token, fault_config,
    served,
};
use crate::support::assert_unexpected_status;
use crate::support::provider::{Connected, connected_with, sign_in};

async fn connected() -> Connected {
    connected_with(Config::default(), fault_config()).await
}

fn server_error(status: u16, retry_after: Option<u64>) -> Fault {
    Fault::PhotosServerError {
        status,
        retry_after,
    }
}

#[tokio::test]
async fn server_errors_within_the_retry_bound_are_retried_until_the_photos_arrive() {
    let connected = connected().await;
    connected
        .provider
        .set_faults([server_error(502, None).times(2)])
        .unwrap();

    let photos = connected.get_photos().await.unwrap();

    assert_eq!(photos.status, 200);
    let stats = connected.provider.stats();
    assert_eq!(served(&connected.provider, "photos_server_error"), 2);
    assert_eq!(stats.photo_list_requests, 3, "two failures and the retry");
    assert_eq!(stats.refresh_grants, 0, "a 5xx is not a token problem");
}

#[tokio::test]
async fn server_errors_beyond_the_retry_bound_end_after_three_requests_and_a_later_call_works() {
    let connected = connected().await;
    let before = connected.saved();
    connected
        .provider
        .set_faults([server_error(500, None).times(5)])
        .unwrap();

    let error = connected.get_photos().await.unwrap_err();

    assert_unexpected_status(&error, 500);
    assert!(error.is_transient());
    assert_connection_kept(&error, &connected, &connected.session, &before);
    assert_eq!(connected.provider.stats().photo_list_requests, 3);
    assert_eq!(served(&connected.provider, "photos_server_error"), 3);

    assert_photos_arrive_once_cleared(&connected).await;
    assert_eq!(connected.provider.stats().photo_list_requests, 4);
}

#[tokio::test]
async fn a_retry_after_within_the_cap_is_waited_for() {
    let connected = connected().await;
    connected
        .provider
        .set_faults([server_error(503, Some(1)).times(1)])
        .unwrap();

    let started = Instant::now();
    let photos = connected.get_photos().await.unwrap();

    assert_eq!(photos.status, 200);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retried after {:?}, before the server's Retry-After",
        started.elapsed()
    );
    assert_eq!(connected.provider.stats().photo_list_requests, 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_ends_the_retries_at_once() {
    let connected = connected().await;
    let before = connected.saved();
    connected
        .provider
        .set_faults([server_error(503, Some(30)).until_cleared()])
        .unwrap();

    let started = Instant::now();
    let error = connected.get_photos().await.unwrap_err();

    assert_unexpected_status(&error, 503);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
    assert!(started.elapsed() < Duration::from_secs(2), "no waiting");
    assert_eq!(connected.provider.stats().photo_list_requests, 1);
    assert_connection_kept(&error, &connected, &connected.session, &before);

    assert_photos_arrive_once_cleared(&connected).await;
}

#[tokio::test]
async fn a_401_mid_session_is_refreshed_once_and_the_request_retried() {
    let connected = connected().await;
    let before = connected.saved();
    connected
        .provider
        .set_faults([Fault::PhotosInvalidToken.times(1)])
        .unwrap();

    let photos = connected.get_photos().await.unwrap();

    assert_eq!(photos.status, 200);
    let stats = connected.provider.stats();
    assert_eq!(stats.refresh_grants, 1);
    assert_eq!(stats.photo_list_requests, 2);
    assert_ne!(
        connected.saved().access_token.secret(),
        before.access_token.secret(),
        "the refreshed tokens are saved"
    );
}

#[tokio::test]
async fn a_401_that_persists_after_the_refresh_is_an_error_without_a_loop() {
    let connected = connected().await;
    connected
        .provider
        .set_faults([Fault::PhotosInvalidToken.until_cleared()])
        .unwrap();

    let error = connected.get_photos().await.unwrap_err();

    assert_unexpected_status(&error, 401);
    let refreshed = connected.saved();
    assert_shows_no_token(
        &error,
        &[
            refreshed.access_token.secret(),
            refreshed.refresh_token.as_ref().unwrap().secret(),
        ],
    );
    let stats = connected.provider.stats();
    assert_eq!(stats.refresh_grants, 1, "exactly one refresh");
    assert_eq!(stats.photo_list_requests, 2, "the request and one retry");
    assert_eq!(connected.session.status(), SessionStatus::Connected);

    assert_photos_arrive_once_cleared(&connected).await;
    assert_eq!(connected.provider.stats().refresh_grants, 1);
}

#[tokio::test]
async fn a_401_mid_session_with_a_dead_grant_means_reconnect_needed() {
    let connected = connected().await;
    let tokens = connected.revoke_grant().await;
    connected
        .provider
        .set_faults([Fault::PhotosInvalidToken.times(1)])
        .unwrap();

    let error = connected.get_photos().await.unwrap_err();

    assert!(matches!(error, Error::ReconnectNeeded), "{error:?}");
    assert_shows_no_token(
        &error,
        &[
            tokens.access_token.secret(),
            tokens.refresh_token.as_ref().unwrap().secret(),
        ],
    );
    assert_eq!(connected.session.status(), SessionStatus::ReconnectNeeded);
    assert!(
        connected.store.load().unwrap().is_none(),
        "the dead tokens are forgotten"
    );
    assert_eq!(connected.provider.stats().photo_list_requests, 1);

    let persistence = sign_in(&connected.client, &connected.session)
        .await
        .expect("connecting again works");
    assert_eq!(persistence, Persistence::Saved);
    let photos = connected.get_photos().await.unwrap();
    assert_eq!(photos.status, 200);
}
