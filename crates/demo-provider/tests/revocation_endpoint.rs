//! `/revoke` (RFC 7009): revoking either token ends the whole grant.

mod common;

use common::*;
use photolink_demo_provider::Config;
use reqwest::StatusCode;

async fn revoke(
    http: &reqwest::Client,
    provider: &photolink_demo_provider::ProviderHandle,
    form: &[(&str, &str)],
) -> StatusCode {
    post_form(http, &provider.endpoints().revocation, form)
        .await
        .0
}

#[tokio::test]
async fn revoking_the_refresh_token_ends_the_access_token_too() {
    let provider = provider(Config::default()).await;
    let http = http();
    let body = tokens(&http, &provider).await;
    let (access, refresh_token) = (
        string(&body, "access_token"),
        string(&body, "refresh_token"),
    );
    let status = revoke(
        &http,
        &provider,
        &[
            ("token", &refresh_token),
            ("token_type_hint", "refresh_token"),
            ("client_id", CLIENT_ID),
        ],
    )
    .await;
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
    let provider = provider(Config::default()).await;
    let http = http();
    let body = tokens(&http, &provider).await;
    let (access, refresh_token) = (
        string(&body, "access_token"),
        string(&body, "refresh_token"),
    );
    // A wrong hint does not matter.
    let status = revoke(
        &http,
        &provider,
        &[
            ("token", &access),
            ("token_type_hint", "refresh_token"),
            ("client_id", CLIENT_ID),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let response = http
        .get(&provider.endpoints().photos)
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
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
    let provider = provider(Config::default()).await;
    let http = http();
    let body = tokens(&http, &provider).await;
    let access = string(&body, "access_token");
    for token in ["never-issued", access.as_str(), access.as_str()] {
        assert_eq!(
            revoke(
                &http,
                &provider,
                &[("token", token), ("client_id", CLIENT_ID)]
            )
            .await,
            StatusCode::OK
        );
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
