//! Every table that grows with requests is bounded: past its limit the oldest entry goes.

mod common;

use common::*;
use photolink_demo_provider::{Config, Limits, ProviderHandle, token_hash};
use reqwest::StatusCode;
use serde_json::Value;

async fn provider_with(limits: Limits) -> ProviderHandle {
    provider(Config {
        limits,
        ..Config::default()
    })
    .await
}

#[tokio::test]
async fn the_oldest_pending_consent_is_forgotten_past_the_limit() {
    let provider = provider_with(Limits {
        pending_consents: 2,
        ..Limits::default()
    })
    .await;
    let http = http();
    let mut transactions = Vec::new();
    for _ in 0..3 {
        let url = authorize_url(&provider, &Pkce::new(), &[]);
        transactions.push(open_consent(&http, url).await);
    }
    let oldest = post_decision(&http, &provider, &transactions[0], "approve").await;
    assert_eq!(oldest.status(), StatusCode::BAD_REQUEST);
    assert!(oldest.text().await.unwrap().contains("no longer valid"));
    for transaction in &transactions[1..] {
        decide(&http, &provider, transaction, "approve").await;
    }
    assert_eq!(provider.stats().approvals, 2);
}

#[tokio::test]
async fn the_oldest_authorization_code_is_forgotten_past_the_limit() {
    let provider = provider_with(Limits {
        authorization_codes: 2,
        ..Limits::default()
    })
    .await;
    let http = http();
    let mut codes = Vec::new();
    for _ in 0..3 {
        let pkce = Pkce::new();
        let code = authorization_code(&http, &provider, &pkce).await;
        codes.push((code, pkce));
    }
    let (code, pkce) = &codes[0];
    let (status, body) = exchange(&http, &provider, code, &pkce.verifier).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    for (code, pkce) in &codes[1..] {
        let (status, body) = exchange(&http, &provider, code, &pkce.verifier).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

/// Whether the grant behind `tokens` still works: its access token reads photos.
async fn works(http: &reqwest::Client, provider: &ProviderHandle, tokens: &Value) -> bool {
    photos_status(http, provider, &string(tokens, "access_token")).await == StatusCode::OK
}

#[tokio::test]
async fn revoked_grants_then_the_oldest_grant_are_forgotten_past_the_limit() {
    let provider = provider_with(Limits {
        grants: 2,
        ..Limits::default()
    })
    .await;
    let http = http();
    let first = tokens(&http, &provider).await;
    let second = tokens(&http, &provider).await;
    let status = revoke(&http, &provider, &string(&first, "refresh_token"), None).await;
    assert_eq!(status, StatusCode::OK);
    let third = tokens(&http, &provider).await;
    assert!(
        works(&http, &provider, &second).await,
        "the revoked grant went first"
    );
    assert!(works(&http, &provider, &third).await);

    let fourth = tokens(&http, &provider).await;
    assert!(
        !works(&http, &provider, &second).await,
        "then the oldest one"
    );
    let (status, body) = refresh(&http, &provider, &string(&second, "refresh_token")).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(works(&http, &provider, &third).await);
    assert!(works(&http, &provider, &fourth).await);
}

#[tokio::test]
async fn the_oldest_access_token_stops_working_past_the_limit() {
    let provider = provider_with(Limits {
        access_tokens: 2,
        ..Limits::default()
    })
    .await;
    let http = http();
    let first = tokens(&http, &provider).await;
    let (_, second) = refresh(&http, &provider, &string(&first, "refresh_token")).await;
    let (_, third) = refresh(&http, &provider, &string(&second, "refresh_token")).await;
    assert!(!works(&http, &provider, &first).await);
    assert!(works(&http, &provider, &second).await);
    assert!(works(&http, &provider, &third).await);
}

#[tokio::test]
async fn only_the_latest_rotated_refresh_tokens_of_a_grant_are_remembered() {
    let provider = provider_with(Limits {
        rotated_refresh_tokens_per_grant: 2,
        ..Limits::default()
    })
    .await;
    let http = http();
    let mut refresh_tokens = vec![string(&tokens(&http, &provider).await, "refresh_token")];
    for _ in 0..3 {
        let (status, body) = refresh(&http, &provider, refresh_tokens.last().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        refresh_tokens.push(string(&body, "refresh_token"));
    }
    // Rotated: 0, 1 and 2; only 1 and 2 are remembered. 3 is the live one.
    let (status, body) = refresh(&http, &provider, &refresh_tokens[0]).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        provider.stats().refresh_reuse_detected,
        0,
        "forgotten, not reused"
    );

    let (status, _) = refresh(&http, &provider, &refresh_tokens[1]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        provider.stats().refresh_reuse_detected,
        1,
        "remembered reuse"
    );
    let (status, _) = refresh(&http, &provider, &refresh_tokens[3]).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the reuse revoked the grant"
    );
}

#[tokio::test]
async fn stats_keep_only_the_latest_presented_refresh_tokens() {
    let provider = provider_with(Limits {
        presented_refresh_tokens: 3,
        ..Limits::default()
    })
    .await;
    let http = http();
    let presented: Vec<String> = (1..=5).map(|n| format!("unknown-token-{n}")).collect();
    for token in &presented {
        let (status, _) = refresh(&http, &provider, token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let expected: Vec<String> = presented[2..].iter().map(|t| token_hash(t)).collect();
    assert_eq!(provider.stats().refresh_tokens_presented, expected);
}

#[tokio::test]
async fn a_limit_of_zero_is_refused() {
    let error = photolink_demo_provider::start(Config {
        limits: Limits {
            grants: 0,
            ..Limits::default()
        },
        ..Config::default()
    })
    .await
    .unwrap_err();
    assert!(error.to_string().contains("grants"), "{error}");
}
