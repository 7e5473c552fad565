//! OAuth 2.0 native-client core for PhotoLink: authorization code flow with PKCE for a public
//! desktop client (RFC 6749, 7636, 8252), server metadata discovery (RFC 8414), issuer
//! identification (RFC 9207), pushed authorization requests (RFC 9126), verified OpenID Connect
//! sign-in (ID tokens, OpenID Connect Core §3.1.3.7), token refresh with rotation, revocation
//! (RFC 7009) and sender-constrained tokens with DPoP (RFC 9449), following the OAuth security
//! best current practice (RFC 9700). No UI or Tauri dependency.
//!
//! # The pieces
//!
//! | Item | What it is |
//! | --- | --- |
//! | [`ClientConfig`] | The client's `client_id`, redirect URI, scopes, extra authorization parameters, RFC 8707 resource, lifetimes, HTTP options, whether to push authorization requests (`par`). |
//! | [`HttpOptions`], [`HttpClient`], [`RetryPolicy`] | Timeouts, size caps, proxy and the retries of resource requests; the one HTTP client (loopback direct, other hosts through the proxy settings). |
//! | [`ServerMetadata`], [`discover`], [`discover_with`] | The server's endpoints, hand-written or discovered from its issuer URL (RFC 8414 or OpenID places, issuers with a path, a trailing slash on either side tolerated). |
//! | [`IssuerTemplate`] | A multi-tenant server's templated issuer (`…/{tenantid}/v2.0`): admitted by discovery, and each ID token's `iss` checked against its tenant claim. |
//! | [`OAuthClient`] | Builds authorization URLs, exchanges codes, refreshes and revokes tokens. Cheap to clone. |
//! | [`PendingAuthorization`] | The one sign-in in progress: `start` returns the URL to open (pushing the request first when the server takes pushed requests; `begin` is its synchronous form without pushing), `complete` validates the callback URL, `saved`/`restore` carry it across a restart. |
//! | [`CallbackError`] | Why a callback gave no response: [`Ignored`](CallbackError::Ignored) (not for the sign-in in progress, which still waits) or [`Failed`](CallbackError::Failed) (it ended the sign-in). |
//! | [`SavedSignIn`] | The sign-in in progress as written to secure storage, so a callback delivered to a later process still completes it. |
//! | [`AuthorizationResponse`] | A validated callback, ready to be exchanged for tokens. Single use. |
//! | [`Session`] | A connected account: fresh access tokens, authorized requests, userinfo, the verified ID token's account, disconnect. Share as `Arc<Session>`. |
//! | [`IdTokenClaims`], [`IdTokenError`], [`ID_TOKEN_CLOCK_SKEW`] | The account a verified ID token names (kept in the [`TokenSet`]); why an ID token was refused; the clock skew allowed for `exp` and `iat`. |
//! | [`Persistence`] | Whether the token store holds what the session holds, or the connection lives in memory only after a store failure. |
//! | [`TokenStore`], [`MemoryTokenStore`] | Where tokens are kept between runs (the app implements it over the OS keyring). |
//! | [`TokenSet`] | The tokens of one account, serializable for the store (with the DPoP key, when they are bound to one). |
//! | [`DpopKey`] | The ES256 key a connection's tokens are bound to with DPoP: made when a sign-in starts, kept in the saved sign-in and with the tokens, never `Clone` or `Serialize`, `Debug` shows its thumbprint only. |
//! | [`AccessToken`], [`RefreshToken`], [`AuthorizationCode`], [`PkceVerifier`], [`ClientSecret`], [`IdToken`] | Secrets: `Debug` prints `[redacted]`, `.secret()` reads the value, no `==`; the single-use ones are neither `Clone` nor `Serialize`; a client secret deserializes from settings but never serializes. |
//! | [`Error`], [`InsecureReason`], [`AuthorizationErrorCode`], [`TokenErrorCode`] | Every failure, with its data (a refused push is [`Error::PushedAuthorization`], a refused ID token [`Error::IdToken`]); `Display` is short and technical, without secrets. The app words it for people. |
//! | [`ConfigProblem`], [`TemplateProblem`], [`CallbackProblem`], [`NetworkFailure`], [`DiscoveryAttempt`], [`ResponseProblem`], [`RevocationFailure`], [`InternalFailure`], [`StoreError`] | What went wrong, typed, inside an [`Error`]: which setting a configuration problem is about, how a request failed, what an unusable answer was (never its content), where discovery looked; a store failure keeps the store's own error. No detail is free text. |
//! | [`CleanText`] | Text from a server or a settings file (an address, a name, a problem report's title) made safe to show by the crate's cleaner; only the crate makes one. |
//! | [`shown_text`], [`is_invisible`] | Server text an app shows as content (a photo's title): invisible characters removed, whitespace collapsed, capped; no word hidden. |
//! | [`sync`] | Locks that survive a panic elsewhere, and blocking work (keyring, files) kept off the async threads: one policy for the core, the sign-in plugin and the app. |
//!
//! # Connecting an account
//!
//! ```no_run
//! use std::sync::Arc;
//! use photolink_oauth::{
//!     CallbackError, ClientConfig, MemoryTokenStore, OAuthClient, PendingAuthorization,
//!     Persistence, Session,
//! };
//!
//! # async fn example(issuer: &str) -> Result<(), photolink_oauth::Error> {
//! let config = ClientConfig::new("photolink-desktop", "com.example.photolink:/oauth/callback")
//!     .with_scopes(["photos:read", "profile"]);
//! // Discovery (RFC 8414, falling back to OpenID configuration); or
//! // `OAuthClient::new(config, ServerMetadata::new(issuer, authorize_url, token_url))`.
//! let client = OAuthClient::discover(config, issuer).await?;
//! let session = Arc::new(Session::open(client.clone(), Arc::new(MemoryTokenStore::new())).await?);
//! let pending = PendingAuthorization::new();
//!
//! // "Connect" clicked: open this URL in the system browser, and keep `pending.saved()` in
//! // secure storage while it lasts (a later process puts it back with `pending.restore`).
//! let authorize_url = pending.start(&client).await?;
//! # let _ = authorize_url;
//!
//! // The OS hands the redirect back (deep link `com.example.photolink:/oauth/callback?...`).
//! # let callback_url = "";
//! let response = match pending.complete(callback_url) {
//!     Ok(response) => response,
//!     // A forged or stray link: the sign-in in progress still waits.
//!     Err(CallbackError::Ignored(_)) => return Ok(()),
//!     // Declined, expired, wrong issuer…: the sign-in is over.
//!     Err(CallbackError::Failed(error)) => return Err(error),
//! };
//! // Exchanges the code and saves the tokens.
//! if let Persistence::MemoryOnly(problem) = session.connect(response).await? {
//!     // Connected for this run only: show a warning until `session.persistence()` is Saved.
//! #   let _ = problem;
//! }
//!
//! // Use the account: tokens are refreshed as needed.
//! let user = session.userinfo().await?;
//! let photos = session.authorized_get("http://127.0.0.1:8080/photos").await?;
//! # let _ = (user, photos);
//!
//! // "Disconnect": local tokens are always forgotten; revocation failure is reported.
//! session.disconnect().await?;
//! # Ok(()) }
//! ```
//!
//! # Rules this crate enforces
//!
//! - **PKCE**: a fresh verifier of 32 random bytes (43 characters) per sign-in; only `S256` is sent.
//! - **Authorization URL**: keeps any query the endpoint already has; adds `response_type=code`,
//!   `client_id`, `redirect_uri`, `scope`, `state` (256 random bits), `code_challenge`,
//!   `code_challenge_method=S256`, with `openid` a `nonce` (256 random bits), and the
//!   configured extra parameters, and the RFC 8707 `resource` when one is configured
//!   ([`ClientConfig::resource`]).
//! - **Pushed authorization requests** (RFC 9126): when the server names a
//!   `pushed_authorization_request_endpoint`, [`PendingAuthorization::start`] POSTs those
//!   parameters there (without `client_id`, which the client authentication adds, as at the
//!   token endpoint) and the URL to open carries only `client_id` and the answered
//!   `request_uri`. Its `expires_in` bounds how long that URL works
//!   ([`PendingAuthorization::authorize_url_expires_at`]); a new start pushes again. When the
//!   server requires pushing or [`ClientConfig::par`] is set, [`PendingAuthorization::begin`]
//!   is refused ([`ConfigProblem::PushRequired`]), and `par` without the endpoint is
//!   [`Error::InvalidConfig`] ([`ConfigProblem::NoPushEndpoint`]). An OAuth error
//!   answer is [`Error::PushedAuthorization`]. See the `par` module.
//! - **OpenID Connect**: with the `openid` scope, the code exchange succeeds only with an ID
//!   token that verifies, in this order: compact JWS; `alg` ES256 or RS256 (`none` and HMAC
//!   refused); the key from the server's `jwks_uri` by `kid` (the set is cached, and fetched
//!   once more for an unknown `kid`); the signature; `iss` (from one function, the place for a
//!   per-tenant issuer); `aud` contains the `client_id`, `azp` equals it (required with several
//!   audiences); `exp` and `iat` within [`ID_TOKEN_CLOCK_SKEW`]; the sign-in's `nonce`
//!   (constant time; kept in [`SavedSignIn`] across restarts; a sign-in without one is refused
//!   before its code is redeemed); a non-empty `sub`. A refreshed
//!   ID token must verify too and name the same `sub`. Failures are [`Error::IdToken`]; the
//!   verified [`IdTokenClaims`] are kept in the [`TokenSet`] and read with
//!   [`Session::id_token_claims`]. See the `id_token` and `jwks` modules.
//! - **Pending sign-in**: single-use, expires after [`ClientConfig::pending_lifetime`] (10 minutes);
//!   starting another one replaces it. A callback that is unparsable, arrives with no sign-in in
//!   progress or at another address than the redirect URI, repeats a parameter, or whose
//!   `state` does not match (compared in constant time) is [`CallbackError::Ignored`] **without
//!   disturbing** the sign-in in progress. Once the `state` matches, the sign-in is used up; an
//!   expired sign-in, a wrong or missing `iss` (required when the server advertises
//!   `authorization_response_iss_parameter_supported`), an `error` callback
//!   ([`Error::Authorization`]) or a missing code is [`CallbackError::Failed`].
//! - **Across restarts**: [`PendingAuthorization::saved`] snapshots the sign-in (verifier
//!   included, for secure storage only); [`PendingAuthorization::restore`] refuses one for
//!   another issuer or `client_id` ([`Error::SavedSignInMismatch`]) and keeps the expiry, so a
//!   late callback fails as [`Error::AuthorizationExpired`].
//! - **Token requests**: form POST with `Accept: application/json`; the configured `resource`
//!   on the code exchange and every refresh too; `client_secret` only when one
//!   is configured (HTTP Basic when the server lists `client_secret_basic` first). No redirects
//!   are followed; connect timeout 10 s, total 30 s; responses over 1 MiB are refused.
//! - **Token answers**: `token_type` must be `Bearer` or, after a DPoP proof, `DPoP` (any case); lifetime from `expires_in` or
//!   `expires` (number or numeric string); granted `scope` and `id_token` are kept. RFC 6749 §5.2
//!   errors become [`Error::Token`]; HTML, problem+json, form-encoded, plain text, empty or
//!   cut-off bodies become [`Error::UnexpectedResponse`] naming the HTTP status and what the
//!   body was ([`ResponseProblem`]). Both keep
//!   the answer's `Retry-After` ([`Error::retry_after`]), so the app can say when to try
//!   again; 5xx and 429 answers are [`Error::is_transient`].
//! - **DPoP** (RFC 9449): used when the metadata lists `ES256` in
//!   `dpop_signing_alg_values_supported`, or when [`ClientConfig::dpop`] asks for it (asking
//!   with a server that lists only other algorithms is [`ConfigProblem::NoDpopEs256`]). Each sign-in
//!   gets a new P-256 key; its RFC 7638 thumbprint goes out as `dpop_jkt`, binding the code to
//!   it. The token, refresh and revocation requests carry a proof (`typ` `dpop+jwt`, `alg`
//!   `ES256`, the public `jwk`; claims `jti` of 256 random bits, `htm`, `htu` without query
//!   and fragment, `iat`); resource requests with a `DPoP` token send `Authorization: DPoP`
//!   and a proof with `ath`. A `DPoP` token answered without a proof sent is refused, and
//!   so is a `Bearer` token when [`ClientConfig::dpop`] requires DPoP ([`Error::DpopNotBound`]). Every
//!   answer's `DPoP-Nonce` is kept per origin and put in later proofs; a token endpoint 400
//!   `use_dpop_nonce`, or a resource 401 with a `DPoP` challenge saying `use_dpop_nonce`,
//!   that supplies a nonce is sent again exactly once. The key is kept with the tokens (and
//!   with a saved sign-in), so refresh tokens bound to it survive restarts, and is forgotten
//!   with them on Disconnect.
//! - **Server text is data**: a response body is never quoted, only its kind is named ("a
//!   form-encoded body", "a web page", …). Every server-supplied string kept in an error
//!   (`error`, `error_description`, `error_uri`, `token_type`, a problem report's title and
//!   detail, an issuer named in a response) has control and invisible characters removed,
//!   every word (run without whitespace) of 12 characters or more that does not look written
//!   (words, numbers, ordinary addresses) replaced whole with `[hidden]`, and its length
//!   capped. See the `server_text` module. `Debug` of a response
//!   shows the body's length only. Server text an app shows as content (a photo's title)
//!   goes through [`shown_text`]: the same invisible characters ([`is_invisible`]) removed,
//!   whitespace collapsed, capped, but no word hidden.
//! - **Multi-tenant issuers**: only with a configured [`IssuerTemplate`] may a discovery
//!   document name a templated issuer (or one tenant's issuer); an ID token in a token answer
//!   must then name a plain tenant id and the issuer of exactly that tenant. See the
//!   template's rules.
//! - **Stored tokens**: a stored time past what the clock can hold is a deserialization error,
//!   never a panic, so a damaged entry reads as unreadable.
//! - **Session**: refreshes when the access token expires within
//!   [`ClientConfig::refresh_skew`] (60 s, at most half the token's lifetime), and once after a
//!   401 `invalid_token`. A refresh that fails while the access token is still valid leaves
//!   the tokens as they are and the access token in use, unless the token endpoint refused it
//!   (an RFC 6749 error other than 5xx or 429); once it has expired, the failure is the
//!   caller's error and the next use tries again. Concurrent callers share one refresh
//!   request and its outcome; a rotated refresh token is saved before use and the old one is
//!   never sent again (a refresh answer without a refresh token keeps the old one);
//!   `invalid_grant` makes the status [`SessionStatus::ReconnectNeeded`].
//! - **Retries**: a resource request ([`Session::authorized_get`], [`Session::userinfo`],
//!   [`Session::authorized_download`], whose body is then read piece by piece)
//!   answered 5xx or 429 is sent again at most [`RetryPolicy::max_retries`] times (2), after
//!   a backoff of 0.5 s doubling each time, never sooner than the answer's `Retry-After`
//!   (seconds or an HTTP date); a `Retry-After` longer than [`RetryPolicy::max_wait`] (10 s)
//!   ends the retries at once; a request that got no answer (refused, timed out) is not
//!   retried. The 401 refresh and its single retry come on top, and so does the single
//!   retry of a DPoP nonce challenge. Token, discovery and revocation requests are never
//!   retried otherwise (only after a `use_dpop_nonce` answer, which refuses the request for
//!   its proof alone): a code is single use, and a refresh token may have been rotated by an
//!   answer that was lost.
//! - **Storage**: every [`TokenStore`] call from an async method runs on the blocking pool. A
//!   failed save keeps the new tokens in memory, clears the store (so it holds no refresh token
//!   the server has retired) and reports [`Persistence::MemoryOnly`]; the next token use
//!   retries, and [`Session::persistence`] returns to [`Persistence::Saved`] once the store
//!   holds the current tokens. A failed clear on disconnect is [`Error::Storage`].
//! - **Transport**: every endpoint must be `https`, except plain `http` on a loopback IP
//!   literal (127.0.0.0/8, `[::1]`) for an issuer that is itself on one (RFC 8252 §8.3): an
//!   `https` issuer's metadata cannot point at a local listener, and `http://localhost` is
//!   refused (use `127.0.0.1`). See [`InsecureReason`].
//! - **Proxies**: loopback hosts are always reached directly, never through a proxy (they may
//!   carry codes and tokens in plain `http`). Other hosts use [`HttpOptions::proxy`] or, when
//!   unset, the `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` environment variables;
//!   their TLS runs end to end through the proxy's `CONNECT` tunnel.

