//! Many concurrent photo API calls on an expired access token, through one core
//! [`Session`]: its refresh is single-flight, so exactly one refresh request should reach the
//! provider however many calls need a fresh token at once.
//!
//! Connects an account at the demo provider (consent approved over HTTP), waits until the
//! access token has expired, then starts every call at once and waits for all of them. The
//! provider must run with `--test-controls` (its counters are read before and after) and a short
//! `--access-token-ttl`, given here as `--ttl`.
//!
//!     refresh-storm --issuer http://127.0.0.1:PORT --ttl 2 [--calls 1000]
//!
//! Prints `{"calls": …, "succeeded": …, "refresh_requests": …, "token_requests": …,
//! "refresh_reuse_detected": …, "wall_ms": …}`: `refresh_requests` counts successful
//! `refresh_token` grants, `token_requests` every request to the token endpoint, and
//! `refresh_reuse_detected` the already-rotated refresh tokens presented (each one ends the
//! grant), all during the storm. Single-flight holds when both request counts are 1, reuse is
//! 0 and every call succeeded; the benchmark driver checks that.

use std::sync::Arc;
use std::time::{Duration, Instant};

use photolink_oauth::{ClientConfig, MemoryTokenStore, OAuthClient, PendingAuthorization, Session};

use photolink_demo_provider::consent_page;

use photolink_bench_oauth::{
    Args, CLIENT_ID, Provider, REDIRECT_URI, Result, SCOPES, millis_since,
};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("refresh-storm: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let args = Args::parse(&["issuer", "ttl", "calls"])?;
    let provider = Provider::discover(args.text("issuer")?).await?;
    let ttl = Duration::from_secs(args.number("ttl", 2)?);
    let calls = args.number("calls", 1000)?;

    let config = ClientConfig::new(CLIENT_ID, REDIRECT_URI).with_scopes(SCOPES.split(' '));
    let client = OAuthClient::discover(config, &provider.issuer).await?;
    let session = Arc::new(Session::open(client.clone(), Arc::new(MemoryTokenStore::new())).await?);
    let pending = PendingAuthorization::new();
    let authorize_url = pending.begin(&client)?;
    let callback = consent_page::approve(provider.http(), &authorize_url).await?;
    let response = pending
        .complete(&callback)
        .map_err(|error| format!("the callback was refused: {error:?}"))?;
    let _ = session.connect(response).await?;
    // Past the token's lifetime, so every call needs a fresh one.
    tokio::time::sleep(ttl + Duration::from_millis(500)).await;

    let refreshes_before = provider.counter("refresh_grants").await?;
    let token_requests_before = provider.counter("token_requests").await?;
    let reuse_before = provider.counter("refresh_reuse_detected").await?;
    let photos = format!("{}/photos", provider.issuer);
    let started = Instant::now();
    let storm: Vec<_> = (0..calls)
        .map(|_| {
            let session = session.clone();
            let photos = photos.clone();
            tokio::spawn(async move { session.authorized_get(&photos).await.is_ok() })
        })
        .collect();
    let mut succeeded = 0;
    for call in storm {
        if call.await? {
            succeeded += 1;
        }
    }
    let wall_ms = millis_since(started);
    let refresh_requests = provider.counter("refresh_grants").await? - refreshes_before;
    let token_requests = provider.counter("token_requests").await? - token_requests_before;
    let refresh_reuse_detected = provider.counter("refresh_reuse_detected").await? - reuse_before;
    println!(
        "{}",
        serde_json::json!({
            "calls": calls,
            "succeeded": succeeded,
            "refresh_requests": refresh_requests,
            "token_requests": token_requests,
            "refresh_reuse_detected": refresh_reuse_detected,
            "wall_ms": wall_ms,
        })
    );
    Ok(())
}
