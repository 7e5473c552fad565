//! Programs that `scripts/bench.sh` runs against a demo provider process (BENCHMARKS.md):
//!
//! | Binary | Figure |
//! | --- | --- |
//! | `login-floor` | The least a program can do to finish a sign-in the way PhotoLink does: a DPoP proof, one token POST, one keyring write and one userinfo request, timed separately. PhotoLink's "link received → connected" is reported as a ratio to it. |
//! | `refresh-storm` | Many concurrent photo API calls through one core [`Session`](photolink_oauth::Session) whose access token has expired; the provider's counters say how many token requests and refresh grants reached it and whether it saw a refresh token presented twice. |
//!
//! Both print one JSON object per line on stdout and nothing else; errors go to stderr with a
//! non-zero exit. They approve sign-ins with the demo provider's consent page driver
//! ([`photolink_demo_provider::consent_page`]), as the tests do. The pieces they share:
//!
//! | Item | What it is |
//! | --- | --- |
//! | [`Provider`] | The demo provider's endpoints (from discovery) and its test-control counters. |
//! | [`Args`] | `--name value` command-line options. |

use std::collections::HashMap;
use std::time::Instant;

/// What a benchmark program's steps fail with: a sentence for stderr.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T> = std::result::Result<T, Error>;

/// PhotoLink's registered client at the demo provider, and its redirect URI.
pub const CLIENT_ID: &str = "photolink-desktop";
pub const REDIRECT_URI: &str = "com.example.photolink:/oauth/callback";
pub const SCOPES: &str = "photos:read profile";

/// `--name value` options; every option takes a value.
pub struct Args(HashMap<String, String>);

impl Args {
    /// Reads the process's arguments; `known` are the accepted option names (without `--`).
    pub fn parse(known: &[&str]) -> Result<Self> {
        let mut options = HashMap::new();
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let name = flag
                .strip_prefix("--")
                .filter(|name| known.contains(name))
                .ok_or_else(|| {
                    format!(
                        "unknown argument {flag:?}; options: --{}",
                        known.join(" --")
                    )
                })?;
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            options.insert(name.to_owned(), value);
        }
        Ok(Self(options))
    }

    /// The option's value, required.
    pub fn text(&self, name: &str) -> Result<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("--{name} is required").into())
    }

    /// The option's value as a number, or `default` when absent.
    pub fn number(&self, name: &str, default: u64) -> Result<u64> {
        match self.0.get(name) {
            Some(value) => value
                .parse()
                .map_err(|_| format!("--{name} expects a whole number, got {value:?}").into()),
            None => Ok(default),
        }
    }
}

/// The demo provider under test, reached over plain HTTP.
pub struct Provider {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    /// Whether the provider offers DPoP (`dpop_signing_alg_values_supported`), so that a
    /// client binds its tokens to a key, as PhotoLink does.
    pub offers_dpop: bool,
    http: reqwest::Client,
}

impl Provider {
    /// Reads the provider's endpoints from its RFC 8414 metadata.
    pub async fn discover(issuer: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let issuer = issuer.trim_end_matches('/').to_owned();
        let metadata: serde_json::Value = http
            .get(format!("{issuer}/.well-known/oauth-authorization-server"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let endpoint = |name: &str| {
            metadata[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("the provider's metadata has no {name}"))
        };
        Ok(Self {
            authorization_endpoint: endpoint("authorization_endpoint")?,
            token_endpoint: endpoint("token_endpoint")?,
            userinfo_endpoint: endpoint("userinfo_endpoint")?,
            offers_dpop: metadata["dpop_signing_alg_values_supported"].is_array(),
            issuer,
            http,
        })
    }

    /// The HTTP client that talks to the provider (no redirects followed).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// One of the counters of `GET {issuer}/_test/stats` (the provider needs `--test-controls`).
    pub async fn counter(&self, name: &str) -> Result<u64> {
        let stats: serde_json::Value = self
            .http
            .get(format!("{}/_test/stats", self.issuer))
            .send()
            .await?
            .error_for_status()
            .map_err(|e| format!("no provider stats (is --test-controls on?): {e}"))?
            .json()
            .await?;
        stats[name]
            .as_u64()
            .ok_or_else(|| format!("the provider's stats have no counter {name}").into())
    }
}

/// Milliseconds since `start`, with microsecond precision.
pub fn millis_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}
