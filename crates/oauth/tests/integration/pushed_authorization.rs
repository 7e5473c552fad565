//! Pushed authorization requests (RFC 9126) against the demo provider requiring them, and the
//! pushed request as it goes over the wire to a scripted server.

use std::time::{Duration, SystemTime};

use axum::Json;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use photolink_demo_provider::Config;
use photolink_oauth::{AuthorizationErrorCode, ClientSecret, Error, PendingAuthorization};
use serde_json::json;

use crate::support::mock::{Mock, config};
use crate::support::provider::{approve_and_connect, approve_and_exchange, client_with, start};

fn requiring_par() -> Config {
    Config {
        require_par: true,
        ..Config::default()
    }
}

#[tokio::test]
async fn with_pushing_required_the_browser_gets_only_a_request_uri_and_the_sign_in_completes() {
    let provider = start(requiring_par()).await;
    let client = client_with(&provider, config()).await;
    let pending = PendingAuthorization::new();
    let url = pending.start(&client).await.unwrap();
    let names: Vec<String> = url
        .query_pairs()
        .map(|(name, _)| name.into_owned())
        .collect();
    assert_eq!(names, ["client_id", "request_uri"]);

    let session = approve_and_connect(client, &pending, &url).await;
    session
        .authorized_get(&provider.endpoints().photos)
        .await
        .unwrap();
    let stats = provider.stats();
    assert_eq!(stats.pushed_authorization_requests, 1);
    assert_eq!(stats.authorization_code_grants, 1);
}

#[tokio::test]
async fn with_pushing_and_dpop_both_required_the_pushed_sign_in_gets_tokens_bound_to_its_key() {
    let provider = start(Config {
        require_par: true,
        require_dpop: true,
        dpop_nonce: true,
        ..Config::default()
    })
    .await;
    let client = client_with(&provider, config()).await;
    assert!(client.uses_dpop(), "the metadata offers ES256");
    let pending = PendingAuthorization::new();
    let url = pending.start(&client).await.unwrap();
    assert!(
        url.query_pairs().all(|(name, _)| name != "dpop_jkt"),
        "the key's thumbprint went in the pushed request, not the browser's address"
    );

    let session = approve_and_connect(client, &pending, &url).await;
    session
        .authorized_get(&provider.endpoints().photos)
        .await
        .unwrap();
    session.disconnect().await.unwrap();

    let stats = provider.stats();
    assert_eq!(stats.pushed_authorization_requests, 1);
    assert_eq!(stats.authorization_code_grants, 1);
    assert_eq!(stats.dpop_proofs_refused, 0);
    assert!(stats.dpop_proofs_accepted >= 3, "{stats:?}");
    assert_eq!(stats.grants_revoked, 1);
}

#[tokio::test]
async fn building_the_url_locally_is_refused_when_pushing_is_required() {
    let provider = start(requiring_par()).await;
    let client = client_with(&provider, config()).await;
    let error = PendingAuthorization::new().begin(&client).unwrap_err();
    assert!(matches!(error, Error::InvalidConfig(_)), "{error:?}");
    assert_eq!(provider.stats().pushed_authorization_requests, 0);
}

#[tokio::test]
async fn each_start_pushes_again_and_its_url_expires_with_the_request_uri() {
    let provider = start(requiring_par()).await;
    let client = client_with(&provider, config()).await;
    let pending = PendingAuthorization::new();
    let before = SystemTime::now();
    let first = pending.start(&client).await.unwrap();
    let second = pending.start(&client).await.unwrap();
    assert_ne!(first, second, "a new start pushes a new request");
    assert_eq!(provider.stats().pushed_authorization_requests, 2);
    let url_expires = pending.authorize_url_expires_at().unwrap();
    assert!(
        url_expires >= before + Duration::from_secs(59),
        "{url_expires:?}"
    );
    assert!(url_expires <= SystemTime::now() + Duration::from_secs(60));
    assert!(
        pending.expires_at().unwrap() > url_expires,
        "the callback may come later"
    );
    assert_eq!(
        pending.saved().unwrap().authorize_url_expires_at(),
        Some(url_expires)
    );
}

#[tokio::test]
async fn a_refused_push_is_a_typed_error_and_leaves_no_sign_in() {
    let provider = start(Config {
        client_secret: Some("s3cret".into()),
        ..requiring_par()
    })
    .await;
    let client = client_with(&provider, config()).await;
    let pending = PendingAuthorization::new();
    let error = pending.start(&client).await.unwrap_err();
    match &error {
        Error::PushedAuthorization {
            code,
            status,
            description,
            ..
        } => {
            assert_eq!(
                *code,
                AuthorizationErrorCode::Other("invalid_client".into())
            );
            assert_eq!(*status, 401);
            assert!(description.is_some());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!error.is_transient());
    assert!(!pending.is_in_progress());
}

#[tokio::test]
async fn a_confidential_client_authenticates_its_push_like_its_token_requests() {
    let provider = start(Config {
        client_secret: Some("s3cret".into()),
        ..requiring_par()
    })
    .await;
    let client = client_with(
        &provider,
        config().with_client_secret(ClientSecret::new("s3cret")),
    )
    .await;
    let pending = PendingAuthorization::new();
    let url = pending.start(&client).await.unwrap();
    let tokens = approve_and_exchange(&client, &pending, &url).await.unwrap();
    assert!(!tokens.access_token.secret().is_empty());
}

#[tokio::test]
async fn the_push_carries_the_authorization_parameters_with_the_client_authentication() {
    let mock = Mock::start(|request| {
        assert_eq!(request.path, "/par");
        (
            StatusCode::CREATED,
            Json(json!({"request_uri": "urn:ietf:params:oauth:request_uri:abc", "expires_in": 90})),
        )
            .into_response()
    })
    .await;
    let mut metadata = mock.metadata();
    metadata.pushed_authorization_request_endpoint = Some(format!("{}/par", mock.base));
    let public = photolink_oauth::OAuthClient::new(config(), metadata.clone()).unwrap();
    let pending = PendingAuthorization::new();
    let url = pending.start(&public).await.unwrap();
    assert_eq!(
        url.query(),
        Some(
            "client_id=photolink-desktop&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc"
        )
    );
    let pushed = &mock.requests_to("/par")[0];
    assert_eq!(
        pushed.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(pushed.param("client_id"), Some("photolink-desktop"));
    assert_eq!(pushed.param("response_type"), Some("code"));
    assert_eq!(pushed.param("code_challenge_method"), Some("S256"));
    assert_eq!(pushed.param("scope"), Some("photos:read profile"));
    assert_eq!(
        pushed.param("state").map(str::len),
        Some(43),
        "256 random bits"
    );
    assert!(pushed.param("client_secret").is_none());

    metadata.token_endpoint_auth_methods_supported = vec!["client_secret_basic".into()];
    let confidential = photolink_oauth::OAuthClient::new(
        config().with_client_secret(ClientSecret::new("s3cret")),
        metadata,
    )
    .unwrap();
    pending.start(&confidential).await.unwrap();
    let pushed = &mock.requests_to("/par")[1];
    assert!(
        pushed
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
    assert!(pushed.param("client_id").is_none());
    assert!(pushed.param("client_secret").is_none());
}