mod authorize;
mod client;
mod config;
mod dpop;
mod error;
mod http;
mod id_token;
mod issuer;
mod jwks;
mod metadata;
mod par;
mod pkce;
mod retry;
mod secret;
mod server_text;
mod session;
mod sign_in;
mod store;
pub mod sync;
mod token;

pub use authorize::PendingAuthorization;
pub use client::OAuthClient;
pub use config::ClientConfig;
pub use dpop::DpopKey;
pub use error::{
    AuthorizationErrorCode, CallbackError, CallbackProblem, CleanText, ConfigProblem,
    DiscoveryAttempt, Error, IdTokenError, InsecureReason, InternalFailure, NetworkFailure,
    ResponseProblem, Result, RevocationFailure, StoreError, TemplateProblem, TokenErrorCode,
};
pub use http::{HttpClient, HttpOptions};
pub use id_token::{CLOCK_SKEW as ID_TOKEN_CLOCK_SKEW, IdTokenClaims};
pub use issuer::IssuerTemplate;
pub use metadata::{ServerMetadata, discover, discover_with};
pub use pkce::CODE_CHALLENGE_METHOD;
pub use retry::RetryPolicy;
pub use secret::{
    AccessToken, AuthorizationCode, ClientSecret, IdToken, PkceVerifier, RefreshToken,
};
pub use server_text::{is_invisible, shown_text};
pub use session::{
    Persistence, ResourceDownload, ResourceResponse, Session, SessionStatus, UserInfo,
};
pub use sign_in::{AuthorizationResponse, SavedSignIn};
pub use store::{MemoryTokenStore, TokenStore};
pub use token::TokenSet;
