//! How a provider instance is set up: port, token lifetimes, photo count, persistence and the
//! knobs tests use to make the provider behave like other real servers.

use std::path::PathBuf;
use std::time::Duration;

/// Settings for [`start`](crate::start). `Config::default()` is the provider the app embeds.
#[derive(Debug, Clone)]
pub struct Config {
    /// TCP port on 127.0.0.1; `0` picks a free ephemeral port.
    pub port: u16,
    /// Lifetime of issued access tokens.
    pub access_token_ttl: Duration,
    /// Lifetime of authorization codes (RFC 6749 recommends at most 10 minutes; default 60 s).
    pub authorization_code_ttl: Duration,
    /// How many photos the account has (default 12). A photo's listing data comes from its
    /// position and its images are drawn when first asked for, so a library of 10,000 costs
    /// nothing up front.
    pub photo_count: usize,
    /// File that keeps grants across restarts. Only SHA-256 hashes of codes and tokens are
    /// written, atomically (temporary file + rename) after every change.
    pub state_file: Option<PathBuf>,
    /// Name of the token lifetime field in token responses.
    pub expiry_field: ExpiryField,
    /// Which discovery documents are served.
    pub well_known: WellKnownDocuments,
    /// Path part of the issuer, e.g. `/tenant` gives issuer `http://127.0.0.1:PORT/tenant`.
    /// Empty for an issuer without a path. Every endpoint lives under the issuer.
    pub issuer_path: String,
    /// Issuer written into discovery documents instead of the real one (issuer-mismatch tests).
    pub advertised_issuer: Option<String>,
    /// What the `iss` parameter of authorization responses (RFC 9207) carries.
    pub iss_parameter: IssParameter,
    /// Makes `photolink-desktop` a confidential client with this secret: the token and
    /// revocation endpoints then require `client_secret_basic` or `client_secret_post`.
    /// `None` (default) registers it as a public client (`token_endpoint_auth_method: none`).
    pub client_secret: Option<String>,
    /// Upper bounds on every table that grows with requests.
    pub limits: Limits,
    /// Serves the test control endpoints (`{issuer}/_test/faults` and `{issuer}/_test/stats`)
    /// for tests that run the provider as a separate process. Off by default: the routes then
    /// do not exist. Tests that embed the provider use
    /// [`ProviderHandle::set_faults`](crate::ProviderHandle::set_faults) instead. Needs the
    /// `test-machinery` feature: without it [`start`](crate::start) refuses the setting.
    pub test_controls: bool,
    /// Keeps the last requests and answers in plain text and serves them at
    /// `{issuer}/_test/exchanges` (see [`MAX_EXCHANGES`](crate::MAX_EXCHANGES)), so leak tests
    /// learn every secret that passed. Off by default; it buffers every answer whole, so it is
    /// not combined with faults that stream or hang. Needs the `test-machinery` feature, like
    /// [`test_controls`](Self::test_controls).
    pub record_exchanges: bool,
    /// Accepts authorization requests only when pushed first (RFC 9126), and says so in its
    /// metadata (`require_pushed_authorization_requests`). Pushing works either way.
    pub require_par: bool,
    /// How long a pushed request's `request_uri` may be used (default 60 s).
    pub par_request_lifetime: Duration,
    /// Advertises DPoP (RFC 9449) in the discovery documents
    /// (`dpop_signing_alg_values_supported: ["ES256"]`), so clients that follow the metadata
    /// use it. Off by default; proofs that clients send anyway are always honoured.
    pub offer_dpop: bool,
    /// Refuses token and revocation requests without a DPoP proof (RFC 9449), so every token
    /// is DPoP-bound; implies [`offer_dpop`](Self::offer_dpop). Off by default: tokens are
    /// bound only when the client sends a proof.
    pub require_dpop: bool,
    /// Demands DPoP nonces (RFC 9449 §8, §9): a proof without the current one is answered
    /// `use_dpop_nonce` with the nonce in `DPoP-Nonce`.
    pub dpop_nonce: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            port: 0,
            access_token_ttl: Duration::from_secs(3600),
            authorization_code_ttl: Duration::from_secs(60),
            photo_count: 12,
            state_file: None,
            expiry_field: ExpiryField::ExpiresIn,
            well_known: WellKnownDocuments::Both,
            issuer_path: String::new(),
            advertised_issuer: None,
            iss_parameter: IssParameter::Issuer,
            client_secret: None,
            limits: Limits::default(),
            test_controls: false,
            record_exchanges: false,
            require_par: false,
            par_request_lifetime: Duration::from_secs(60),
            offer_dpop: false,
            require_dpop: false,
            dpop_nonce: false,
        }
    }
}

