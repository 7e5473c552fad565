//! Verified OpenID Connect sign-in against the demo provider: the nonce travels with the
//! sign-in (across a restart too), the ID token is verified with the provider's JWK Set,
//! fetched once and again only for a key it has not seen.

use std::sync::Arc;

use axum::Json;
use axum::response::IntoResponse;
use photolink_demo_provider::{Config, ProviderHandle};
use photolink_oauth::{
    ClientConfig, Error, IdTokenError, OAuthClient, PendingAuthorization, SavedSignIn, TokenSet,
};
use serde_json::json;

use crate::support::mock::{Mock, REDIRECT_URI, exchange, query_param};
use crate::support::provider::{
    approve_and_connect, approve_and_exchange, client_with, restored_in_a_new_process, start,
};

fn openid_config() -> ClientConfig {
    ClientConfig::new("photolink-desktop", REDIRECT_URI).with_scopes(["openid", "profile"])
}

async fn sign_in(client: &OAuthClient) -> TokenSet {
    let pending = PendingAuthorization::new();
    let url = pending.start(client).await.unwrap();
    approve_and_exchange(client, &pending, &url)
        .await
        .expect("the ID token verifies")
}

async fn openid_client(provider: &ProviderHandle) -> OAuthClient {
    client_with(provider, openid_config()).await
}

/// An OpenID client of `mock`, whose JWK Set is at `/jwks`.
fn openid_client_of_mock(mock: &Mock) -> OAuthClient {
    let mut metadata = mock.metadata();
    metadata.jwks_uri = Some(format!("{}/jwks", mock.base));
    OAuthClient::new(openid_config(), metadata).unwrap()
}

#[tokio::test]
async fn a_pushed_openid_sign_in_is_verified_and_names_the_account() {
    let provider = start(Config {
        require_par: true,
        ..Config::default()
    })
    .await;
    let client = openid_client(&provider).await;
    let pending = PendingAuthorization::new();
    let url = pending.start(&client).await.unwrap();
    let session = approve_and_connect(client, &pending, &url).await;
    let claims = session.id_token_claims().expect("verified claims");
    assert_eq!(claims.sub, "demo-user-alex");
    assert_eq!(claims.name.as_deref(), Some("Alex Rivera"));
    assert_eq!(claims.email.as_deref(), Some("alex@demo.photos"));
    let stats = provider.stats();
    assert_eq!(stats.pushed_authorization_requests, 1);
    assert_eq!(stats.id_tokens_issued, 1);
    assert_eq!(stats.jwks_requests, 1);
}

#[tokio::test]
async fn the_nonce_is_sent_only_with_openid() {
    let provider = start(Config::default()).await;
    let openid = openid_client(&provider).await;
    let url = PendingAuthorization::new().begin(&openid).unwrap();
    assert_eq!(query_param(&url, "nonce").map(|n| n.len()), Some(43));
    let plain = client_with(
        &provider,
        ClientConfig::new("photolink-desktop", REDIRECT_URI).with_scopes(["profile"]),
    )
    .await;
    let url = PendingAuthorization::new().begin(&plain).unwrap();
    assert_eq!(query_param(&url, "nonce"), None);
    let tokens = sign_in(&plain).await;
    assert!(tokens.id_token_claims.is_none());
    assert_eq!(provider.stats().jwks_requests, 0);
}

#[tokio::test]
async fn a_sign_in_restored_in_a_new_process_verifies_its_nonce() {
    let provider = start(Config::default()).await;
    let client = openid_client(&provider).await;
    let pending = PendingAuthorization::new();
    let url = pending.start(&client).await.unwrap();
    let saved = pending.saved().unwrap();
    drop(pending);

    let restarted_client = openid_client(&provider).await;
    let restarted = restored_in_a_new_process(&restarted_client, saved);
    let tokens = approve_and_exchange(&restarted_client, &restarted, &url)
        .await
        .expect("the ID token verifies");
    assert_eq!(tokens.id_token_claims.unwrap().sub, "demo-user-alex");
}

#[tokio::test]
async fn the_key_set_is_cached_and_fetched_once_more_for_a_key_it_has_not_seen() {
    let provider = start(Config::default()).await;
    let client = openid_client(&provider).await;
    sign_in(&client).await;
    sign_in(&client).await;
    assert_eq!(provider.stats().jwks_requests, 1, "the key set is cached");
    provider.rotate_id_token_key().unwrap();
    let tokens = sign_in(&client).await;
    assert!(tokens.id_token_claims.is_some());
    assert_eq!(
        provider.stats().jwks_requests,
        2,
        "one fetch for the new kid"
    );
}

