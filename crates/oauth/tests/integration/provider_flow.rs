//! The authorization flow against the demo provider: approval, denial, state handling,
//! code reuse, lifetimes and issuer checks.

use std::time::Duration;

use photolink_demo_provider::{Config, ExpiryField, IssParameter};
use photolink_oauth::{
    AuthorizationErrorCode, CallbackError, Error, PendingAuthorization, SessionStatus,
    TokenErrorCode,
};

use crate::support::consent::{Decision, decide};
use crate::support::mock::query_param;
use crate::support::provider::{
    authorize, client_for, connected, restored_in_a_new_process, start,
};

#[tokio::test]
async fn happy_path_connects_and_reads_photos_and_profile() {
    let connected = connected(Config::default()).await;
    let session = &connected.session;
    assert_eq!(session.status(), SessionStatus::Connected);
    assert_eq!(session.granted_scopes(), ["photos:read", "profile"]);

    let user = session.userinfo().await.unwrap();
    assert!(!user.sub.is_empty());
    let photos: serde_json::Value = session
        .authorized_get(&connected.photos_url())
        .await
        .unwrap()
        .json()
        .unwrap();
    assert!(!photos["photos"].as_array().unwrap().is_empty(), "{photos}");

    let stats = connected.provider.stats();
    assert_eq!(stats.authorization_code_grants, 1);
    assert_eq!(stats.refresh_grants, 0);
    assert_eq!(stats.userinfo_requests, 1);
    assert_eq!(stats.photo_list_requests, 1);
}

#[tokio::test]
async fn the_authorization_url_carries_pkce_and_state() {
    let provider = start(Config::default()).await;
    let client = client_for(&provider).await;
    let url = PendingAuthorization::new().begin(&client).unwrap();
    assert_eq!(
        url.as_str().split('?').next(),
        Some(provider.endpoints().authorization.as_str())
    );
    assert_eq!(
        query_param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        query_param(&url, "scope").as_deref(),
        Some("photos:read profile")
    );
}

