//! The error type: every variant's `Display` is a plain-language sentence a person can read.

use std::fmt;

use crate::server_text;

/// Result alias used across this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while connecting an account or using its tokens.
///
/// `Display` gives a message fit to show a person; it never contains a secret.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration or server metadata cannot be used.
    #[error("The sign-in settings are not valid: {0}")]
    InvalidConfig(String),

    /// An endpoint may not be used: it is not `https`, and plain `http` is not allowed for it.
    #[error("The address {url} is not secure: {reason}")]
    InsecureEndpoint {
        /// The offending endpoint (made safe to show).
        url: String,
        /// Why plain `http` is not allowed.
        reason: InsecureReason,
    },

    /// `complete` was called while no sign-in was in progress.
    #[error(
        "No sign-in is in progress (it may already be finished or cancelled). Please start connecting again."
    )]
    NoPendingAuthorization,

    /// The pending sign-in was older than its lifetime.
    #[error("The sign-in took too long and has expired. Please start connecting again.")]
    AuthorizationExpired,

    /// The callback's `state` does not belong to the sign-in in progress; it was ignored.
    #[error(
        "A sign-in response arrived that does not belong to the sign-in in progress, so it was ignored."
    )]
    StateMismatch,

    /// A saved sign-in belongs to another issuer or client than the one it is restored into.
    #[error(
        "The saved sign-in belongs to another service or app registration, so it was not used. Please start connecting again."
    )]
    SavedSignInMismatch,

    /// The callback URL is malformed or does not match the redirect URI.
    #[error("The sign-in response could not be used: {0}")]
    InvalidCallback(String),

    /// The callback's `iss` (RFC 9207) or a discovery document names another issuer.
    #[error("{}", issuer_mismatch_message(expected, found.as_deref()))]
    IssuerMismatch {
        /// The issuer this client talks to.
        expected: String,
        /// The issuer found in the response, if any.
        found: Option<String>,
    },

    /// The authorization server answered the authorization request with an error.
    #[error("{}", code.message())]
    Authorization {
        /// The `error` code.
        code: AuthorizationErrorCode,
        /// The server's `error_description`, if any.
        description: Option<String>,
        /// The server's `error_uri`, if any.
        uri: Option<String>,
    },

    /// The token endpoint answered with an RFC 6749 §5.2 error.
    #[error("{} (HTTP {status})", code.message())]
    Token {
        /// The `error` code.
        code: TokenErrorCode,
        /// The server's `error_description`, if any.
        description: Option<String>,
        /// The server's `error_uri`, if any.
        uri: Option<String>,
        /// The HTTP status of the answer.
        status: u16,
    },

    /// The server answered with something this crate cannot use.
    #[error("The server answered with HTTP {status} and {detail}.")]
    UnexpectedResponse {
        /// The HTTP status of the answer.
        status: u16,
        /// What was wrong with the answer, in words.
        detail: String,
    },

    /// The answer was larger than the configured cap.
    #[error("The server sent a response larger than {limit} bytes, so it was not read.")]
    ResponseTooLarge {
        /// The cap in bytes.
        limit: usize,
    },

    /// The server could not be reached, or the connection failed or timed out.
    #[error("Could not reach the server: {0}")]
    Network(String),

    /// Server metadata could not be discovered.
    #[error("Could not read the server's configuration: {0}")]
    Discovery(String),

    /// No account is connected.
    #[error("No account is connected.")]
    NotConnected,

    /// The stored authorization no longer works (expired, revoked or rejected); connect again.
    #[error("The connection to your account has expired or was revoked. Please connect again.")]
    ReconnectNeeded,

    /// The server supports no userinfo endpoint.
    #[error("The server does not offer account details (it has no userinfo endpoint).")]
    NoUserinfoEndpoint,

    /// Tokens were forgotten locally, but asking the server to revoke them failed.
    #[error(
        "You are disconnected on this computer, but the server could not be asked to revoke access: {reason}"
    )]
    RevocationFailed {
        /// Why revocation failed, in words.
        reason: String,
    },

    /// The token store failed.
    #[error("Could not access the saved sign-in: {0}")]
    Storage(#[from] StoreError),

    /// A local failure that should not happen (e.g. the OS random source failed).
    #[error("Something went wrong inside PhotoLink: {0}")]
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

    /// True for failures that may go away on retry (network trouble, 5xx, temporarily unavailable).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Network(_) => true,
            Error::UnexpectedResponse { status, .. } => *status >= 500,
            Error::Authorization { code, .. } => matches!(
                code,
                AuthorizationErrorCode::ServerError
                    | AuthorizationErrorCode::TemporarilyUnavailable
            ),
            _ => false,
        }
    }
}

