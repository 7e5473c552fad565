//! DPoP (RFC 9449): the core against the demo provider with DPoP required and nonces demanded,
//! stolen tokens refused, and the nonce retry against scripted servers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use photolink_demo_provider::Config;
use photolink_oauth::{
    AccessToken, DpopKey, Error, MemoryTokenStore, PendingAuthorization, Persistence,
    ResponseProblem, ServerMetadata, Session, TokenErrorCode, TokenSet, TokenStore,
};
use url::Url;

use crate::faults::{SignedOut, signed_out};
use crate::support::assert_unexpected_status;
use crate::support::consent::{Decision, decide};
use crate::support::mock::{self, Captured, Mock, config, exchange, json};
use crate::support::provider::{self, Connected, connected, expire_locally};

fn dpop_required() -> Config {
    Config {
        require_dpop: true,
        ..Config::default()
    }
}

fn nonces_demanded() -> Config {
    Config {
        require_dpop: true,
        dpop_nonce: true,
        ..Config::default()
    }
}

/// The claims of a captured request's DPoP proof.
fn proof_claims(request: &Captured) -> serde_json::Value {
    let proof = request.header("dpop").expect("the request carries a proof");
    let claims = proof.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap()
}

/// The saved tokens as the keyring would hold them: through their JSON form.
fn through_storage(tokens: &TokenSet) -> TokenSet {
    serde_json::from_str(&serde_json::to_string(tokens).unwrap()).unwrap()
}