#[tokio::test]
async fn denial_ends_the_sign_in_with_a_typed_error() {
    let provider = start(Config::default()).await;
    let client = client_for(&provider).await;
    let (pending, callback) = authorize(&client, Decision::Deny).await;
    let error = pending.complete(&callback).unwrap_err();
    assert!(!error.is_ignored(), "a denial ends the sign-in");
    let error = error.into_error();
    assert!(
        matches!(
            &error,
            Error::Authorization {
                code: AuthorizationErrorCode::AccessDenied,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "authorization error access_denied");
    assert!(!pending.is_in_progress());
    assert_eq!(provider.stats().denials, 1);
    assert_eq!(provider.stats().token_requests, 0);
}

#[tokio::test]
async fn a_wrong_state_leaves_the_pending_sign_in_usable() {
    let provider = start(Config::default()).await;
    let client = client_for(&provider).await;
    let (pending, callback) = authorize(&client, Decision::Approve).await;
    let real_state = query_param(&url::Url::parse(&callback).unwrap(), "state").unwrap();

    let forged = callback.replace(&real_state, "attacker-state");
    assert!(matches!(
        pending.complete(&forged),
        Err(CallbackError::Ignored(Error::StateMismatch))
    ));
    let unknown = callback.replace(&format!("state={real_state}"), "state=");
    assert!(matches!(
        pending.complete(&unknown),
        Err(CallbackError::Ignored(Error::StateMismatch))
    ));
    assert!(pending.is_in_progress());

    let tokens = client
        .exchange_code(pending.complete(&callback).unwrap())
        .await
        .unwrap();
    assert!(!tokens.access_token.secret().is_empty());
}

#[tokio::test]
async fn a_sign_in_saved_before_a_restart_completes_in_the_new_process() {
    let provider = start(Config::default()).await;
    let client = client_for(&provider).await;
    let (pending, callback) = authorize(&client, Decision::Approve).await;
    let saved = pending.saved().unwrap();
    drop(pending);

    let restarted_client = client_for(&provider).await;
    let restarted = restored_in_a_new_process(&restarted_client, saved);
    let tokens = restarted_client
        .exchange_code(restarted.complete(&callback).unwrap())
        .await
        .unwrap();
    assert!(!tokens.access_token.secret().is_empty());
    assert_eq!(provider.stats().authorization_code_grants, 1);
}

#[tokio::test]
async fn a_superseded_sign_in_is_refused() {
    let provider = start(Config::default()).await;
    let client = client_for(&provider).await;
    let pending = PendingAuthorization::new();
    let first = decide(&pending.begin(&client).unwrap(), Decision::Approve).await;
    let second = decide(&pending.begin(&client).unwrap(), Decision::Approve).await;
    assert!(matches!(
        pending.complete(&first),
        Err(CallbackError::Ignored(Error::StateMismatch))
    ));
    client
        .exchange_code(pending.complete(&second).unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_replayed_callback_is_refused_without_contacting_the_server() {
    let connected = connected(Config::default()).await;
    let (pending, callback) = authorize(&connected.client, Decision::Approve).await;
    pending.complete(&callback).unwrap();
    let requests_before = connected.provider.stats().token_requests;
    assert!(matches!(
        pending.complete(&callback),
        Err(CallbackError::Ignored(Error::NoPendingAuthorization))
    ));
    assert_eq!(connected.provider.stats().token_requests, requests_before);
}

#[tokio::test]
async fn code_reuse_is_refused_and_revokes_the_first_tokens() {
    let provider = start(Config::default()).await;
    let client = client_for(&provider).await;
    let (pending, callback) = authorize(&client, Decision::Approve).await;
    // A copy of the sign-in, as a second process restoring it from storage would hold.
    let copy = PendingAuthorization::new();
    copy.restore(&client, pending.saved().unwrap()).unwrap();
    let first = client
        .exchange_code(pending.complete(&callback).unwrap())
        .await
        .unwrap();

    let replayed = copy.complete(&callback).unwrap();
    let error = client.exchange_code(replayed).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Token {
                code: TokenErrorCode::InvalidGrant,
                status: 400,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(provider.stats().code_reuse_detected, 1);
    let photos = reqwest::Client::new()
        .get(&provider.endpoints().photos)
        .bearer_auth(first.access_token.secret())
        .send()
        .await
        .unwrap();
    assert_eq!(
        photos.status(),
        401,
        "tokens issued for a reused code are revoked"
    );
}

async fn lifetime_with(field: ExpiryField) -> Duration {
    let config = Config {
        expiry_field: field,
        access_token_ttl: Duration::from_secs(1234),
        ..Config::default()
    };
    let tokens = connected(config).await.saved();
    tokens
        .expires_at
        .unwrap()
        .duration_since(tokens.received_at)
        .unwrap()
}

#[tokio::test]
async fn lifetime_is_read_from_expires_in() {
    assert_eq!(
        lifetime_with(ExpiryField::ExpiresIn).await,
        Duration::from_secs(1234)
    );
}

#[tokio::test]
async fn lifetime_is_read_from_the_seed_style_expires() {
    assert_eq!(
        lifetime_with(ExpiryField::Expires).await,
        Duration::from_secs(1234)
    );
}

#[tokio::test]
async fn a_wrong_iss_in_the_callback_is_refused() {
    let config = Config {
        iss_parameter: IssParameter::Fixed("http://127.0.0.1:1".into()),
        ..Config::default()
    };
    let provider = start(config).await;
    let client = client_for(&provider).await;
    let (pending, callback) = authorize(&client, Decision::Approve).await;
    let error = pending.complete(&callback).unwrap_err();
    assert!(
        matches!(&error, CallbackError::Failed(Error::IssuerMismatch { found: Some(found), .. }) if found == "http://127.0.0.1:1"),
        "{error:?}"
    );
    assert_eq!(provider.stats().token_requests, 0);
}

#[tokio::test]
async fn a_missing_iss_is_refused_when_the_server_promises_it() {
    let provider = start(Config {
        iss_parameter: IssParameter::Omitted,
        ..Config::default()
    })
    .await;
    let client = client_for(&provider).await;
    assert!(
        client
            .metadata()
            .authorization_response_iss_parameter_supported
    );
    let (pending, callback) = authorize(&client, Decision::Approve).await;
    assert!(matches!(
        pending.complete(&callback),
        Err(CallbackError::Failed(Error::IssuerMismatch {
            found: None,
            ..
        }))
    ));
}

#[tokio::test]
async fn a_confidential_client_sends_its_secret() {
    let provider = start(Config {
        client_secret: Some("demo-secret".into()),
        ..Config::default()
    })
    .await;
    let config = crate::support::mock::config()
        .with_client_secret(photolink_oauth::ClientSecret::new("demo-secret"));
    let client = photolink_oauth::OAuthClient::discover(config, provider.issuer_url())
        .await
        .unwrap();
    let (pending, callback) = authorize(&client, Decision::Approve).await;
    let tokens = client
        .exchange_code(pending.complete(&callback).unwrap())
        .await
        .unwrap();
    client.refresh(&tokens).await.unwrap();
    assert_eq!(provider.stats().refresh_grants, 1);
}

#[tokio::test]
async fn a_public_client_is_refused_by_a_confidential_registration() {
    let provider = start(Config {
        client_secret: Some("demo-secret".into()),
        ..Config::default()
    })
    .await;
    let client = client_for(&provider).await;
    let (pending, callback) = authorize(&client, Decision::Approve).await;
    let error = client
        .exchange_code(pending.complete(&callback).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Token {
                code: TokenErrorCode::InvalidClient,
                ..
            }
        ),
        "{error:?}"
    );
}
