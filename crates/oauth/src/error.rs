//! The error type. `Display` is technical and short (for logs and developers): it never holds
//! a secret, and server-supplied text only after [`server_text`] made it safe. Each variant
//! keeps its data, so the app can choose the plain-language sentence a person reads.

use std::fmt;
use std::time::Duration;

use crate::id_token::IdTokenError;
use crate::retry::is_passing_status;
use crate::server_text;

/// Result alias used across this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while connecting an account or using its tokens.
///
/// `Display` is a short technical description without secrets; match on the variant to tell
/// a person what happened.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration or server metadata cannot be used.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    /// An endpoint may not be used: it is not `https`, and plain `http` is not allowed for it.
    #[error("insecure endpoint {url}: {reason}")]
    InsecureEndpoint {
        /// The offending endpoint (made safe to show).
        url: String,
        /// Why plain `http` is not allowed.
        reason: InsecureReason,
    },

    /// A callback arrived while no sign-in was in progress (finished, cancelled or never begun).
    #[error("no sign-in in progress")]
    NoPendingAuthorization,

    /// The sign-in was older than its lifetime when its callback arrived.
    #[error("sign-in expired")]
    AuthorizationExpired,

    /// The callback's `state` does not belong to the sign-in in progress.
    #[error("callback state does not match the sign-in in progress")]
    StateMismatch,

    /// A saved sign-in belongs to another issuer or client than the one it is restored into.
    #[error("saved sign-in belongs to another issuer or client")]
    SavedSignInMismatch,

    /// The callback URL is malformed, does not match the redirect URI, or lacks a parameter.
    #[error("invalid callback: {0}")]
    InvalidCallback(String),

    /// The callback's `iss` (RFC 9207) or a discovery document names another issuer.
    #[error("issuer mismatch: expected {expected}, got {}", found.as_deref().unwrap_or("none"))]
    IssuerMismatch {
        /// The issuer this client talks to.
        expected: String,
        /// The issuer found in the response, if any (made safe to show).
        found: Option<String>,
    },

    /// The authorization server answered the authorization request with an error.
    #[error("authorization error {code}")]
    Authorization {
        /// The `error` code.
        code: AuthorizationErrorCode,
        /// The server's `error_description`, if any (made safe to show).
        description: Option<String>,
        /// The server's `error_uri`, if any (made safe to show).
        uri: Option<String>,
    },

    /// The token or revocation endpoint answered with an RFC 6749 §5.2 error.
    #[error("token endpoint error {code} (HTTP {status}{})", RetryHint(*retry_after))]
    Token {
        /// The `error` code.
        code: TokenErrorCode,
        /// The server's `error_description`, if any (made safe to show).
        description: Option<String>,
        /// The server's `error_uri`, if any (made safe to show).
        uri: Option<String>,
        /// The HTTP status of the answer.
        status: u16,
        /// How long the answer's `Retry-After` asked to wait, if it had a readable one.
        retry_after: Option<Duration>,
    },

    /// The pushed authorization request endpoint (RFC 9126) refused the request with an
    /// OAuth error: the browser was not opened.
    #[error("pushed authorization request refused: {code} (HTTP {status}{})", RetryHint(*retry_after))]
    PushedAuthorization {
        /// The `error` code (authorization request codes, RFC 9126 §2.3).
        code: AuthorizationErrorCode,
        /// The server's `error_description`, if any (made safe to show).
        description: Option<String>,
        /// The server's `error_uri`, if any (made safe to show).
        uri: Option<String>,
        /// The HTTP status of the answer.
        status: u16,
        /// How long the answer's `Retry-After` asked to wait, if it had a readable one.
        retry_after: Option<Duration>,
    },

    /// The ID token of an OpenID Connect sign-in failed verification: the sign-in is refused.
    #[error("ID token refused: {0}")]
    IdToken(#[from] IdTokenError),

    /// The server answered with something this crate cannot use.
    #[error("unexpected response: HTTP {status}, {detail}{}", RetryHint(*retry_after))]
    UnexpectedResponse {
        /// The HTTP status of the answer.
        status: u16,
        /// What kind of answer it was (never its content).
        detail: String,
        /// How long the answer's `Retry-After` asked to wait, if it had a readable one.
        retry_after: Option<Duration>,
    },

    /// DPoP is required by the configuration ([`ClientConfig::dpop`](crate::ClientConfig::dpop)),
    /// and the token endpoint answered with a token not bound to the key (`token_type`
    /// `Bearer`): the tokens are not used.
    #[error("DPoP is required, but the server issued a token not bound to the key")]
    DpopNotBound,

    /// The answer was larger than the configured cap.
    #[error("response larger than {limit} bytes")]
    ResponseTooLarge {
        /// The cap in bytes.
        limit: usize,
    },

    /// The server could not be reached, or the connection failed or timed out.
    #[error("network error: {0}")]
    Network(String),

    /// Server metadata could not be discovered.
    #[error("discovery failed: {0}")]
    Discovery(String),

    /// No account is connected.
    #[error("not connected")]
    NotConnected,

    /// The stored authorization no longer works (expired, revoked or rejected); connect again.
    #[error("grant expired or revoked: reconnect needed")]
    ReconnectNeeded,

    /// The server has no userinfo endpoint.
    #[error("no userinfo endpoint")]
    NoUserinfoEndpoint,

    /// The userinfo endpoint described another account than the verified ID token of this
    /// connection (its `sub` differs; OpenID Connect Core §5.3.2): none of it may be used.
    #[error("userinfo names another account than the verified ID token")]
    UserinfoSubjectMismatch,

    /// Tokens were forgotten locally, but asking the server to revoke them failed.
    #[error("revocation failed: {reason}")]
    RevocationFailed {
        /// Why revocation failed.
        reason: String,
    },

    /// The token store failed.
    #[error("token store error: {0}")]
    Storage(#[from] StoreError),

    /// A local failure that should not happen (e.g. the OS random source failed).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// True when the token endpoint said `invalid_grant` (the grant is dead).
    pub fn is_invalid_grant(&self) -> bool {
        matches!(
            self,
            Error::Token {
                code: TokenErrorCode::InvalidGrant,
                ..
            }
        )
    }

    /// How long the server asked to wait before trying again (its `Retry-After`), for an
    /// answer that had one: "try again in N seconds". This crate never retries a token
    /// request by itself.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Token { retry_after, .. }
            | Error::UnexpectedResponse { retry_after, .. }
            | Error::PushedAuthorization { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// True for failures that may go away on retry (network trouble, 5xx, 429, temporarily
    /// unavailable).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Network(_) => true,
            Error::UnexpectedResponse { status, .. }
            | Error::Token { status, .. }
            | Error::PushedAuthorization { status, .. } => is_passing_status(*status),
            Error::Authorization { code, .. } => matches!(
                code,
                AuthorizationErrorCode::ServerError
                    | AuthorizationErrorCode::TemporarilyUnavailable
            ),
            _ => false,
        }
    }
}

