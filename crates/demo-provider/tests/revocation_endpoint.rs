//! `/revoke` (RFC 7009): revoking either token ends the whole grant.

mod common;

use common::*;
use photolink_demo_provider::Config;
use reqwest::StatusCode;

/// A provider with one grant, and that grant's access and refresh token.
async fn granted(
    http: &reqwest::Client,
) -> (photolink_demo_provider::ProviderHandle, String, String) {
    let provider = provider(Config::default()).await;
    let body = tokens(http, &provider).await;
    let (access, refresh_token) = (
        string(&body, "access_token"),
        string(&body, "refresh_token"),
    );
    (provider, access, refresh_token)
}

#[tokio::test]
async fn revoking_the_refresh_token_ends_the_access_token_too() {
    let http = http();
    let (provider, access, refresh_token) = granted(&http).await;
    let status = revoke(&http, &provider, &refresh_token, Some("refresh_token")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        photos_status(&http, &provider, &access).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&http, &provider, &refresh_token).await.0,
        StatusCode::BAD_REQUEST
    );
    let stats = provider.stats();
    assert_eq!((stats.revocation_requests, stats.grants_revoked), (1, 1));
}

#[tokio::test]
async fn revoking_the_access_token_ends_the_refresh_token_too() {
    let http = http();
    let (provider, access, refresh_token) = granted(&http).await;
    // A wrong hint does not matter.
    let status = revoke(&http, &provider, &access, Some("refresh_token")).await;
    assert_eq!(status, StatusCode::OK);
    let response = get_photos(&http, &provider, &access).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer ") && challenge.contains(r#"error="invalid_token""#));
    let (status, body) = refresh(&http, &provider, &refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn unknown_and_already_revoked_tokens_still_get_200() {
    let http = http();
    let (provider, access, _) = granted(&http).await;
    for token in ["never-issued", access.as_str(), access.as_str()] {
        assert_eq!(revoke(&http, &provider, token, None).await, StatusCode::OK);
    }
    let stats = provider.stats();
    assert_eq!((stats.revocation_requests, stats.grants_revoked), (3, 1));
}

#[tokio::test]
async fn bad_revocation_requests_are_refused() {
    let provider = provider(Config::default()).await;
    let http = http();
    let (status, headers, body) = post_form(
        &http,
        &provider.endpoints().revocation,
        &[("client_id", CLIENT_ID)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    assert_eq!(headers["cache-control"], "no-store");
    let (status, _, body) =
        post_form(&http, &provider.endpoints().revocation, &[("token", "x")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    assert_eq!(provider.stats().revocation_requests, 0);
}
