//! DPoP (RFC 9449) at the provider, over HTTP: advertising, requiring proofs, the nonce
//! challenge, `dpop_jkt` validation. (Signed proofs are exercised in the `dpop` module's unit
//! tests and, end to end, in the OAuth core's integration tests.)

mod common;

use common::*;
use photolink_demo_provider::Config;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn dpop_is_advertised_only_when_offered_or_required() {
    let plain = provider(Config::default()).await;
    assert!(
        oauth_metadata(&plain)
            .await
            .get("dpop_signing_alg_values_supported")
            .is_none()
    );
    for config in [
        Config {
            offer_dpop: true,
            ..Config::default()
        },
        Config {
            require_dpop: true,
            ..Config::default()
        },
    ] {
        let provider = provider(config).await;
        assert_eq!(
            oauth_metadata(&provider).await["dpop_signing_alg_values_supported"],
            serde_json::json!(["ES256"])
        );
    }
}

#[tokio::test]
async fn without_dpop_required_tokens_without_a_proof_are_bearer_tokens() {
    let provider = provider(Config {
        offer_dpop: true,
        ..Config::default()
    })
    .await;
    let tokens = tokens(&http(), &provider).await;
    assert_eq!(tokens["token_type"], "Bearer");
    let photos = get_photos(&http(), &provider, &string(&tokens, "access_token")).await;
    assert_eq!(photos.status(), StatusCode::OK);
}

#[tokio::test]
async fn with_dpop_required_a_request_without_a_proof_is_refused_and_spends_nothing() {
    let provider = provider(Config {
        require_dpop: true,
        ..Config::default()
    })
    .await;
    let http = http();
    let pkce = Pkce::new();
    let code = authorization_code(&http, &provider, &pkce).await;
    let (status, body) = exchange(&http, &provider, &code, &pkce.verifier).await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    let stats = provider.stats();
    assert_eq!(stats.dpop_proofs_refused, 1);
    assert_eq!(stats.code_reuse_detected, 0);

    let (status, _, body) = post_form(
        &http,
        &provider.endpoints().revocation,
        &[("token", "anything"), ("client_id", CLIENT_ID)],
    )
    .await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_dpop_proof");
}

#[tokio::test]
async fn a_malformed_proof_is_refused_before_the_code_is_looked_at() {
    let provider = provider(Config::default()).await;
    let http = http();
    let pkce = Pkce::new();
    let code = authorization_code(&http, &provider, &pkce).await;
    let form = code_exchange_form(&code, &pkce.verifier, &[]);
    let refused = http
        .post(&provider.endpoints().token)
        .header("dpop", "not.a.proof")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "invalid_dpop_proof");
    // The code was not spent: it still works (without a proof, as DPoP is not required).
    let (status, body) = exchange(&http, &provider, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
}

#[tokio::test]
async fn demanded_nonces_come_with_every_token_answer() {
    let provider = provider(Config {
        require_dpop: true,
        dpop_nonce: true,
        ..Config::default()
    })
    .await;
    let (status, headers, body) = post_form(
        &http(),
        &provider.endpoints().token,
        &refresh_form("unknown", &[]),
    )
    .await;
    assert_oauth_error(status, &body, StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    let nonce = headers
        .get("dpop-nonce")
        .and_then(|v| v.to_str().ok())
        .expect("a DPoP-Nonce header")
        .to_owned();
    assert!(nonce.len() >= 32, "{nonce}");
    provider.rotate_dpop_nonce();
    let (_, headers, _) = post_form(
        &http(),
        &provider.endpoints().token,
        &refresh_form("unknown", &[]),
    )
    .await;
    assert_ne!(headers.get("dpop-nonce").unwrap().to_str().unwrap(), nonce);
}

#[tokio::test]
async fn a_dpop_jkt_that_is_not_a_thumbprint_is_sent_back_as_invalid_request() {
    let provider = provider(Config::default()).await;
    let http = http();
    let pkce = Pkce::new();
    let url = authorize_url(&provider, &pkce, &[("dpop_jkt", "too-short")]);
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let callback = location(&response);
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("invalid_request")
    );
    assert!(
        query_param(&callback, "error_description")
            .unwrap()
            .contains("dpop_jkt")
    );
}
