//! `photolink-demo-provider`: runs Demo Photos on 127.0.0.1 until SIGTERM or Ctrl-C.
//!
//! Prints the issuer URL as the only line on stdout, so scripts can read it; logs go to stderr.
//! `--test-controls` serves `{issuer}/_test/faults` and `{issuer}/_test/stats`, for end-to-end
//! tests that arm faults in a provider running as a separate process (see the crate docs); it
//! and `--record-exchanges` exist only in a binary built with `--features test-machinery`.
//! `--require-par` accepts authorization requests only when pushed first (RFC 9126).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use photolink_demo_provider::{Config, start};

const USAGE: &str = "\
Usage: photolink-demo-provider [OPTIONS]

Runs the Demo Photos OAuth 2.0 authorization server and photo API on 127.0.0.1
and prints its issuer URL on stdout. Stops on SIGTERM or Ctrl-C.

Options:
  --port <PORT>                 Port on 127.0.0.1 (default 0: any free port)
  --photos <N>                  Number of photos in the demo account (default 12; a
                                library of 10000 costs nothing until its images are
                                asked for). --photo-count <N> is the same option
  --access-token-ttl <SECONDS>  Access token lifetime (default 3600)
  --state-file <PATH>           Keep grants (hashes only) in this file across restarts
  --test-controls               Serve the test controls: POST/DELETE {issuer}/_test/faults
                                (arm/clear faults) and GET {issuer}/_test/stats (only in
                                a build with the test-machinery feature)
  --require-par                 Accept authorization requests only when pushed first
                                to {issuer}/par (RFC 9126)
  --dpop                        Advertise DPoP (RFC 9449) in the discovery documents
  --require-dpop                Advertise DPoP and refuse token and revocation requests
                                without a proof, so every token is DPoP-bound
  --dpop-nonce                  Demand DPoP nonces (use_dpop_nonce, DPoP-Nonce header)
  --record-exchanges            Keep the last requests and answers in plain text and
                                serve them at GET {issuer}/_test/exchanges (leak tests;
                                only in a build with the test-machinery feature)
  -h, --help                    Show this help";

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("photolink-demo-provider: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("photolink-demo-provider: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: Config) -> ExitCode {
    let provider = match start(config).await {
        Ok(provider) => provider,
        Err(error) => {
            eprintln!("photolink-demo-provider: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", provider.issuer_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        tracing::warn!("could not print the issuer URL on stdout");
    }
    drop(stdout);
    wait_for_stop_signal().await;
    tracing::info!("stopping");
    provider.shutdown().await;
    ExitCode::SUCCESS
}

/// Parses the command line; `Ok(None)` means help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Config>, String> {
    let mut config = Config::default();
    while let Some(flag) = args.next() {
        let (name, inline_value) = match flag.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (flag, None),
        };
        if name == "-h" || name == "--help" {
            return Ok(None);
        }
        let switch = match name.as_str() {
            "--test-controls" => Some(&mut config.test_controls),
            "--require-par" => Some(&mut config.require_par),
            "--dpop" => Some(&mut config.offer_dpop),
            "--require-dpop" => Some(&mut config.require_dpop),
            "--dpop-nonce" => Some(&mut config.dpop_nonce),
            "--record-exchanges" => Some(&mut config.record_exchanges),
            _ => None,
        };
        if let Some(switch) = switch {
            if inline_value.is_some() {
                return Err(format!("{name} takes no value"));
            }
            refuse_unbuilt_test_control(&name, cfg!(feature = "test-machinery"))?;
            *switch = true;
            continue;
        }
        let value = match inline_value.or_else(|| args.next()) {
            Some(value) => value,
            None => return Err(format!("{name} needs a value")),
        };
        let invalid = |what: &str| format!("{name} expects {what}, got {value:?}");
        match name.as_str() {
            "--port" => config.port = value.parse().map_err(|_| invalid("a port number"))?,
            "--photos" | "--photo-count" => {
                config.photo_count = value.parse().map_err(|_| invalid("a number of photos"))?;
            }
            "--access-token-ttl" => {
                let seconds: u64 = value.parse().map_err(|_| invalid("whole seconds"))?;
                if seconds == 0 {
                    return Err(invalid("at least 1 second"));
                }
                config.access_token_ttl = Duration::from_secs(seconds);
            }
            "--state-file" => config.state_file = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {name}")),
        }
    }
    Ok(Some(config))
}

