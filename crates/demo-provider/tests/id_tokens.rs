//! OpenID Connect: a sign-in with `openid` gets an ES256 ID token with its nonce, which the
//! JWK Set at `jwks_uri` verifies; other sign-ins and refreshes get none.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use photolink_demo_provider::{Config, ProviderHandle};
use reqwest::StatusCode;
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use serde_json::Value;

/// Signs in with `scope` (and `nonce`, if any); returns the token answer.
async fn sign_in(provider: &ProviderHandle, scope: &str, nonce: Option<&str>) -> Value {
    let pkce = Pkce::new();
    let mut extra = vec![("scope", scope)];
    if let Some(nonce) = nonce {
        extra.push(("nonce", nonce));
    }
    let code = authorization_code_with(&http(), provider, &pkce, &extra).await;
    let (status, body) = exchange(&http(), provider, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The claims of `token`, after checking its signature with the provider's JWK Set.
async fn verified_claims(provider: &ProviderHandle, token: &str) -> Value {
    let jwks = get_json(&http(), &provider.endpoints().jwks).await;
    let (input, signature) = token.rsplit_once('.').unwrap();
    let decode = |text: &str| URL_SAFE_NO_PAD.decode(text).unwrap();
    let header: Value = serde_json::from_slice(&decode(input.split('.').next().unwrap())).unwrap();
    assert_eq!(header["alg"], "ES256");
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == header["kid"])
        .expect("the JWK Set has the token's key");
    let point = [
        &[4u8][..],
        &decode(key["x"].as_str().unwrap()),
        &decode(key["y"].as_str().unwrap()),
    ]
    .concat();
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
        .verify(input.as_bytes(), &decode(signature))
        .expect("the signature verifies");
    serde_json::from_slice(&decode(input.split('.').nth(1).unwrap())).unwrap()
}

#[tokio::test]
async fn an_openid_sign_in_gets_a_signed_id_token_with_its_nonce() {
    let provider = provider(Config::default()).await;
    let answer = sign_in(
        &provider,
        "openid profile photos:read",
        Some("n-0S6_WzA2Mj"),
    )
    .await;
    let claims = verified_claims(&provider, answer["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["iss"], provider.issuer_url());
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["name"], "Alex Rivera");
    assert!(claims["exp"].as_u64().unwrap() > claims["iat"].as_u64().unwrap());
    let stats = provider.stats();
    assert_eq!((stats.id_tokens_issued, stats.jwks_requests), (1, 1));
}

#[tokio::test]
async fn sign_ins_without_openid_and_refreshes_get_no_id_token() {
    let provider = provider(Config::default()).await;
    let answer = sign_in(&provider, "photos:read profile", None).await;
    assert!(answer.get("id_token").is_none(), "{answer}");
    let openid = sign_in(&provider, "openid", None).await;
    assert!(openid.get("id_token").is_some());
    let (status, _, refreshed) = post_form(
        &http(),
        &provider.endpoints().token,
        &refresh_form(openid["refresh_token"].as_str().unwrap(), &[]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(refreshed.get("id_token").is_none(), "{refreshed}");
}

#[tokio::test]
async fn a_rotated_key_replaces_the_old_one_in_the_jwk_set() {
    let provider = provider(Config::default()).await;
    let before = sign_in(&provider, "openid", None).await;
    provider.rotate_id_token_key().unwrap();
    let after = sign_in(&provider, "openid", None).await;
    verified_claims(&provider, after["id_token"].as_str().unwrap()).await;
    let kid = |answer: &Value| {
        let token = answer["id_token"].as_str().unwrap();
        let header = URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap();
        serde_json::from_slice::<Value>(&header).unwrap()["kid"].clone()
    };
    assert_ne!(kid(&before), kid(&after));
}