/// `, retry after N s` for a `Retry-After` hint (whole seconds, rounded up), or nothing.
struct RetryHint(Option<Duration>);

impl fmt::Display for RetryHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(wait) => {
                let seconds = wait
                    .as_secs()
                    .saturating_add(u64::from(wait.subsec_nanos() > 0));
                write!(f, ", retry after {seconds} s")
            }
            None => Ok(()),
        }
    }
}

/// Why an endpoint was refused as insecure (see [`Error::InsecureEndpoint`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InsecureReason {
    /// Not `https`, and not plain `http` on a loopback IP literal either.
    #[error("https is required")]
    NotHttps,
    /// Plain `http` on the name `localhost`, which may resolve elsewhere (RFC 8252 §8.3).
    #[error(
        "plain http needs a loopback IP literal: use 127.0.0.1 (or [::1]) instead of localhost"
    )]
    LocalhostName,
    /// Plain `http` on loopback, for an issuer that is not itself on loopback.
    #[error("plain http on loopback is allowed only for an issuer on loopback")]
    IssuerNotOnLoopback,
}

/// Why [`PendingAuthorization::complete`](crate::PendingAuthorization::complete) did not
/// yield an authorization response: whether the callback was for the sign-in in progress.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallbackError {
    /// Not for the sign-in in progress (unparsable URL, no sign-in in progress, another
    /// address than the redirect URI, a repeated parameter, a wrong or missing `state`).
    /// Nothing changed: a sign-in still waits if one did.
    #[error("callback ignored: {0}")]
    Ignored(Error),
    /// For the sign-in in progress, which it ended (expired, `iss` mismatch, an `error`
    /// response, no code).
    #[error("sign-in failed: {0}")]
    Failed(Error),
}

impl CallbackError {
    /// True when the callback was ignored and the sign-in in progress, if any, still waits.
    pub fn is_ignored(&self) -> bool {
        matches!(self, Self::Ignored(_))
    }

    /// The error itself.
    pub fn error(&self) -> &Error {
        match self {
            Self::Ignored(error) | Self::Failed(error) => error,
        }
    }

    /// The error itself, by value.
    pub fn into_error(self) -> Error {
        match self {
            Self::Ignored(error) | Self::Failed(error) => error,
        }
    }
}

impl From<CallbackError> for Error {
    fn from(error: CallbackError) -> Self {
        error.into_error()
    }
}

/// A failure reported by a [`TokenStore`](crate::TokenStore) implementation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(String);