/// A flag of the test machinery in a build without it (`built` false) is a mistake to report,
/// not a wish to ignore.
fn refuse_unbuilt_test_control(flag: &str, built: bool) -> Result<(), String> {
    if built || !["--test-controls", "--record-exchanges"].contains(&flag) {
        return Ok(());
    }
    Err(format!(
        "{flag} is a test control, and this build has none (build with --features test-machinery)"
    ))
}

#[cfg(unix)]
async fn wait_for_stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the provider");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_stop_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Config>, String> {
        parse_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn parses_every_flag() {
        let config = parse(&[
            "--port",
            "8123",
            "--photo-count=10000",
            "--access-token-ttl",
            "5",
            "--state-file",
            "/tmp/state.json",
            "--test-controls",
            "--require-par",
            "--dpop",
            "--require-dpop",
            "--dpop-nonce",
            "--record-exchanges",
        ])
        .unwrap()
        .unwrap();
        assert!(config.test_controls);
        assert!(config.require_par);
        assert!(config.offer_dpop && config.require_dpop && config.dpop_nonce);
        assert!(config.record_exchanges);
        assert_eq!(config.port, 8123);
        assert_eq!(config.photo_count, 10_000);
        assert_eq!(config.access_token_ttl, Duration::from_secs(5));
        assert_eq!(config.state_file, Some(PathBuf::from("/tmp/state.json")));
    }

    #[test]
    fn a_build_without_the_test_machinery_refuses_its_flags() {
        for flag in ["--test-controls", "--record-exchanges"] {
            assert_eq!(
                refuse_unbuilt_test_control(flag, false),
                Err(format!(
                    "{flag} is a test control, and this build has none \
                     (build with --features test-machinery)"
                ))
            );
            assert_eq!(refuse_unbuilt_test_control(flag, true), Ok(()));
        }
        assert_eq!(refuse_unbuilt_test_control("--require-par", false), Ok(()));
    }

    #[test]
    fn photos_and_photo_count_set_the_library_size() {
        for flag in ["--photos", "--photo-count"] {
            let config = parse(&[flag, "10000"]).unwrap().unwrap();
            assert_eq!(config.photo_count, 10_000, "{flag}");
        }
        assert!(
            parse(&["--photos", "many"])
                .unwrap_err()
                .contains("a number of photos")
        );
    }

    #[test]
    fn rejects_bad_input_with_a_message() {
        assert!(parse(&["--port", "http"]).unwrap_err().contains("--port"));
        assert!(parse(&["--port"]).unwrap_err().contains("needs a value"));
        assert!(parse(&["--access-token-ttl", "0"]).is_err());
        assert!(
            parse(&["--bogus", "1"])
                .unwrap_err()
                .contains("unknown option")
        );
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(
            parse(&["--test-controls=yes"])
                .unwrap_err()
                .contains("takes no value")
        );
        assert!(!parse(&[]).unwrap().unwrap().test_controls);
        assert!(!parse(&[]).unwrap().unwrap().require_par);
        assert!(
            parse(&["--require-par=1"])
                .unwrap_err()
                .contains("takes no value")
        );
        assert!(
            parse(&["--require-dpop=1"])
                .unwrap_err()
                .contains("takes no value")
        );
        let defaults = parse(&[]).unwrap().unwrap();
        assert!(!defaults.offer_dpop && !defaults.require_dpop && !defaults.dpop_nonce);
    }
}