async fn get(url: &str, authorization: &str, proof: Option<String>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .get(url)
        .header("authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    request.send().await.unwrap()
}

/// GETs `url` with `token` as a DPoP token and a proof signed by `key`.
async fn get_with_proof_of(key: &DpopKey, url: &Url, token: &AccessToken) -> reqwest::Response {
    let proof = key.proof("GET", url, Some(token), None).unwrap();
    get(
        url.as_str(),
        &format!("DPoP {}", token.secret()),
        Some(proof),
    )
    .await
}

fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn with_dpop_required_tokens_are_bound_and_connect_refresh_and_fetch_photos() {
    let connected = connected(dpop_required()).await;
    assert!(connected.client.uses_dpop(), "the metadata offers ES256");
    let saved = connected.saved();
    assert_eq!(saved.token_type, "DPoP");
    assert!(saved.dpop_key.is_some(), "the key is kept with the tokens");

    let photos = connected.get_photos().await.unwrap();
    assert_eq!(photos.status, 200);
    assert_eq!(
        connected.session.userinfo().await.unwrap().sub,
        "demo-user-alex"
    );

    connected.provider.expire_access_tokens().unwrap();
    connected
        .get_photos()
        .await
        .expect("the bound refresh token refreshes with a proof");
    let stats = connected.provider.stats();
    assert_eq!(stats.refresh_grants, 1);
    assert_eq!(stats.dpop_proofs_refused, 0);
    // Code exchange, refresh, and four resource requests (photos, userinfo, the refused and
    // the retried photos request: the expired token is refused before its proof is read).
    assert_eq!(stats.dpop_proofs_accepted, 5);
    let refreshed = connected.saved();
    assert_eq!(
        refreshed.dpop_key.unwrap().thumbprint(),
        saved.dpop_key.unwrap().thumbprint(),
        "a refresh keeps the key"
    );
}

#[tokio::test]
async fn the_authorization_request_names_the_key_the_tokens_are_bound_to() {
    let provider = provider::start(dpop_required()).await;
    let client = provider::client_for(&provider).await;
    let pending = PendingAuthorization::new();
    let url = pending.begin(&client).unwrap();
    let dpop_jkt = mock::query_param(&url, "dpop_jkt").expect("dpop_jkt is sent");
    let callback = decide(&url, Decision::Approve).await;
    let store = Arc::new(MemoryTokenStore::new());
    let session = Session::new(client.clone(), store.clone()).unwrap();
    let persistence = session
        .connect(pending.complete(&callback).unwrap())
        .await
        .unwrap();
    assert_eq!(persistence, Persistence::Saved);
    let saved = store.load().unwrap().unwrap();
    assert_eq!(saved.dpop_key.unwrap().thumbprint(), dpop_jkt);
    let token = session.access_token().await.unwrap();
    // The token works with proofs of that key, and not with another's.
    let photos = session
        .authorized_get(&provider.endpoints().photos)
        .await
        .unwrap();
    assert_eq!(photos.status, 200);
    let other = DpopKey::generate().unwrap();
    assert_ne!(other.thumbprint(), dpop_jkt);
    let photos = Url::parse(&provider.endpoints().photos).unwrap();
    let refused = get_with_proof_of(&other, &photos, &token).await;
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn a_code_bound_by_dpop_jkt_is_refused_with_a_proof_of_another_key() {
    let provider = provider::start(dpop_required()).await;
    let client = provider::client_for(&provider).await;
    let pending = PendingAuthorization::new();
    let url = pending.begin(&client).unwrap();
    let callback = decide(&url, Decision::Approve).await;

    // Swap the sign-in's key for another one, as a thief holding only the code would have.
    let mut saved = serde_json::to_value(pending.saved().unwrap()).unwrap();
    let other = TokenSet {
        dpop_key: Some(Arc::new(DpopKey::generate().unwrap())),
        ..mock::stored_tokens("a", None, 60)
    };
    saved["dpop_key"] = serde_json::to_value(&other).unwrap()["dpop_key"].clone();
    pending
        .restore(&client, serde_json::from_value(saved).unwrap())
        .unwrap();

    let error = client
        .exchange_code(pending.complete(&callback).unwrap())
        .await
        .unwrap_err();
    assert!(error.is_invalid_grant(), "{error:?}");
    assert_eq!(provider.stats().authorization_code_grants, 0);
}

#[tokio::test]
async fn with_nonces_demanded_each_challenge_is_answered_once_and_the_nonce_is_remembered() {
    let connected = connected(nonces_demanded()).await;
    assert_eq!(
        connected.provider.stats().dpop_nonces_demanded,
        1,
        "the first token request learns the nonce"
    );
    connected.get_photos().await.unwrap();
    assert_eq!(
        connected.provider.stats().dpop_nonces_demanded,
        1,
        "the same server's nonce is reused"
    );

    // Two rotations make the remembered nonce stale: one more challenge, one retry.
    connected.provider.rotate_dpop_nonce();
    connected.provider.rotate_dpop_nonce();
    connected
        .get_photos()
        .await
        .expect("the resource request is retried with the new nonce");
    assert_eq!(connected.provider.stats().dpop_nonces_demanded, 2);

    connected.provider.expire_access_tokens().unwrap();
    connected
        .get_photos()
        .await
        .expect("the refresh carries the latest nonce");
    let stats = connected.provider.stats();
    assert_eq!(stats.dpop_nonces_demanded, 2);
    assert_eq!(stats.refresh_grants, 1);

    connected.provider.rotate_dpop_nonce();
    connected.provider.rotate_dpop_nonce();
    connected
        .session
        .disconnect()
        .await
        .expect("revocation works");
    let stats = connected.provider.stats();
    assert_eq!(stats.revocation_requests, 2);
    assert_eq!(stats.grants_revoked, 1);
    assert_eq!(stats.dpop_nonces_demanded, 3);
}

#[tokio::test]
async fn a_stolen_dpop_bound_access_token_is_refused_as_bearer_and_from_another_key() {
    let connected = connected(dpop_required()).await;
    let token = connected.session.access_token().await.unwrap();
    let photos = connected.photos_url();

    let as_bearer = get(&photos, &format!("Bearer {}", token.secret()), None).await;
    assert_eq!(as_bearer.status(), 401);
    assert!(challenge(&as_bearer).contains("invalid_token"));

    let without_proof = get(&photos, &format!("DPoP {}", token.secret()), None).await;
    assert_eq!(without_proof.status(), 401);
    assert!(challenge(&without_proof).contains("invalid_dpop_proof"));

    let thief = DpopKey::generate().unwrap();
    let url = Url::parse(&photos).unwrap();
    let other_key = get_with_proof_of(&thief, &url, &token).await;
    assert_eq!(other_key.status(), 401);
    assert!(challenge(&other_key).contains("invalid_dpop_proof"));

    // The refresh token is bound too: refused with another key, and the grant lives on.
    let refresh_token = connected.saved().refresh_token.unwrap();
    let token_url = Url::parse(&connected.provider.endpoints().token).unwrap();
    let stolen_refresh = reqwest::Client::new()
        .post(token_url.clone())
        .header("dpop", thief.proof("POST", &token_url, None, None).unwrap())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.secret()),
            ("client_id", "photolink-desktop"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(stolen_refresh.status(), 400);
    let body: serde_json::Value = stolen_refresh.json().await.unwrap();
    assert_eq!(body["error"], "invalid_dpop_proof");

    assert_eq!(
        connected
            .session
            .authorized_get(&photos)
            .await
            .unwrap()
            .status,
        200
    );
    connected.provider.expire_access_tokens().unwrap();
    assert_eq!(
        connected
            .session
            .authorized_get(&photos)
            .await
            .unwrap()
            .status,
        200,
        "the real holder still refreshes"
    );
    let stats = connected.provider.stats();
    assert_eq!(stats.grants_revoked, 0);
    assert_eq!(stats.refresh_reuse_detected, 0);
}

#[tokio::test]
async fn bound_tokens_work_after_a_restart_and_disconnect_revokes_them_with_proofs() {
    let first = connected(dpop_required()).await;
    // A new process: the tokens and key come back from their stored (JSON) form.
    let store = Arc::new(MemoryTokenStore::with_tokens(through_storage(
        &first.saved(),
    )));
    let restarted = Connected {
        session: Arc::new(Session::new(first.client.clone(), store.clone()).unwrap()),
        store,
        ..first
    };
    restarted.provider.expire_access_tokens().unwrap();
    expire_locally(&restarted);
    restarted
        .get_photos()
        .await
        .expect("the stored key refreshes the bound refresh token");
    assert_eq!(restarted.provider.stats().refresh_grants, 1);
    let token = restarted.session.access_token().await.unwrap();

    restarted
        .session
        .disconnect()
        .await
        .expect("revocation works");
    assert!(
        restarted.store.load().unwrap().is_none(),
        "key and tokens are gone"
    );
    let stats = restarted.provider.stats();
    assert_eq!(stats.revocation_requests, 2);
    assert_eq!(stats.grants_revoked, 1);
    assert_eq!(stats.dpop_proofs_refused, 0);
    let key = DpopKey::generate().unwrap();
    let url = Url::parse(&restarted.photos_url()).unwrap();
    let after = get_with_proof_of(&key, &url, &token).await;
    assert_eq!(after.status(), 401);
}

#[tokio::test]
async fn dpop_is_used_when_the_metadata_offers_es256_or_the_configuration_asks() {
    let metadata = |algorithms: &[&str]| {
        let mut metadata = ServerMetadata::new(
            "https://a.example",
            "https://a.example/authorize",
            "https://a.example/token",
        );
        metadata.dpop_signing_alg_values_supported =
            algorithms.iter().map(|a| a.to_string()).collect();
        metadata
    };
    let uses = |dpop: bool, algorithms: &[&str]| {
        photolink_oauth::OAuthClient::new(config().with_dpop(dpop), metadata(algorithms))
            .map(|client| client.uses_dpop())
    };
    assert!(!uses(false, &[]).unwrap());
    assert!(uses(true, &[]).unwrap());
    assert!(uses(false, &["RS256", "ES256"]).unwrap());
    assert!(!uses(false, &["RS256"]).unwrap());
    assert!(matches!(
        uses(true, &["RS256"]),
        Err(Error::InvalidConfig(_))
    ));
    let client = photolink_oauth::OAuthClient::new(config(), metadata(&[])).unwrap();
    let url = PendingAuthorization::new().begin(&client).unwrap();
    assert_eq!(mock::query_param(&url, "dpop_jkt"), None);
}

#[tokio::test]
async fn the_token_endpoint_nonce_challenge_is_retried_exactly_once_with_its_nonce() {
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let server = Mock::start(move |_| {
        let n = count.fetch_add(1, Ordering::SeqCst);
        let mut answer = json(400, r#"{"error":"use_dpop_nonce"}"#);
        answer
            .headers_mut()
            .insert("dpop-nonce", format!("nonce-{n}").parse().unwrap());
        answer
    })
    .await;
    let client = server.client_with(config().with_dpop(true));
    let error = exchange(&client, "code-1").await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Token {
                code: TokenErrorCode::Other(code),
                ..
            } if code == "use_dpop_nonce"
        ),
        "{error:?}"
    );
    let requests = server.requests_to("/token");
    assert_eq!(requests.len(), 2, "one retry, no more");
    assert!(proof_claims(&requests[0]).get("nonce").is_none());
    assert_eq!(proof_claims(&requests[1])["nonce"], "nonce-0");
    assert_ne!(
        proof_claims(&requests[0])["jti"],
        proof_claims(&requests[1])["jti"]
    );
    assert_eq!(proof_claims(&requests[1])["htm"], "POST");
    assert_eq!(
        proof_claims(&requests[1])["htu"],
        format!("{}/token", server.base)
    );
}

#[tokio::test]
async fn a_challenge_without_a_nonce_is_not_retried_and_a_dpop_token_needs_a_proof() {
    let server = Mock::start(|request| {
        if request.header("dpop").is_some() {
            json(400, r#"{"error":"use_dpop_nonce"}"#)
        } else {
            json(200, r#"{"access_token":"a","token_type":"DPoP"}"#)
        }
    })
    .await;
    let with_dpop = server.client_with(config().with_dpop(true));
    let error = exchange(&with_dpop, "c").await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Token { code: TokenErrorCode::Other(code), status: 400, .. }
                if code == "use_dpop_nonce"
        ),
        "{error:?}"
    );
    assert_eq!(server.requests_to("/token").len(), 1);

    let without = server.client();
    let error = exchange(&without, "c").await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::UnexpectedResponse { status: 200, detail, .. }
                if *detail == ResponseProblem::UnrequestedDpopBinding
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_resource_nonce_challenge_is_retried_once_with_the_nonce_and_the_token_hash() {
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let server = Mock::start(move |request| {
        if request.path == "/token" {
            return json(
                200,
                r#"{"access_token":"bound-token","token_type":"DPoP","expires_in":3600}"#,
            );
        }
        let n = count.fetch_add(1, Ordering::SeqCst);
        let challenge = r#"DPoP error="use_dpop_nonce", error_description="nonce needed""#;
        (
            StatusCode::UNAUTHORIZED,
            [
                ("www-authenticate", challenge.to_owned()),
                ("dpop-nonce", format!("rs-nonce-{n}")),
            ],
        )
            .into_response()
    })
    .await;
    let client = server.client_with(config().with_dpop(true));
    let tokens = exchange(&client, "code").await.unwrap();
    assert_eq!(tokens.token_type, "DPoP");
    let session = Session::new(client, Arc::new(MemoryTokenStore::with_tokens(tokens))).unwrap();
    let error = session
        .authorized_get(&format!("{}/photos?page_size=5#top", server.base))
        .await
        .unwrap_err();
    assert_unexpected_status(&error, 401);
    let requests = server.requests_to("/photos");
    assert_eq!(requests.len(), 2, "one retry, no more");
    assert_eq!(
        requests[0].header("authorization"),
        Some("DPoP bound-token")
    );
    let first = proof_claims(&requests[0]);
    let second = proof_claims(&requests[1]);
    assert!(first.get("nonce").is_none());
    assert_eq!(second["nonce"], "rs-nonce-0");
    assert_eq!(second["htm"], "GET");
    assert_eq!(second["htu"], format!("{}/photos", server.base));
    let hash = URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(b"bound-token"));
    assert_eq!(second["ath"], hash);
}

#[tokio::test]
async fn a_sign_in_finished_by_a_new_process_redeems_its_code_with_the_saved_key() {
    let provider = provider::start(dpop_required()).await;
    let client = provider::client_for(&provider).await;
    let started = PendingAuthorization::new();
    let url = started.begin(&client).unwrap();
    let dpop_jkt = mock::query_param(&url, "dpop_jkt").unwrap();
    // What the keyring's sign-in entry holds, read back by the process the callback starts.
    let saved = started.saved().unwrap();
    drop(started);
    let callback = decide(&url, Decision::Approve).await;

    let restored = provider::restored_in_a_new_process(&client, saved);
    let tokens = client
        .exchange_code(restored.complete(&callback).unwrap())
        .await
        .expect("the code is redeemed with the key named by dpop_jkt");
    assert_eq!(tokens.token_type, "DPoP");
    assert_eq!(tokens.dpop_key.unwrap().thumbprint(), dpop_jkt);
}

#[tokio::test]
async fn with_dpop_required_by_the_configuration_a_bearer_answer_is_refused() {
    let SignedOut {
        provider,
        client,
        store,
        session,
    } = signed_out(Config::default(), config().with_dpop(true)).await;
    provider
        .set_faults([photolink_demo_provider::Fault::TokenUnboundBearer.times(1)])
        .unwrap();

    let error = provider::sign_in(&client, &session).await.unwrap_err();

    assert!(matches!(error, Error::DpopNotBound), "{error:?}");
    assert_eq!(
        error.to_string(),
        "DPoP is required, but the server issued a token not bound to the key"
    );
    crate::faults::assert_shows_no_token(&error, &[]);
    assert_eq!(session.status(), photolink_oauth::SessionStatus::SignedOut);
    assert!(store.load().unwrap().is_none(), "nothing is stored");

    // A server that binds the tokens connects with the same configuration.
    provider.clear_faults();
    let persistence = provider::sign_in(&client, &session).await.unwrap();
    assert_eq!(persistence, Persistence::Saved);
    let bound = store.load().unwrap().unwrap();
    assert_eq!(bound.token_type, "DPoP");

    // A refresh answered with a bearer token is refused too, and the bound tokens are kept.
    provider
        .set_faults([photolink_demo_provider::Fault::TokenUnboundBearer.times(1)])
        .unwrap();
    let error = client.refresh(&bound).await.unwrap_err();
    assert!(matches!(error, Error::DpopNotBound), "{error:?}");
    let kept = store.load().unwrap().unwrap();
    assert_eq!(kept.access_token.secret(), bound.access_token.secret());
    assert_eq!(kept.token_type, "DPoP");
}
