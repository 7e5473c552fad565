//! The error type. `Display` is technical and short (for logs and developers): it never holds
//! a secret, and server-supplied text only after [`server_text`] made it safe. Each variant
//! keeps its data, so the app can choose the plain-language sentence a person reads.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

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
    /// The client configuration or server metadata cannot be used: which setting, and why.
    #[error("invalid configuration: {0}")]
    InvalidConfig(ConfigProblem),

    /// An endpoint may not be used: it is not `https`, and plain `http` is not allowed for it.
    #[error("insecure endpoint {url}: {reason}")]
    InsecureEndpoint {
        /// The offending endpoint (made safe to show).
        url: CleanText,
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
    InvalidCallback(CallbackProblem),

    /// The callback's `iss` (RFC 9207) or a discovery document names another issuer.
    #[error("issuer mismatch: expected {expected}, got {}", found.as_deref().unwrap_or("none"))]
    IssuerMismatch {
        /// The issuer this client talks to (made safe to show).
        expected: CleanText,
        /// The issuer found in the response, if any (made safe to show).
        found: Option<CleanText>,
    },

    /// The authorization server answered the authorization request with an error.
    #[error("authorization error {code}")]
    Authorization {
        /// The `error` code.
        code: AuthorizationErrorCode,
        /// The server's `error_description`, if any (made safe to show).
        description: Option<CleanText>,
        /// The server's `error_uri`, if any (made safe to show).
        uri: Option<CleanText>,
    },

    /// The token or revocation endpoint answered with an RFC 6749 §5.2 error.
    #[error("token endpoint error {code} (HTTP {status}{})", RetryHint(*retry_after))]
    Token {
        /// The `error` code.
        code: TokenErrorCode,
        /// The server's `error_description`, if any (made safe to show).
        description: Option<CleanText>,
        /// The server's `error_uri`, if any (made safe to show).
        uri: Option<CleanText>,
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
        description: Option<CleanText>,
        /// The server's `error_uri`, if any (made safe to show).
        uri: Option<CleanText>,
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
        /// What kind of answer it was, or what it lacked (never its content).
        detail: ResponseProblem,
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
    Network(NetworkFailure),

    /// The server answered, but no place it was looked for held usable metadata: each place
    /// and what it gave.
    #[error("discovery failed: {}", DiscoveryAttempts(attempts))]
    Discovery {
        /// The places looked, in order, each with its failure.
        attempts: Vec<DiscoveryAttempt>,
    },

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
        reason: RevocationFailure,
    },

    /// The token store failed.
    #[error("token store error: {0}")]
    Storage(#[from] StoreError),

    /// A local failure that should not happen (e.g. the OS random source failed).
    #[error("internal error: {0}")]
    Internal(InternalFailure),
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

/// Text made safe to show by this crate's server text cleaner: capped, without control or
/// invisible characters, and (for text from outside) with any word that does not look
/// written (a token, a code) hidden. Every way of making one cleans, so an error can carry
/// an address or a name from a response or a configuration file and still be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanText(String);

impl CleanText {
    /// Free text (an address, a name, a server's description), made safe.
    pub fn text(raw: &str) -> Self {
        Self(server_text::text(raw))
    }

    /// Text this side chose (a configured issuer, or one derived from it): invisible
    /// characters removed and capped, no word hidden, since it holds no secret.
    pub fn configured(raw: &str) -> Self {
        Self(server_text::configured(raw))
    }

    /// A code or a parameter name, made safe (only the characters codes are made of).
    pub fn code(raw: &str) -> Self {
        Self(server_text::code(raw))
    }

    /// The cleaned text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Cleans `raw` as free text ([`CleanText::text`]).
impl From<&str> for CleanText {
    fn from(raw: &str) -> Self {
        Self::text(raw)
    }
}

/// Cleans `raw` as free text ([`CleanText::text`]).
impl From<String> for CleanText {
    fn from(raw: String) -> Self {
        Self::text(&raw)
    }
}

impl std::ops::Deref for CleanText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for CleanText {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for CleanText {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

impl PartialEq<&str> for CleanText {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for CleanText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What is wrong with a client configuration or a server's metadata (see
/// [`Error::InvalidConfig`]): each variant names the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// The client id is empty.
    #[error("the client id is empty")]
    EmptyClientId,
    /// The redirect URI (configured, or kept with a saved sign-in) is not a valid address.
    #[error("the redirect URI is not a valid address ({0})")]
    RedirectUri(url::ParseError),
    /// A scope is empty or holds a space.
    #[error("the scope \"{0}\" is not a single word")]
    Scope(CleanText),
    /// An extra authorization parameter would replace one the sign-in sets itself.
    #[error("the extra parameter {0} would override one the sign-in sets itself")]
    ReservedParameter(CleanText),
    /// The resource is given both as the resource setting and as an extra parameter.
    #[error("the resource is given twice: as the resource setting and as an extra parameter")]
    ResourceTwice,
    /// The resource is not an absolute URI.
    #[error("the resource is not an absolute URI ({0})")]
    Resource(url::ParseError),
    /// The resource has a fragment, which RFC 8707 forbids.
    #[error("the resource may not have a fragment")]
    ResourceFragment,
    /// The issuer template cannot be used.
    #[error("the issuer template {template}: {problem}")]
    IssuerTemplate {
        /// The template as written (made safe to show).
        template: CleanText,
        /// What is wrong with it.
        problem: TemplateProblem,
    },
    /// The configured issuer is not one the issuer template describes.
    #[error("the issuer {issuer} is not covered by the issuer template {template}")]
    IssuerNotCovered {
        /// The configured issuer (made safe to show).
        issuer: CleanText,
        /// The template (made safe to show).
        template: CleanText,
    },
    /// The issuer has a query or a fragment, which RFC 8414 forbids.
    #[error("the issuer may not have a query or fragment")]
    IssuerQueryOrFragment,
    /// An issuer or endpoint address cannot be parsed.
    #[error("{address} is not a valid address ({cause})")]
    Address {
        /// The address as written (made safe to show).
        address: CleanText,
        /// Why it does not parse.
        cause: url::ParseError,
    },
    /// The proxy setting is not a proxy address.
    #[error("the proxy is not a valid proxy address")]
    Proxy,
    /// The server lists PKCE methods, and S256 is not among them.
    #[error("the server does not support PKCE with S256")]
    NoPkceS256,
    /// The server's metadata requires pushed authorization requests but names no endpoint.
    #[error("the server requires pushed authorization requests but names no endpoint for them")]
    PushRequiredWithoutEndpoint,
    /// Pushed authorization requests are configured, and the server names no endpoint.
    #[error(
        "pushed authorization requests are asked for, but the server names no \
         pushed_authorization_request_endpoint"
    )]
    NoPushEndpoint,
    /// The server requires pushed requests, and the sign-in was begun without one.
    #[error(
        "authorization requests must be pushed to this server: start the sign-in with \
         PendingAuthorization::start"
    )]
    PushRequired,
    /// DPoP is required, and the server does not accept ES256 proofs.
    #[error("DPoP is required, but the server does not accept ES256 proofs")]
    NoDpopEs256,
    /// The sign-in lifetime does not fit the clock.
    #[error("sign-in lifetime too long")]
    LifetimeTooLong,
}

/// What is wrong with an issuer template (see [`ConfigProblem::IssuerTemplate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateProblem {
    /// The placeholder is empty, missing, or appears more than once.
    #[error("must hold its placeholder exactly once")]
    PlaceholderCount,
    /// The part before the placeholder is not an address.
    #[error("is not an address")]
    NotAnAddress,
    /// The placeholder is not a whole path segment.
    #[error("must have its placeholder as a whole path segment")]
    PlaceholderNotSegment,
    /// No ID-token claim names the tenant.
    #[error("names no tenant claim")]
    NoTenantClaim,
}