fn issuer_mismatch_message(expected: &str, found: Option<&str>) -> String {
    match found {
        Some(found) => format!(
            "The response came from a different server ({found}) than the one you are connecting to ({expected}), so it was rejected."
        ),
        None => format!(
            "The response did not say which server sent it, but {expected} promises to, so it was rejected."
        ),
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

    /// A sentence for people.
    pub fn message(&self) -> String {
        match self {
            Self::AccessDenied => "You declined to give PhotoLink access to your account.".into(),
            Self::InvalidRequest => {
                "The photo service rejected the sign-in request as malformed.".into()
            }
            Self::UnauthorizedClient => {
                "The photo service does not allow PhotoLink to sign in this way.".into()
            }
            Self::UnsupportedResponseType => {
                "The photo service does not support this kind of sign-in.".into()
            }
            Self::InvalidScope => {
                "The photo service does not allow the access PhotoLink asked for.".into()
            }
            Self::ServerError => {
                "The photo service had an internal problem during sign-in. Please try again.".into()
            }
            Self::TemporarilyUnavailable => {
                "The photo service is temporarily unavailable. Please try again later.".into()
            }
            Self::Other(code) => format!("The photo service refused the sign-in ({code})."),
        }
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

    /// A sentence for people.
    pub fn message(&self) -> String {
        match self {
            Self::InvalidRequest => {
                "The photo service rejected the token request as malformed".into()
            }
            Self::InvalidClient => {
                "The photo service did not recognise PhotoLink as a client".into()
            }
            Self::InvalidGrant => {
                "The authorization is no longer valid (expired, already used or revoked)".into()
            }
            Self::UnauthorizedClient => {
                "The photo service does not allow PhotoLink to get tokens this way".into()
            }
            Self::UnsupportedGrantType => {
                "The photo service does not support this kind of token request".into()
            }
            Self::InvalidScope => {
                "The photo service does not allow the access PhotoLink asked for".into()
            }
            Self::Other(code) => format!("The photo service refused to issue tokens ({code})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_reads_as_a_sentence() {
        let error = Error::Authorization {
            code: AuthorizationErrorCode::parse("access_denied"),
            description: Some("user said no".into()),
            uri: None,
        };
        assert_eq!(
            error.to_string(),
            "You declined to give PhotoLink access to your account."
        );
    }

    #[test]
    fn unknown_codes_are_kept() {
        assert_eq!(
            TokenErrorCode::parse("slow_down"),
            TokenErrorCode::Other("slow_down".into())
        );
        assert!(
            AuthorizationErrorCode::parse("weird")
                .message()
                .contains("weird")
        );
    }

    #[test]
    fn invalid_grant_is_recognised() {
        let error = Error::Token {
            code: TokenErrorCode::InvalidGrant,
            description: None,
            uri: None,
            status: 400,
        };
        assert!(error.is_invalid_grant());
        assert!(error.to_string().contains("HTTP 400"));
    }

    #[test]
    fn issuer_mismatch_names_both_issuers() {
        let error = Error::IssuerMismatch {
            expected: "https://a.example".into(),
            found: Some("https://b.example".into()),
        };
        let text = error.to_string();
        assert!(text.contains("https://a.example") && text.contains("https://b.example"));
    }
}
