//! The floor of PhotoLink's sign-in figure: what finishing a sign-in costs at the least.
//!
//! For each run, a sign-in with PKCE is approved at the demo provider over HTTP (not timed);
//! then, timed separately, the one token POST that exchanges the code and the one keyring write
//! of the answer, as PhotoLink does between "link received" and "connected". The keyring item
//! (service `com.example.photolink.bench`) is deleted after each run.
//!
//!     login-floor --issuer http://127.0.0.1:PORT [--runs 5]
//!
//! Prints one line per run: `{"token_request_ms": …, "keyring_write_ms": …}`.

use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use url::Url;

use photolink_bench_oauth::{
    Args, CLIENT_ID, Provider, REDIRECT_URI, Result, SCOPES, consent, millis_since,
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
    for _ in 0..args.number("runs", 5)? {
        let (code, verifier) = approved_code(&provider).await?;

        let started = Instant::now();
        let answer = provider
            .http()
            .post(&provider.token_endpoint)
            .header("Accept", "application/json")
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
        if !tokens["access_token"].is_string() {
            return Err("the token answer has no access_token".into());
        }
        let token_request_ms = millis_since(started);

        let started = Instant::now();
        entry.set_password(&answer)?;
        let keyring_write_ms = millis_since(started);

        entry.delete_credential()?;
        println!(
            "{}",
            serde_json::json!({
                "token_request_ms": token_request_ms,
                "keyring_write_ms": keyring_write_ms,
            })
        );
    }
    Ok(())
}

/// Starts a sign-in with a fresh PKCE pair, approves it, and returns the code and verifier.
async fn approved_code(provider: &Provider) -> Result<(String, String)> {
    let mut random = [0u8; 32];
    rand::rng().fill_bytes(&mut random);
    let verifier = URL_SAFE_NO_PAD.encode(random);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    rand::rng().fill_bytes(&mut random);
    let state = URL_SAFE_NO_PAD.encode(random);
    let authorize_url = Url::parse_with_params(
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
    let callback = Url::parse(&consent::approve(provider, &authorize_url).await?)?;
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