/// What is wrong with a callback URL (see [`Error::InvalidCallback`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackProblem {
    /// It is not a URL.
    #[error("not a valid URL")]
    NotAUrl,
    /// It is not addressed to the redirect URI.
    #[error("not sent to the redirect URI")]
    NotTheRedirectUri,
    /// It has no `state`.
    #[error("no state parameter")]
    NoState,
    /// It has neither an error nor an authorization code.
    #[error("no authorization code")]
    NoCode,
    /// A parameter appears more than once (its name, made safe to show).
    #[error("parameter {0} repeated")]
    RepeatedParameter(CleanText),
}

/// How a request failed to get an answer (see [`Error::Network`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkFailure {
    /// No answer, or no more of it, in the time allowed.
    #[error("timed out")]
    TimedOut,
    /// No connection could be made (refused, unreachable, name not found, TLS failed).
    #[error("could not connect")]
    CouldNotConnect,
    /// The server redirected too often, or in a loop.
    #[error("too many redirects")]
    Redirects,
    /// The connection failed while the request was sent or its answer read.
    #[error("the connection failed")]
    ConnectionFailed,
}

/// One place metadata was looked for, and what it gave (see [`Error::Discovery`]).
#[derive(Debug, Clone)]
pub struct DiscoveryAttempt {
    /// The well-known address (derived from the configured issuer).
    pub url: url::Url,
    /// What went wrong there.
    pub error: Box<Error>,
}

/// The attempts of a failed discovery, `url: error` joined by `; `.
struct DiscoveryAttempts<'a>(&'a [DiscoveryAttempt]);