impl StoreError {
    /// A store failure described in words (never include a secret).
    pub fn new(message: impl fmt::Display) -> Self {
        Self(message.to_string())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// The `error` codes of an authorization response (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationErrorCode {
    /// The person declined.
    AccessDenied,
    /// The request was malformed.
    InvalidRequest,
    /// The client may not use this flow.
    UnauthorizedClient,
    /// `response_type=code` is not supported.
    UnsupportedResponseType,
    /// A requested scope is unknown or not allowed.
    InvalidScope,
    /// The server failed.
    ServerError,
    /// The server is overloaded or down for maintenance.
    TemporarilyUnavailable,
    /// Any other code.
    Other(String),
}

impl AuthorizationErrorCode {
    /// Maps an `error` value to a code.
    pub fn parse(code: &str) -> Self {
        match code {
            "access_denied" => Self::AccessDenied,
            "invalid_request" => Self::InvalidRequest,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "invalid_scope" => Self::InvalidScope,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            other => Self::Other(server_text::code(other)),
        }
    }

    /// The code as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::AccessDenied => "access_denied",
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for AuthorizationErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `error` codes of a token endpoint answer (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenErrorCode {
    /// The request was malformed.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The code or refresh token is invalid, expired, revoked or was issued to another client.
    InvalidGrant,
    /// The client may not use this grant type.
    UnauthorizedClient,
    /// The grant type is not supported.
    UnsupportedGrantType,
    /// A requested scope is unknown or exceeds what was granted.
    InvalidScope,
    /// Any other code.
    Other(String),
}

impl TokenErrorCode {
    /// Maps an `error` value to a code.
    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            other => Self::Other(server_text::code(other)),
        }
    }

    /// The code as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for TokenErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_technical_and_names_the_code_without_server_text() {
        let error = Error::Authorization {
            code: AuthorizationErrorCode::parse("access_denied"),
            description: Some("user said no".into()),
            uri: Some("https://docs.example.com/denied".into()),
        };
        assert_eq!(error.to_string(), "authorization error access_denied");
        let error = Error::Token {
            code: TokenErrorCode::InvalidGrant,
            description: Some("code already used".into()),
            uri: None,
            status: 400,
            retry_after: None,
        };
        assert!(error.is_invalid_grant());
        assert_eq!(
            error.to_string(),
            "token endpoint error invalid_grant (HTTP 400)"
        );
    }

    #[test]
    fn unknown_codes_are_kept_safe_to_show() {
        assert_eq!(
            TokenErrorCode::parse("slow_down"),
            TokenErrorCode::Other("slow_down".into())
        );
        assert_eq!(AuthorizationErrorCode::parse("weird").to_string(), "weird");
        assert_eq!(
            TokenErrorCode::parse("tGzv3JOkF0XG5Qx2TlKWIA\n").as_str(),
            "[hidden]"
        );
    }

    #[test]
    fn known_codes_round_trip_through_their_wire_form() {
        for code in [
            "access_denied",
            "invalid_request",
            "unauthorized_client",
            "unsupported_response_type",
            "invalid_scope",
            "server_error",
            "temporarily_unavailable",
        ] {
            let parsed = AuthorizationErrorCode::parse(code);
            assert!(
                !matches!(parsed, AuthorizationErrorCode::Other(_)),
                "{code}"
            );
            assert_eq!(parsed.as_str(), code);
        }
        for code in [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
        ] {
            let parsed = TokenErrorCode::parse(code);
            assert!(!matches!(parsed, TokenErrorCode::Other(_)), "{code}");
            assert_eq!(parsed.as_str(), code);
        }
    }

    #[test]
    fn a_retry_after_hint_is_kept_and_shown_in_whole_seconds() {
        let error = Error::UnexpectedResponse {
            status: 503,
            detail: "a web page".into(),
            retry_after: Some(Duration::from_millis(7_200)),
        };
        assert_eq!(error.retry_after(), Some(Duration::from_millis(7_200)));
        assert_eq!(
            error.to_string(),
            "unexpected response: HTTP 503, a web page, retry after 8 s"
        );
        let error = Error::Token {
            code: TokenErrorCode::parse("temporarily_unavailable"),
            description: None,
            uri: None,
            status: 503,
            retry_after: Some(Duration::from_secs(30)),
        };
        assert!(error.is_transient());
        assert_eq!(
            error.to_string(),
            "token endpoint error temporarily_unavailable (HTTP 503, retry after 30 s)"
        );
        assert_eq!(Error::NotConnected.retry_after(), None);
    }

    #[test]
    fn token_endpoint_errors_are_transient_only_with_a_passing_status() {
        let token_error = |status| Error::Token {
            code: TokenErrorCode::Other("server_error".into()),
            description: None,
            uri: None,
            status,
            retry_after: None,
        };
        assert!(token_error(500).is_transient());
        assert!(token_error(429).is_transient());
        assert!(!token_error(400).is_transient());
    }

    #[test]
    fn issuer_mismatch_names_both_issuers() {
        let error = Error::IssuerMismatch {
            expected: "https://a.example".into(),
            found: Some("https://b.example".into()),
        };
        assert_eq!(
            error.to_string(),
            "issuer mismatch: expected https://a.example, got https://b.example"
        );
        let error = Error::IssuerMismatch {
            expected: "https://a.example".into(),
            found: None,
        };
        assert!(error.to_string().ends_with("got none"), "{error}");
    }
}
