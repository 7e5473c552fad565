//! Faults injected into the demo provider, and survived. Each test arms one fault and checks
//! four things: the typed error the core returns; showing no token in `Display` or `Debug`
//! (neither the connection's own nor the random ones of faulty bodies, which the provider
//! reports, nor anything token-shaped); nothing half-stored (the store holds the
//! previous good tokens, or nothing for a first connection, or nothing at all once the grant
//! is dead); and a retry that works once the fault is gone.

mod connect;
mod discovery;
mod endpoints;
mod refresh;
mod resources;
mod unreachable;

use std::time::Duration;

use photolink_oauth::{ClientConfig, Error, RetryPolicy};

use crate::support::mock::config;

/// The client timeout in fault tests: a hanging server fails the request after this long.
pub const TIMEOUT: Duration = Duration::from_secs(1);

/// The test client with short waits: a [`TIMEOUT`] for every request, and resource retries
/// after 10 ms and 20 ms that wait at most 2 s for a `Retry-After`.
pub fn fault_config() -> ClientConfig {
    let mut config = config();
    config.http.timeout = TIMEOUT;
    config.http.resource_retry = RetryPolicy {
        max_retries: 2,
        first_backoff: Duration::from_millis(10),
        max_wait: Duration::from_secs(2),
    };
    config
}

/// Asserts that neither `Display` nor `Debug` of `error` shows a token: none of `known`, and
/// no run of 32 or more base64url characters, the shape of every token and code the provider
/// issues and of the random tokens in its faulty bodies.
#[track_caller]
pub fn assert_shows_no_token(error: &Error, known: &[&str]) {
    let shown = format!("{error} | {error:?}");
    for token in known {
        assert!(!shown.contains(token), "a known token is shown: {shown}");
    }
    let longest_run = shown
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest_run < 32, "a token-shaped value is shown: {shown}");
}

#[test]
#[should_panic(expected = "a token-shaped value is shown")]
fn the_token_check_finds_an_unknown_token_shaped_value() {
    let error =
        Error::Network("answer was access_token=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4MTIzNDU2".into());
    assert_shows_no_token(&error, &[]);
}

#[test]
#[should_panic(expected = "a known token is shown")]
fn the_token_check_finds_a_known_token() {
    let error = Error::Network("got at-1".into());
    assert_shows_no_token(&error, &["at-1"]);
}
