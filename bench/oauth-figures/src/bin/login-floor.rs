//! The floor of PhotoLink's sign-in figure: what finishing a sign-in the way PhotoLink does
//! costs at the least.
//!
//! For each run, a sign-in with PKCE (and, when the provider offers DPoP, a fresh P-256 key
//! whose thumbprint goes out as `dpop_jkt`) is approved at the provider over HTTP, not timed.
//! Then, timed separately, the steps PhotoLink takes between "link received" and "connected":
//! the DPoP proof for the token request, the one token POST that exchanges the code, the one
//! keyring write of the answer, and the one userinfo request (with its own proof) for the
//! account's name. The keyring item (service `com.example.photolink.bench`) is deleted after
//! each run, not timed.
//!
//!     login-floor --issuer http://127.0.0.1:PORT [--runs 5]
//!
//! Prints one line per run: `{"dpop": true, "dpop_proof_ms": …, "token_request_ms": …,
//! "keyring_write_ms": …, "userinfo_ms": …}` (`dpop_proof_ms` is 0 without DPoP).

use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use photolink_oauth::{AccessToken, DpopKey};
use rand::RngCore;
use sha2::{Digest, Sha256};
use url::Url;

use photolink_demo_provider::consent_page;

use photolink_bench_oauth::{
    Args, CLIENT_ID, Provider, REDIRECT_URI, Result, SCOPES, millis_since,
};

const KEYRING_SERVICE: &str = "com.example.photolink.bench";
const KEYRING_ACCOUNT: &str = "login-floor";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("login-floor: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let args = Args::parse(&["issuer", "runs"])?;
    let provider = Provider::discover(args.text("issuer")?).await?;
    let entry = keyring::Entry::new(KEYRING_SERVICE, KEYRING_ACCOUNT)?;
    let token_url = Url::parse(&provider.token_endpoint)?;
    let userinfo_url = Url::parse(&provider.userinfo_endpoint)?;
    for _ in 0..args.number("runs", 5)? {
        let key = provider.offers_dpop.then(DpopKey::generate).transpose()?;
        let (code, verifier) = approved_code(&provider, key.as_ref()).await?;

        let started = Instant::now();
        let proof = match &key {
            Some(key) => Some(key.proof("POST", &token_url, None, None)?),
            None => None,
        };
        let dpop_proof_ms = if key.is_some() {
            millis_since(started)
        } else {
            0.0
        };

        let started = Instant::now();
        let mut request = provider
            .http()
            .post(token_url.clone())
            .header("Accept", "application/json");
        if let Some(proof) = proof {
            request = request.header("DPoP", proof);
        }
        let answer = request
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT_URI),
                ("client_id", CLIENT_ID),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        let tokens: serde_json::Value = serde_json::from_str(&answer)?;
        let access_token = AccessToken::new(
            tokens["access_token"]
                .as_str()
                .ok_or("the token answer has no access_token")?,
        );
        let token_request_ms = millis_since(started);

        let started = Instant::now();
        entry.set_password(&answer)?;
        let keyring_write_ms = millis_since(started);

        let started = Instant::now();
        let mut request = provider
            .http()
            .get(userinfo_url.clone())
            .header("Accept", "application/json");
        request = match &key {
            Some(key) => request
                .header("Authorization", format!("DPoP {}", access_token.secret()))
                .header(
                    "DPoP",
                    key.proof("GET", &userinfo_url, Some(&access_token), None)?,
                ),
            None => request.bearer_auth(access_token.secret()),
        };
        let account: serde_json::Value = request.send().await?.error_for_status()?.json().await?;
        if !account["sub"].is_string() {
            return Err("the userinfo answer has no sub".into());
        }
        let userinfo_ms = millis_since(started);

        entry.delete_credential()?;
        println!(
            "{}",
            serde_json::json!({
                "dpop": key.is_some(),
                "dpop_proof_ms": dpop_proof_ms,
                "token_request_ms": token_request_ms,
                "keyring_write_ms": keyring_write_ms,
                "userinfo_ms": userinfo_ms,
            })
        );
    }
    Ok(())
}

/// Starts a sign-in with a fresh PKCE pair (bound to `key` when there is one), approves it, and
/// returns the code and verifier.
async fn approved_code(provider: &Provider, key: Option<&DpopKey>) -> Result<(String, String)> {
    let mut random = [0u8; 32];
    rand::rng().fill_bytes(&mut random);
    let verifier = URL_SAFE_NO_PAD.encode(random);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    rand::rng().fill_bytes(&mut random);
    let state = URL_SAFE_NO_PAD.encode(random);
    let mut authorize_url = Url::parse_with_params(
        &provider.authorization_endpoint,
        [
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", SCOPES),
            ("state", state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )?;
    if let Some(key) = key {
        authorize_url
            .query_pairs_mut()
            .append_pair("dpop_jkt", &key.thumbprint());
    }
    let callback = Url::parse(&consent_page::approve(provider.http(), &authorize_url).await?)?;
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    if param("state").as_deref() != Some(state.as_str()) {
        return Err("the callback's state does not match".into());
    }
    let code = param("code").ok_or("the callback has no code")?;
    Ok((code, verifier))
}