#[tokio::test]
async fn an_openid_answer_without_an_id_token_is_refused() {
    let mock = Mock::start(|_| {
        Json(json!({"access_token": "a", "token_type": "Bearer", "expires_in": 60})).into_response()
    })
    .await;
    let client = mock.client_with(openid_config());
    let error = exchange(&client, "c").await.unwrap_err();
    assert!(
        matches!(error, Error::IdToken(IdTokenError::Missing)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_kid_still_unknown_after_one_more_fetch_is_refused() {
    use base64::Engine;
    let encode = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    let token = format!(
        "{}.{}.{}",
        encode(r#"{"alg":"ES256","kid":"nobody-knows"}"#),
        encode(r#"{"iss":"x"}"#),
        encode("signature")
    );
    let mock = Mock::start(move |request| match request.path.as_str() {
        "/jwks" => Json(json!({"keys": []})).into_response(),
        _ => Json(json!({"access_token": "a", "token_type": "Bearer", "id_token": token}))
            .into_response(),
    })
    .await;
    let client = openid_client_of_mock(&mock);
    let error = exchange(&client, "c").await.unwrap_err();
    assert!(
        matches!(error, Error::IdToken(IdTokenError::UnknownKey)),
        "{error:?}"
    );
    assert_eq!(
        mock.requests_to("/jwks").len(),
        2,
        "fetched, then once more"
    );
}

/// Signs ES256 ID tokens for a scripted server, and publishes the key as a JWK Set.
struct TestIssuer {
    key: ring::signature::EcdsaKeyPair,
}

impl TestIssuer {
    fn new() -> Self {
        use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        Self { key }
    }

    fn encode(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn jwks(&self) -> serde_json::Value {
        use ring::signature::KeyPair;
        let point = self.key.public_key().as_ref();
        json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1",
            "x": Self::encode(&point[1..33]), "y": Self::encode(&point[33..])}]})
    }

    fn id_token(&self, issuer: &str, sub: &str, nonce: Option<&str>) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut claims = json!({"iss": issuer, "sub": sub, "aud": "photolink-desktop",
            "exp": now + 300, "iat": now});
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        let input = format!(
            "{}.{}",
            Self::encode(br#"{"alg":"ES256","kid":"k1"}"#),
            Self::encode(claims.to_string().as_bytes())
        );
        let signature = self
            .key
            .sign(&ring::rand::SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", Self::encode(signature.as_ref()))
    }
}

#[tokio::test]
async fn a_refreshed_id_token_must_verify_and_name_the_same_account() {
    let issuer = Arc::new(TestIssuer::new());
    let nonce = Arc::new(std::sync::Mutex::new(String::new()));
    let refreshed_sub = Arc::new(std::sync::Mutex::new("alex".to_owned()));
    let base = Arc::new(std::sync::OnceLock::<String>::new());
    let (answering, nonce_seen, sub, base_seen) = (
        issuer.clone(),
        nonce.clone(),
        refreshed_sub.clone(),
        base.clone(),
    );
    let mock = Mock::start(move |request| {
        let iss = base_seen.get().unwrap();
        match (request.path.as_str(), request.param("grant_type")) {
            ("/jwks", _) => Json(answering.jwks()).into_response(),
            (_, Some("authorization_code")) => Json(json!({"access_token": "a1",
                "token_type": "Bearer", "refresh_token": "r1",
                "id_token": answering.id_token(iss, "alex", Some(&nonce_seen.lock().unwrap()))}))
            .into_response(),
            _ => Json(json!({"access_token": "a2", "token_type": "Bearer",
                "id_token": answering.id_token(iss, &sub.lock().unwrap(), None)}))
            .into_response(),
        }
    })
    .await;
    base.set(mock.base.clone()).unwrap();
    let client = openid_client_of_mock(&mock);
    let pending = PendingAuthorization::new();
    let url = pending.begin(&client).unwrap();
    *nonce.lock().unwrap() = query_param(&url, "nonce").unwrap();
    let state = query_param(&url, "state").unwrap();
    let response = pending
        .complete(&format!("{REDIRECT_URI}?code=c&state={state}"))
        .unwrap();
    let tokens = client.exchange_code(response).await.unwrap();
    assert_eq!(tokens.id_token_claims.as_ref().unwrap().sub, "alex");

    let refreshed = client.refresh(&tokens).await.unwrap();
    assert_eq!(refreshed.id_token_claims.unwrap().sub, "alex");
    *refreshed_sub.lock().unwrap() = "mallory".into();
    let error = client.refresh(&tokens).await.unwrap_err();
    assert!(
        matches!(error, Error::IdToken(IdTokenError::WrongSubject)),
        "{error:?}"
    );
}

/// A saved sign-in as a PhotoLink without nonces wrote it: the JSON of `saved` without its
/// `nonce` member.
fn without_nonce(saved: SavedSignIn) -> SavedSignIn {
    let mut stored = serde_json::to_value(&saved).unwrap();
    assert!(
        stored.as_object_mut().unwrap().remove("nonce").is_some(),
        "an openid sign-in saves its nonce"
    );
    serde_json::from_value(stored).unwrap()
}

#[tokio::test]
async fn an_openid_sign_in_saved_without_a_nonce_is_refused_before_the_code_is_spent() {
    let provider = start(Config::default()).await;
    let client = openid_client(&provider).await;
    let pending = PendingAuthorization::new();
    let url = pending.start(&client).await.unwrap();
    let restored = restored_in_a_new_process(&client, without_nonce(pending.saved().unwrap()));

    let error = approve_and_exchange(&client, &restored, &url)
        .await
        .unwrap_err();

    assert!(
        matches!(error, Error::IdToken(IdTokenError::SignInWithoutNonce)),
        "{error:?}"
    );
    let stats = provider.stats();
    assert_eq!(stats.token_requests, 0, "the code is never sent");
    assert_eq!(stats.id_tokens_issued, 0);
}

#[tokio::test]
async fn a_sign_in_started_before_openid_was_configured_is_refused() {
    let provider = start(Config::default()).await;
    let before = client_with(
        &provider,
        ClientConfig::new("photolink-desktop", REDIRECT_URI).with_scopes(["profile"]),
    )
    .await;
    let pending = PendingAuthorization::new();
    let url = pending.start(&before).await.unwrap();
    let saved = pending.saved().unwrap();

    let after = openid_client(&provider).await;
    let restored = restored_in_a_new_process(&after, saved);
    let error = approve_and_exchange(&after, &restored, &url)
        .await
        .unwrap_err();

    assert!(
        matches!(error, Error::IdToken(IdTokenError::SignInWithoutNonce)),
        "{error:?}"
    );
    assert_eq!(provider.stats().token_requests, 0);
}