/// How many entries each table that grows with requests may hold. Past a limit the oldest
/// entry is forgotten, as described for each; a request never fails because a table is full.
/// Every limit must be at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Consent pages shown and not yet answered (default 1000). The oldest is forgotten first:
    /// answering it then shows "This request is no longer valid".
    pub pending_consents: usize,
    /// Authorization codes, unused or kept after use to detect reuse (default 1000). The oldest
    /// is forgotten first: exchanging it then fails with `invalid_grant`.
    pub authorization_codes: usize,
    /// Grants (default 1000). Revoked grants are forgotten first, then the oldest live grant,
    /// whose tokens stop working, as real providers limit refresh tokens per account.
    pub grants: usize,
    /// Access tokens that have not expired (default 10,000). The oldest stops working first
    /// (401, after which the client refreshes).
    pub access_tokens: usize,
    /// Rotated refresh tokens remembered per grant to detect reuse (default 100). The oldest is
    /// forgotten first: presenting it then fails with `invalid_grant` without revoking the grant.
    pub rotated_refresh_tokens_per_grant: usize,
    /// Hashes kept in [`Stats::refresh_tokens_presented`](crate::Stats) (default 1000): the
    /// most recent ones.
    pub presented_refresh_tokens: usize,
    /// `jti`s of accepted DPoP proofs remembered to refuse a replay (default 10,000); entries
    /// also go once the proof is too old to be accepted anyway. The oldest is forgotten first.
    pub dpop_proofs: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            pending_consents: 1000,
            authorization_codes: 1000,
            grants: 1000,
            access_tokens: 10_000,
            rotated_refresh_tokens_per_grant: 100,
            presented_refresh_tokens: 1000,
            dpop_proofs: 10_000,
        }
    }
}

impl Limits {
    /// Refuses a limit of zero, which would make the provider forget what it just issued.
    pub(crate) fn validate(&self) -> Result<(), crate::Error> {
        let limits = [
            ("pending_consents", self.pending_consents),
            ("authorization_codes", self.authorization_codes),
            ("grants", self.grants),
            ("access_tokens", self.access_tokens),
            (
                "rotated_refresh_tokens_per_grant",
                self.rotated_refresh_tokens_per_grant,
            ),
            ("presented_refresh_tokens", self.presented_refresh_tokens),
            ("dpop_proofs", self.dpop_proofs),
        ];
        match limits.iter().find(|(_, limit)| *limit == 0) {
            Some((name, _)) => Err(crate::Error::InvalidConfig(
                crate::ConfigProblem::ZeroLimit(name),
            )),
            None => Ok(()),
        }
    }
}

/// Name of the lifetime field in token responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpiryField {
    /// RFC 6749 `expires_in`.
    #[default]
    ExpiresIn,
    /// `expires`, as some servers (and the oauth.com example flow) send it.
    Expires,
}

impl ExpiryField {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::ExpiresIn => "expires_in",
            Self::Expires => "expires",
        }
    }
}

/// Which discovery documents the provider serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WellKnownDocuments {
    /// Both RFC 8414 and OpenID Connect discovery.
    #[default]
    Both,
    /// Only `/.well-known/oauth-authorization-server` (RFC 8414).
    OAuthAuthorizationServer,
    /// Only `/.well-known/openid-configuration`.
    OpenIdConfiguration,
}

impl WellKnownDocuments {
    pub(crate) fn serves_oauth(self) -> bool {
        matches!(self, Self::Both | Self::OAuthAuthorizationServer)
    }

    pub(crate) fn serves_openid(self) -> bool {
        matches!(self, Self::Both | Self::OpenIdConfiguration)
    }
}

/// The `iss` authorization response parameter (RFC 9207).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IssParameter {
    /// The provider's real issuer (correct behaviour).
    #[default]
    Issuer,
    /// No `iss` parameter, although metadata says it is supported.
    Omitted,
    /// This value instead of the issuer (mix-up tests).
    Fixed(String),
}
