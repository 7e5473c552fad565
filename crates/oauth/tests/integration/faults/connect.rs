//! The code exchange failing. A first connection stores nothing, a reconnection keeps the
//! previous connection, and a new sign-in works once the fault is gone.

use std::time::{Duration, Instant};

use photolink_demo_provider::{Config, Fault};
use photolink_oauth::{Error, NetworkFailure, Persistence, SessionStatus, TokenErrorCode};

use super::{
    SignedOut, TIMEOUT, assert_connection_kept, assert_shows_no_served_token, detail_of_200,
    fault_config, signed_out,
};
use crate::support::provider::{connected_with, sign_in};

/// Connects for the first time while `fault` answers the token request. Checks that the
/// error shows no token, that nothing was stored, and that a new sign-in connects once the
/// fault is gone; returns the error.
async fn first_connection_with(fault: Fault) -> Error {
    let SignedOut {
        provider,
        client,
        store,
        session,
    } = signed_out(Config::default(), fault_config()).await;
    let name = fault.name();
    provider.set_faults([fault.times(1)]).unwrap();

    let error = sign_in(&client, &session).await.unwrap_err();

    assert_shows_no_served_token(&error, &provider, &[]);
    assert_eq!(session.status(), SessionStatus::SignedOut);
    assert_eq!(session.persistence(), Persistence::Saved);
    assert!(store.held().is_none(), "nothing is stored");
    let stats = provider.stats();
    assert_eq!(stats.faults_served.get(name), Some(&1));
    assert_eq!(stats.authorization_code_grants, 0);

    provider.clear_faults();
    let persistence = sign_in(&client, &session)
        .await
        .expect("a new sign-in connects once the fault is gone");
    assert_eq!(persistence, Persistence::Saved);
    assert!(store.held().is_some());
    let photos = session
        .authorized_get(&provider.endpoints().photos)
        .await
        .unwrap();
    assert_eq!(photos.status, 200);
    error
}

#[tokio::test]
async fn a_500_from_the_token_endpoint_is_a_transient_token_error() {
    let error = first_connection_with(Fault::TokenServerError {
        status: 500,
        retry_after: None,
    })
    .await;
    assert!(
        matches!(&error, Error::Token { code: TokenErrorCode::Other(code), status: 500, .. } if code == "server_error"),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert_eq!(error.retry_after(), None);
}

#[tokio::test]
async fn a_503_with_retry_after_is_a_transient_token_error_that_says_when_to_try_again() {
    let error = first_connection_with(Fault::TokenServerError {
        status: 503,
        retry_after: Some(7),
    })
    .await;
    assert!(
        matches!(&error, Error::Token { status: 503, .. }),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert!(error.to_string().contains("retry after 7 s"), "{error}");
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_is_a_network_error() {
    let error = first_connection_with(Fault::TokenConnectionClosed).await;
    assert!(matches!(error, Error::Network(_)), "{error:?}");
    assert!(error.is_transient());
}

#[tokio::test]
async fn a_hanging_token_endpoint_times_out() {
    let started = Instant::now();
    let error = first_connection_with(Fault::TokenHang).await;
    assert!(
        matches!(&error, Error::Network(NetworkFailure::TimedOut)),
        "{error:?}"
    );
    assert!(
        started.elapsed() >= TIMEOUT,
        "gave up after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_web_page_instead_of_tokens_is_an_unusable_answer() {
    let error = first_connection_with(Fault::TokenHtml).await;
    assert_eq!(detail_of_200(&error), "a web page");
}

#[tokio::test]
async fn truncated_json_is_an_unusable_answer() {
    let error = first_connection_with(Fault::TokenTruncatedJson).await;
    assert!(detail_of_200(&error).contains("cut off"), "{error}");
}

#[tokio::test]
async fn an_answer_without_an_access_token_is_an_unusable_answer() {
    let error = first_connection_with(Fault::TokenWithoutAccessToken).await;
    assert_eq!(detail_of_200(&error), "no access_token in the answer");
}

#[tokio::test]
async fn a_token_type_other_than_bearer_is_an_unusable_answer() {
    let error = first_connection_with(Fault::TokenTypeNotBearer).await;
    assert_eq!(detail_of_200(&error), r#"an unsupported token type "mac""#);
}

#[tokio::test]
async fn a_50_mb_answer_is_refused_at_once_without_reading_it() {
    let started = Instant::now();
    let error = first_connection_with(Fault::TokenHugeBody).await;
    assert!(
        matches!(error, Error::ResponseTooLarge { limit: 1_048_576 }),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_form_encoded_success_is_refused_without_showing_its_tokens() {
    let error = first_connection_with(Fault::TokenFormEncoded).await;
    assert_eq!(detail_of_200(&error), "a form-encoded body");
}

#[tokio::test]
async fn a_failed_reconnection_keeps_the_previous_connection() {
    let connected = connected_with(Config::default(), fault_config()).await;
    let previous = connected.saved();
    connected
        .provider
        .set_faults([Fault::TokenFormEncoded.times(1)])
        .unwrap();

    let error = sign_in(&connected.client, &connected.session)
        .await
        .unwrap_err();

    assert_eq!(
        connected.provider.fake_tokens_served().len(),
        2,
        "the form-encoded body carried two tokens"
    );
    assert_connection_kept(&error, &connected, &connected.session, &previous);
    assert_eq!(
        connected.session.access_token().await.unwrap().secret(),
        previous.access_token.secret()
    );
    connected
        .get_photos()
        .await
        .expect("the previous connection still works");
}