impl fmt::Display for DiscoveryAttempts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, attempt) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", attempt.url, attempt.error)?;
        }
        Ok(())
    }
}

/// What an answer was, or lacked, when it could not be used (see
/// [`Error::UnexpectedResponse`]): never its content, except a problem report's title and
/// detail made safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseProblem {
    /// Nothing, or only whitespace.
    #[error("an empty body")]
    EmptyBody,
    /// Bytes that are not UTF-8 text.
    #[error("binary data")]
    BinaryData,
    /// An RFC 9457 problem report.
    #[error("{}", ProblemReportText(title.as_ref(), detail.as_ref()))]
    ProblemReport {
        /// Its `title`, if any (made safe to show).
        title: Option<CleanText>,
        /// Its `detail`, if any (made safe to show).
        detail: Option<CleanText>,
    },
    /// An HTML page.
    #[error("a web page")]
    WebPage,
    /// JSON that does not parse.
    #[error("malformed JSON")]
    MalformedJson,
    /// JSON cut off before its end.
    #[error("incomplete JSON (the body was cut off)")]
    IncompleteJson,
    /// JSON without the members expected, or with members of another type.
    #[error("JSON without the expected fields")]
    UnexpectedJson,
    /// A form-encoded body.
    #[error("a form-encoded body")]
    FormEncoded,
    /// Plain text.
    #[error("plain text")]
    PlainText,
    /// A body of another media type.
    #[error("a body of another type")]
    OtherType,
    /// The body was cut off before it was complete.
    #[error("a response that was cut off before it was complete")]
    CutOff,
    /// A member the answer must have is missing or empty (its name).
    #[error("no {0} in the answer")]
    MissingMember(&'static str),
    /// A member that must be a number is not (its name).
    #[error("{0} is not a number")]
    NotANumber(&'static str),
    /// A `token_type` this crate does not use (made safe to show).
    #[error("an unsupported token type \"{0}\"")]
    UnsupportedTokenType(CleanText),
    /// A pushed request's `request_uri` too long to fit an address.
    #[error("a request_uri too long for an address")]
    RequestUriTooLong,
    /// A token bound to a DPoP key, although no proof was sent.
    #[error("a DPoP-bound token, although no DPoP proof was sent")]
    UnrequestedDpopBinding,
    /// A key set that is not a JWK Set.
    #[error("a key set that is not a JWK Set")]
    NotAKeySet,
}

impl ResponseProblem {
    /// What was wrong with a JSON body, without the parser's message (which quotes the data).
    pub(crate) fn of_json_error(error: &serde_json::Error) -> Self {
        match error.classify() {
            serde_json::error::Category::Eof => Self::IncompleteJson,
            serde_json::error::Category::Data => Self::UnexpectedJson,
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                Self::MalformedJson
            }
        }
    }
}

/// `a problem report: title (detail)`, with what the report has.
struct ProblemReportText<'a>(Option<&'a CleanText>, Option<&'a CleanText>);

impl fmt::Display for ProblemReportText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (Some(title), Some(detail)) => write!(f, "a problem report: {title} ({detail})"),
            (Some(text), None) | (None, Some(text)) => write!(f, "a problem report: {text}"),
            (None, None) => f.write_str("a problem report without a title"),
        }
    }
}

/// Why revoking a token failed (see [`Error::RevocationFailed`]).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationFailure {
    /// The server names no revocation endpoint.
    #[error("no revocation endpoint")]
    NoEndpoint,
    /// The revocation request failed.
    #[error("{0}")]
    Request(Box<Error>),
}

/// A local failure that should not happen (see [`Error::Internal`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InternalFailure {
    /// The operating system's random source failed.
    #[error("the system random number source failed")]
    RandomSource,
    /// A DPoP key could not be generated.
    #[error("could not generate a DPoP key")]
    DpopKeyGeneration,
    /// A generated DPoP key did not load.
    #[error("a generated DPoP key did not load")]
    DpopKeyLoad,
    /// A DPoP proof could not be signed.
    #[error("could not sign a DPoP proof")]
    DpopSigning,
    /// The HTTP client could not be set up (e.g. no TLS roots).
    #[error("could not set up HTTP")]
    HttpSetup,
    /// A request body could not be written.
    #[error("the request body cannot be written")]
    RequestBody,
    /// The access token holds bytes a header cannot carry.
    #[error("the access token cannot be sent in a header")]
    AccessTokenHeader,
}

