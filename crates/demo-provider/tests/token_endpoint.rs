//! `/token`: code exchange, refresh rotation and their strictness rules.

mod common;

use std::time::Duration;

use common::*;
use photolink_demo_provider::{Config, ExpiryField, token_hash};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn code_exchange_returns_bearer_tokens() {
    let provider = provider(Config::default()).await;
    let http = http();
    let pkce = Pkce::new();
    let code = authorization_code(&http, &provider, &pkce).await;
    let form = code_exchange_form(&code, &pkce.verifier, &[]);
    let (status, headers, body) = post_form(&http, &provider.endpoints().token, &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "photos:read profile");
    assert!(string(&body, "access_token").len() >= 32);
    assert!(string(&body, "refresh_token").len() >= 32);
    assert_eq!(
        photos_status(&http, &provider, &string(&body, "access_token")).await,
        StatusCode::OK
    );
    let stats = provider.stats();
    assert_eq!(
        (
            stats.authorization_code_grants,
            stats.token_requests,
            stats.token_errors
        ),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn lifetime_field_can_be_named_expires_like_the_seed() {
    let provider = provider(Config {
        expiry_field: ExpiryField::Expires,
        access_token_ttl: Duration::from_secs(42),
        ..Config::default()
    })
    .await;
    let body = tokens(&http(), &provider).await;
    assert_eq!(body["expires"], 42);
    assert!(body.get("expires_in").is_none());
}

#[tokio::test]
async fn a_code_works_once_and_reuse_revokes_what_it_issued() {
    let provider = provider(Config::default()).await;
    let http = http();
    let pkce = Pkce::new();
    let code = authorization_code(&http, &provider, &pkce).await;
    let (status, first) = exchange(&http, &provider, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK);
    let access_token = string(&first, "access_token");
    assert_eq!(
        photos_status(&http, &provider, &access_token).await,
        StatusCode::OK
    );

    let (status, body) = exchange(&http, &provider, &code, &pkce.verifier).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        photos_status(&http, &provider, &access_token).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = refresh(&http, &provider, &string(&first, "refresh_token")).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    let stats = provider.stats();
    assert_eq!((stats.code_reuse_detected, stats.grants_revoked), (1, 1));
}

#[tokio::test]
async fn redirect_uri_must_equal_the_authorization_requests() {
    let provider = provider(Config::default()).await;
    let http = http();
    let pkce = Pkce::new();
    let code = authorization_code(&http, &provider, &pkce).await;
    let form = code_exchange_form(
        &code,
        &pkce.verifier,
        &[("redirect_uri", "http://127.0.0.1:9999/oauth/callback")],
    );
    let (status, _, body) = post_form(&http, &provider.endpoints().token, &form).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("redirect_uri")
    );
    // The failed attempt spent the code.
    let (status, body) = exchange(&http, &provider, &code, &pkce.verifier).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn the_verifier_must_match_the_challenge() {
    let provider = provider(Config::default()).await;
    let http = http();
    let pkce = Pkce::new();
    let code = authorization_code(&http, &provider, &pkce).await;
    let (status, body) = exchange(&http, &provider, &code, &Pkce::new().verifier).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");

    let code = authorization_code(&http, &provider, &pkce).await;
    let (status, body) = exchange(&http, &provider, &code, "short").await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let without_verifier = code_exchange_form(&code, &pkce.verifier, &[("code_verifier", "")]);
    let (status, _, body) = post_form(&http, &provider.endpoints().token, &without_verifier).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn codes_expire() {
    let provider = provider(Config {
        authorization_code_ttl: Duration::from_millis(200),
        ..Config::default()
    })
    .await;
    let http = http();
    let pkce = Pkce::new();
    let code = authorization_code(&http, &provider, &pkce).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, body) = exchange(&http, &provider, &code, &pkce.verifier).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn malformed_requests_get_rfc6749_errors() {
    let provider = provider(Config::default()).await;
    let http = http();
    let token = &provider.endpoints().token;
    type Case<'a> = (&'a [(&'a str, &'a str)], StatusCode, &'a str);
    let cases: [Case; 6] = [
        // The seed's grant_type=code is not RFC 6749.
        (
            &[("grant_type", "code"), ("client_id", CLIENT_ID)],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            &[("client_id", CLIENT_ID)],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            &[("grant_type", "authorization_code")],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "other"),
                ("refresh_token", "x"),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "refresh_token"),
                ("client_id", CLIENT_ID),
                ("client_secret", "ZGVmMjMz"),
                ("refresh_token", "x"),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "refresh_token"),
                ("client_id", CLIENT_ID),
                ("refresh_token", "unknown"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
    ];
    for (form, expected_status, error) in cases {
        let (status, headers, body) = post_form(&http, token, form).await;
        assert_oauth_error(status, &body, expected_status, error);
        assert_eq!(headers["cache-control"], "no-store");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
    }
    let response = http
        .post(token)
        .json(&serde_json::json!({ "grant_type": "refresh_token" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = http
        .post(token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=refresh_token&grant_type=refresh_token&client_id=photolink-desktop&refresh_token=x")
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(provider.stats().token_errors, 8);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_grant() {
    let provider = provider(Config::default()).await;
    let http = http();
    let first = tokens(&http, &provider).await;
    let first_refresh = string(&first, "refresh_token");

    let (status, second) = refresh(&http, &provider, &first_refresh).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let second_refresh = string(&second, "refresh_token");
    assert_ne!(second_refresh, first_refresh);
    assert_ne!(
        string(&second, "access_token"),
        string(&first, "access_token")
    );
    assert_eq!(second["scope"], "photos:read profile");
    let (status, third) = refresh(&http, &provider, &second_refresh).await;
    assert_eq!(status, StatusCode::OK);
    let current_access = string(&third, "access_token");
    assert_eq!(
        photos_status(&http, &provider, &current_access).await,
        StatusCode::OK
    );

    // Presenting the first, already-rotated refresh token revokes everything.
    let (status, body) = refresh(&http, &provider, &first_refresh).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        photos_status(&http, &provider, &current_access).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = refresh(&http, &provider, &string(&third, "refresh_token")).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");

    let stats = provider.stats();
    assert_eq!(stats.refresh_grants, 2);
    assert_eq!(stats.refresh_reuse_detected, 1);
    assert_eq!(stats.grants_revoked, 1);
    assert_eq!(
        stats.refresh_tokens_presented,
        vec![
            token_hash(&first_refresh),
            token_hash(&second_refresh),
            token_hash(&first_refresh),
            token_hash(&string(&third, "refresh_token")),
        ]
    );
}

#[tokio::test]
async fn refresh_may_narrow_but_not_widen_the_scope() {
    let provider = provider(Config::default()).await;
    let http = http();
    let body = tokens_with(&http, &provider, &[("scope", "photos:read")]).await;
    assert_eq!(body["scope"], "photos:read");
    let refresh_token = string(&body, "refresh_token");
    let widened = refresh_form(&refresh_token, &[("scope", "photos:read profile")]);
    let (status, _, body) = post_form(&http, &provider.endpoints().token, &widened).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_scope");
}

#[tokio::test]
async fn access_tokens_expire_after_the_configured_lifetime() {
    let provider = provider(Config {
        access_token_ttl: Duration::from_secs(1),
        ..Config::default()
    })
    .await;
    let http = http();
    let body = tokens(&http, &provider).await;
    assert_eq!(body["expires_in"], 1);
    let access_token = string(&body, "access_token");
    assert_eq!(
        photos_status(&http, &provider, &access_token).await,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_only_a_refresh_brings_the_photos_back(&http, &provider, &body).await;
}

#[tokio::test]
async fn confidential_client_must_authenticate_once() {
    let provider = provider(Config {
        client_secret: Some("s3cr3t".into()),
        ..Config::default()
    })
    .await;
    let http = http();
    let pkce = Pkce::new();
    let code = authorization_code(&http, &provider, &pkce).await;
    // No secret: refused, and the code is untouched.
    let (status, body) = exchange(&http, &provider, &code, &pkce.verifier).await;
    assert_oauth_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_client");
    // With HTTP Basic authentication the form carries no client_id.
    let form = code_exchange_form(&code, &pkce.verifier, &[("client_id", "")]);
    let response = http
        .post(&provider.endpoints().token)
        .basic_auth(CLIENT_ID, Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = http
        .post(&provider.endpoints().token)
        .basic_auth(CLIENT_ID, Some("s3cr3t"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    // client_secret_post works too.
    let refresh_token = string(&body, "refresh_token");
    let form = refresh_form(&refresh_token, &[("client_secret", "s3cr3t")]);
    let (status, _, body) = post_form(&http, &provider.endpoints().token, &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
