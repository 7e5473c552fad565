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
    /// How many photos the account has (default 12).
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