/// Why an ID token was refused (the checks and their order are in the crate docs, under
/// "OpenID Connect", and in the `id_token` module).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenError {
    /// The sign-in asked for `openid`, and the token answer has no ID token.
    #[error("no ID token in the answer")]
    Missing,
    /// Not a signed JWT in compact form.
    #[error("not a signed JWT ({0})")]
    Malformed(&'static str),
    /// The header names an algorithm this client does not accept (`none`, HMAC, others).
    #[error("algorithm {0} is not accepted")]
    AlgorithmRefused(CleanText),
    /// The server publishes no signing keys (no `jwks_uri` in its metadata).
    #[error("the server publishes no signing keys")]
    NoKeySet,
    /// No key of the server's key set fits the token, even after fetching it again.
    #[error("no signing key of the server fits the token")]
    UnknownKey,
    /// The signature does not verify with the server's key.
    #[error("the signature is invalid")]
    BadSignature,
    /// `iss` is not the expected issuer.
    #[error("issued by {found}, expected {expected}")]
    WrongIssuer {
        /// The issuer the token should come from (made safe to show).
        expected: CleanText,
        /// The token's `iss` (made safe to show).
        found: CleanText,
    },
    /// `aud` does not contain this client.
    #[error("not issued to this client")]
    WrongAudience,
    /// `azp` names another client, or is missing with several audiences.
    #[error("authorized party is not this client")]
    WrongAuthorizedParty,
    /// `exp` has passed (beyond the clock skew), or is missing.
    #[error("expired")]
    Expired,
    /// `iat` is in the future (beyond the clock skew), or is missing.
    #[error("issued in the future")]
    IssuedInFuture,
    /// `nonce` is not the one sent with the sign-in, or is missing.
    #[error("the nonce does not match the sign-in")]
    NonceMismatch,
    /// The client asks for `openid`, and the sign-in was started without a `nonce` (saved by
    /// a version that sent none, or started before `openid` was configured): no ID token
    /// could be tied to it, so its code is not redeemed.
    #[error("the sign-in was started without a nonce")]
    SignInWithoutNonce,
    /// `sub` is missing or empty, or a refreshed token names another account.
    #[error("the subject is missing or changed")]
    WrongSubject,
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

/// A failure reported by a [`TokenStore`](crate::TokenStore) implementation: the store's own
/// typed error, kept as it is (its `Display` must never hold a secret). `Display` is the
/// cause's; [`cause`](Self::cause) gives it to match on (by downcasting).
#[derive(Debug, Clone)]
pub struct StoreError(Arc<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// A store failure with its cause.
    pub fn new(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Arc::new(cause))
    }

    /// The store's own error.
    pub fn cause(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Two store errors are equal when their causes describe the same failure (the cause's type
/// is the store's own, which this crate cannot compare).
impl PartialEq for StoreError {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for StoreError {}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

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
    Other(CleanText),
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
            other => Self::Other(CleanText::code(other)),
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
    Other(CleanText),
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
            other => Self::Other(CleanText::code(other)),
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
            detail: ResponseProblem::WebPage,
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
    fn typed_details_read_as_before_and_clean_what_came_from_outside() {
        let error = Error::Discovery {
            attempts: vec![
                DiscoveryAttempt {
                    url: "https://a.example/.well-known/oauth-authorization-server"
                        .parse()
                        .unwrap(),
                    error: Box::new(Error::UnexpectedResponse {
                        status: 404,
                        detail: ResponseProblem::WebPage,
                        retry_after: None,
                    }),
                },
                DiscoveryAttempt {
                    url: "https://a.example/.well-known/openid-configuration"
                        .parse()
                        .unwrap(),
                    error: Box::new(Error::Network(NetworkFailure::TimedOut)),
                },
            ],
        };
        assert_eq!(
            error.to_string(),
            "discovery failed: \
             https://a.example/.well-known/oauth-authorization-server: unexpected response: HTTP 404, a web page; \
             https://a.example/.well-known/openid-configuration: network error: timed out"
        );
        let problem = ConfigProblem::IssuerTemplate {
            template: CleanText::text("https://a.example/{tenant}\u{202E}/tGzv3JOkF0XG5Qx2TlKWIA"),
            problem: TemplateProblem::PlaceholderNotSegment,
        };
        assert_eq!(
            Error::InvalidConfig(problem).to_string(),
            "invalid configuration: the issuer template https://a.example/{tenant} [hidden]: \
             must have its placeholder as a whole path segment"
        );
        let report = ResponseProblem::ProblemReport {
            title: Some(CleanText::text("Token 2YotnFZFEjr1zCsicMWpAA refused")),
            detail: None,
        };
        assert_eq!(
            report.to_string(),
            "a problem report: Token [hidden] refused"
        );
        let revocation = Error::RevocationFailed {
            reason: RevocationFailure::Request(Box::new(Error::Network(
                NetworkFailure::CouldNotConnect,
            ))),
        };
        assert_eq!(
            revocation.to_string(),
            "revocation failed: network error: could not connect"
        );
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
