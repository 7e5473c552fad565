//! The code exchange failing. A first connection stores nothing, a reconnection keeps the
//! previous connection, and a new sign-in works once the fault is gone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use photolink_demo_provider::{Config, Fault};
use photolink_oauth::{Error, Persistence, Session, SessionStatus, TokenErrorCode};

use super::{TIMEOUT, assert_shows_no_token, fault_config};
use crate::support::consent::Decision;
use crate::support::provider::{authorize, client_with, connected_with, start};
use crate::support::store::TokenStoreDouble;

/// Connects for the first time while `fault` answers the token request. Checks that the
/// error shows no token, that nothing was stored, and that a new sign-in connects once the
/// fault is gone; returns the error.
async fn first_connection_with(fault: Fault) -> Error {
    let provider = start(Config::default()).await;
    let client = client_with(&provider, fault_config()).await;
    let store = Arc::new(TokenStoreDouble::default());
    let session = Session::new(client.clone(), store.clone()).unwrap();
    let name = fault.name();
    provider.set_faults([fault.times(1)]).unwrap();

    let (pending, callback) = authorize(&client, Decision::Approve).await;
    let error = session
        .connect(pending.complete(&callback).unwrap())
        .await
        .unwrap_err();

    let served = provider.fake_tokens_served();
    assert_shows_no_token(
        &error,
        &served.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(session.status(), SessionStatus::SignedOut);
    assert_eq!(session.persistence(), Persistence::Saved);
    assert!(store.held().is_none(), "nothing is stored");
    let stats = provider.stats();
    assert_eq!(stats.faults_served.get(name), Some(&1));
    assert_eq!(stats.authorization_code_grants, 0);

    provider.clear_faults();
    let (pending, callback) = authorize(&client, Decision::Approve).await;
    let persistence = session
        .connect(pending.complete(&callback).unwrap())
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

/// The `detail` of an [`Error::UnexpectedResponse`] for a 200 answer.
#[track_caller]
fn detail_of_200(error: &Error) -> &str {
    match error {
        Error::UnexpectedResponse {
            status: 200,
            detail,
            retry_after: None,
        } => detail,
        other => panic!("expected an unusable 200 answer, got {other:?}"),
    }
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
        matches!(&error, Error::Network(reason) if reason == "timed out"),
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
    assert_eq!(detail_of_200(&error), "no access token in the answer");
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

    let (pending, callback) = authorize(&connected.client, Decision::Approve).await;
    let error = connected
        .session
        .connect(pending.complete(&callback).unwrap())
        .await
        .unwrap_err();

    let served = connected.provider.fake_tokens_served();
    assert_eq!(served.len(), 2, "the form-encoded body carried two tokens");
    let mut known: Vec<&str> = served.iter().map(String::as_str).collect();
    known.push(previous.access_token.secret());
    known.push(previous.refresh_token.as_ref().unwrap().secret());
    assert_shows_no_token(&error, &known);
    assert_eq!(connected.session.status(), SessionStatus::Connected);
    let kept = connected.saved();
    assert_eq!(kept.access_token.secret(), previous.access_token.secret());
    assert_eq!(
        kept.refresh_token.unwrap().secret(),
        previous.refresh_token.unwrap().secret()
    );
    assert_eq!(
        connected.session.access_token().await.unwrap().secret(),
        previous.access_token.secret()
    );
    connected
        .session
        .authorized_get(&connected.photos_url())
        .await
        .expect("the previous connection still works");
}
