//! Demo Photos: a strict OAuth 2.0 authorization server and photo API on loopback.
//!
//! PhotoLink embeds it as its default provider, and every test talks to it over real HTTP.
//! It binds `127.0.0.1` only, and it is deliberately strict, because a lenient server would let
//! client bugs through.
//!
//! # Starting it
//!
//! ```no_run
//! # async fn demo() -> Result<(), photolink_demo_provider::Error> {
//! use photolink_demo_provider::{Config, start};
//!
//! let provider = start(Config::default()).await?; // ephemeral port
//! println!("issuer: {}", provider.issuer_url()); // http://127.0.0.1:PORT
//! println!("token endpoint: {}", provider.endpoints().token);
//! provider.shutdown().await; // or just drop it
//! # Ok(())
//! # }
//! ```
//!
//! [`start`] returns a [`ProviderHandle`]: [`issuer_url`](ProviderHandle::issuer_url),
//! [`endpoints`](ProviderHandle::endpoints), [`local_addr`](ProviderHandle::local_addr),
//! [`expire_access_tokens`](ProviderHandle::expire_access_tokens) (to test refresh after a
//! 401), [`rotate_dpop_nonce`](ProviderHandle::rotate_dpop_nonce) and
//! [`shutdown`](ProviderHandle::shutdown); with the test machinery also `stats`, `set_faults`,
//! `clear_faults` and `fake_tokens_served` (see [The test machinery](#the-test-machinery)).
//! Dropping the handle stops the server.
//!
//! [`Config`] sets the port, `access_token_ttl`, `authorization_code_ttl` (default 60 s),
//! `photo_count` (default 12), `state_file`, and the knobs tests use to imitate other servers:
//! `expiry_field` ([`ExpiryField`]: `expires_in` or the seed's `expires`), `well_known`
//! ([`WellKnownDocuments`]), `issuer_path` (e.g. `/tenant`), `advertised_issuer` (a lying
//! discovery document), `iss_parameter` ([`IssParameter`]: correct, omitted or wrong),
//! `client_secret` (turns the client into a confidential one), `limits` ([`Limits`]),
//! `test_controls` (the HTTP test controls, see [Faults](#faults)) and `record_exchanges` (the
//! exchange log of every request and answer in plain text, for leak tests), both only with the
//! [test machinery](#the-test-machinery), `require_par` (accept
//! authorization requests only when pushed first, RFC 9126), `par_request_lifetime` (how
//! long a pushed request's `request_uri` works, default 60 s), `offer_dpop`, `require_dpop`
//! and `dpop_nonce` (see [DPoP](#dpop)).
//! [`ProviderHandle::rotate_id_token_key`] replaces the key that signs ID tokens.
//!
//! Every table that grows with requests is bounded by [`Limits`]: pending consents,
//! authorization codes, grants, access tokens, rotated refresh tokens per grant and the
//! presented refresh tokens in `Stats`. Past a limit the oldest entry is forgotten (revoked
//! grants first), so a flood of requests can exhaust neither memory nor the state file, and a
//! request never fails because a table is full. The DPoP replay cache is bounded the same way.
//!
//! # The modules
//!
//! The source is grouped by concern, one folder each:
//!
//! | Folder | What it holds |
//! |---|---|
//! | `authorization` | The authorization server: `authorize` (the authorization request and the consent form), `consent` (requests waiting for a decision), `pages` (the consent and error pages), `client` and `client_auth` (the registered client and its authentication), `scope`, `account` (the demo accounts, one per name), `grants` (codes, grants and tokens), `token`, `par` (pushed requests) and `push` (`POST /par`), `dpop` (proof verification) and `proofs` (the proofs of requests, counted), `id_token` (ID tokens and their signing key), `metadata` (the discovery documents and the JWK Set), `revocation`, `userinfo`, `bearer` (the access token check the protected resources share) and `oauth_error`. |
//! | `photo_api` | The photo API: `photos` (the listing and image endpoints), `library` (the photos' metadata), `images` (drawing, encoding and keeping the images) and `scene` (the landscapes). |
//! | `test_machinery` | `machinery` (the hooks the endpoints call, empty without the feature), `kinds` (what the hooks name), and, only with the [test machinery](#the-test-machinery), `faults`, `fault_answers` (the answers faults give), `stats`, `test_controls` (the `/_test/…` routes), `exchanges` (the exchange log) and `consent_page` (the consent page driver the tests sign in with). |
//! | `shared` | What the others share: `server` ([`start`] and the routes), `provider` (the state every handler is given), `handle` ([`ProviderHandle`]), `config`, `endpoints`, `host` (the `Host` check), `params` (form parameters), `persistence` (the state file), `secrets` (random values, hashes, PKCE) and `sync` (locks). |
//!
//! # The binary
//!
//! `photolink-demo-provider [--port N] [--photos N] [--access-token-ttl SECONDS]
//! [--state-file PATH] [--test-controls] [--require-par] [--dpop] [--require-dpop]
//! [--dpop-nonce] [--record-exchanges]` prints the issuer URL as the only line on stdout (logs go to stderr) and
//! runs until SIGTERM or Ctrl-C. `--photos` (also spelled `--photo-count`) sets the library
//! size, e.g. `--photos 10000`. `--test-controls` (no value) serves the test control
//! endpoints below; without it they answer 404. It and `--record-exchanges` exist only in a
//! binary built with the test machinery (`cargo build -p photolink-demo-provider --features
//! test-machinery`); any other build refuses them, naming the feature. `--require-par` (no value) accepts
//! authorization requests only when pushed first. `--dpop`, `--require-dpop` and
//! `--dpop-nonce` set [`Config::offer_dpop`], [`Config::require_dpop`] and
//! [`Config::dpop_nonce`]; `--record-exchanges` sets [`Config::record_exchanges`].
//!
//! # The test machinery
//!
//! What only tests need sits behind the cargo feature `test-machinery`, off by default. The
//! app that embeds the provider does not turn it on, so its build holds none of it; the tests
//! do, through their `[dev-dependencies]`
//! (`photolink-demo-provider = { workspace = true, features = ["test-machinery"] }`), and
//! `scripts/test.sh` builds the standalone provider with `--features test-machinery` in a cargo
//! run of its own (one run with the app would turn it on for the app as well).
//!
//! | Piece | With `test-machinery` | Without |
//! |---|---|---|
//! | Fault injection (`Fault`, `InjectedFault`, `set_faults`, `clear_faults`, `fake_tokens_served`) | Armed faults answer instead of the endpoints, see [Faults](#faults). | Not compiled: the endpoints' fault hook is an uninhabited type, so no request can take a fault. |
//! | Test controls (`Config::test_controls`, `--test-controls`) | `POST`/`DELETE /_test/faults`, `GET /_test/stats`. | Not compiled: [`start`] refuses the setting (`Error::InvalidConfig`), the binary the flag. |
//! | Exchange log (`Config::record_exchanges`, `--record-exchanges`, `MAX_EXCHANGES`) | Every request and answer recorded, `GET /_test/exchanges`. | Not compiled; refused like the test controls. |
//! | Counters (`Stats`, `ProviderHandle::stats`) | Counted as requests are answered. | Nothing is counted: counting compiles to nothing. |
//! | Consent page driver (`consent_page::decide`, `consent_page::approve`) | Plays the person at the consent page over HTTP (GET the authorization URL, read the form, POST the decision as a browser would) and returns the callback URL; every test that signs in through the provider uses it, and so do the benchmark programs (`bench/oauth-figures`). | Not compiled, nor its HTTP client (`reqwest`). |
//!
//! The switch is made in one place (the `test_machinery::machinery` module, and the registration of the
//! test routes in `start`); the endpoints call the same hooks either way.
//!
//! # Endpoints
//!
//! Everything lives under the issuer (`{issuer}/authorize`, …). Discovery documents are at
//! `/.well-known/oauth-authorization-server{issuer_path}` (RFC 8414 path insertion) and
//! `{issuer}/.well-known/openid-configuration`.
//!
//! | Endpoint | Behaviour |
//! |---|---|
//! | `GET /authorize` | Validates the request and shows the consent page (provider "Demo Photos", app "PhotoLink", an **Account name** field, the requested scopes in plain words, Approve / Deny). The field holds `login_hint` when it is a name an account can have, else "Alex Rivera" (`alex@demo.photos`). |
//! | `POST /authorize` | The consent form: a one-time `transaction` id, `decision` and `account_name`. Each name is a demo account of its own (the same name in any case and spacing, the same account; 1 to 40 characters, no control characters): its `sub`, `name` and `email` are what the grant's ID tokens and userinfo say, across refreshes and restarts. Without the field, the account is Alex Rivera's; a name that cannot be one is a 400 error page, leaving the transaction answerable. Redirects (303) with `code`, `state`, `iss`, or `error=access_denied`. Refused with a 403 error page, leaving the transaction answerable, when `Origin` is present and not `http://127.0.0.1:PORT` or `Sec-Fetch-Site` is present and not `same-origin` or `none`. |
//! | `POST /par` | Pushed authorization requests (RFC 9126): the authorization parameters as a form, with the client authenticated as at `/token`; `201` with a one-time `request_uri` and `expires_in`. Then `GET /authorize?client_id=…&request_uri=…` uses the pushed parameters, validated like any others. Advertised as `pushed_authorization_request_endpoint`. |
//! | `POST /token` | `authorization_code` and `refresh_token` grants; with `openid` in the code's scope, also an `id_token`; `token_type` `DPoP` after a valid DPoP proof, else `Bearer`. |
//! | `GET /jwks` | The JWK Set (one P-256 key, `ES256`) that verifies ID tokens; advertised as `jwks_uri`. |
//! | `POST /revoke` | RFC 7009; 200 even for unknown tokens. |
//! | `GET /userinfo` | `{"sub","name","email"}` for a token with `profile` (Bearer, or DPoP with a proof). |
//! | `GET /photos` | `{"photos":[{"id","title","url","thumbnail_url","width","height","taken_at"}],"next_page_token","order":"newest_first"}`; `page_size` (default 50, at most 100) and `page_token`; the last page has no token. Newest `taken_at` first (RFC 3339, UTC), in outings of four photos back to February 2021 whatever the library's size. Needs `photos:read`. |
//! | `GET /photos/{id}/image`, `/thumbnail` | PNG, 1200×800 and 320×213, with `ETag` and private caching. Needs `photos:read`. |
//! | `POST /_test/faults` | Only with `test_controls` (and the [test machinery](#the-test-machinery)). Body `{"faults":[…]}` (JSON, see [Faults](#faults)) replaces the armed faults: 204, or 400/422 with a plain-text reason, 415 without `Content-Type: application/json`. |
//! | `DELETE /_test/faults` | Only with `test_controls`. Disarms every fault and releases hanging requests: 204. |
//! | `GET /_test/stats` | Only with `test_controls`. The [`Stats`] as JSON (member names as in Rust). |
//! | `GET /_test/exchanges` | Only with `record_exchanges`. The last [`MAX_EXCHANGES`] requests and answers in plain text, for leak tests (the exchange log: codes, verifiers, tokens, `request_uri`s, nonces and DPoP proofs as they passed). |
//!
//! # The strict rules
//!
//! - Every request must name the provider in its `Host` header: `127.0.0.1:PORT` or
//!   `localhost:PORT` (DNS rebinding defence). Any other host gets `421 Misdirected Request`,
//!   a missing or repeated `Host` gets `400`, both with a short plain-text body.
//! - One registered public client, [`CLIENT_ID`] (`photolink-desktop`), with redirect URIs
//!   [`CUSTOM_SCHEME_REDIRECT_URI`] and the sign-in plugin's example app's [`EXAMPLE_REDIRECT_URI`]
//!   (exact match), and `http://127.0.0.1:{any port}/oauth/callback`.
//!   An unknown client or unregistered redirect URI gets an HTML error page, never a redirect.
//! - `response_type=code`, `state` and PKCE with `code_challenge_method=S256` are required;
//!   otherwise the client is sent back an `invalid_request` error. Scopes: `photos:read`,
//!   `profile`, `openid` (none requested means `photos:read profile`). Repeated parameters are
//!   rejected. A `nonce` is kept with the code and repeated in the ID token.
//! - A pushed request's `request_uri` works once, until it expires, and only for the client
//!   that pushed it; with `require_par`, a request that was not pushed gets an error page.
//! - ID tokens (sign-ins with `openid`, code grants only) are ES256 JWTs with `iss`, `sub`,
//!   `aud`, `exp` (10 minutes), `iat`, `auth_time`, the `nonce`, and `name` and `email` with
//!   `profile`.
//! - Authorization codes are single-use and short-lived; any attempt spends the code, and
//!   presenting a spent code revokes the grant it produced. `redirect_uri` at the token endpoint
//!   must equal the authorization request's, byte for byte, and the verifier must match.
//! - Refresh tokens rotate on every use; presenting a rotated one revokes the whole grant.
//!   A refresh may narrow the scope, never widen it.
//! - Revoking either token of a grant ends the grant.
//! - The public client must not send a client secret. With [`Config::client_secret`] set, the
//!   client must use exactly one of `client_secret_basic` and `client_secret_post`.
//! - Token endpoint bodies must be `application/x-www-form-urlencoded`. Errors are RFC 6749 §5.2
//!   JSON with `Cache-Control: no-store` (400, or 401 for `invalid_client`).
//! - Protected resources answer 401 with `WWW-Authenticate: Bearer … error="invalid_token"` for
//!   a missing, unknown, expired or revoked token, and 403 `insufficient_scope` when the scope
//!   is missing (a `DPoP` challenge when the request used the `DPoP` scheme). DPoP-bound
//!   tokens follow the rules under [DPoP](#dpop).
//!
//! # DPoP
//!
//! With [`Config::offer_dpop`] or [`Config::require_dpop`] the discovery documents advertise
//! `dpop_signing_alg_values_supported: ["ES256"]`; proofs are honoured either way, following
//! RFC 9449:
//!
//! - A token request with a valid `DPoP` proof gets tokens bound to the proof's key (its JWK
//!   thumbprint is recorded with the access token as its `cnf.jkt`, and with the grant, which
//!   binds the refresh token): `token_type` is `DPoP`. Without a proof, tokens are `Bearer`,
//!   unless [`Config::require_dpop`] refuses the request (`invalid_dpop_proof`). Revocation
//!   requests are held to the same rule.
//! - Proofs are verified strictly, in a documented order: one `DPoP` header, `typ`
//!   `dpop+jwt`, `alg` `ES256`, a public P-256 `jwk`, the signature, `jti`, `htm`, `htu`
//!   (without query and fragment), `iat` at most 60 s old and 5 s ahead, `ath` on resource
//!   requests, the nonce when demanded, and last a `jti` never seen before. A refused proof is
//!   `invalid_dpop_proof`, and is checked before the grant is looked at: it spends no code
//!   and rotates no refresh token.
//! - A `dpop_jkt` on the authorization request (43 base64url characters) binds the code: it
//!   is redeemed only with a proof of that key (`invalid_grant` otherwise).
//! - A refresh token bound to a key needs a proof of that key (`invalid_dpop_proof`, checked
//!   before reuse detection, so someone without the key cannot end the grant).
//! - The photo API and userinfo accept a bound token only as `Authorization: DPoP` with a
//!   proof of its key for that request; as `Bearer` it is `invalid_token`, with another key's
//!   proof `invalid_dpop_proof` (401, `WWW-Authenticate: DPoP algs="ES256", error=…`).
//! - With [`Config::dpop_nonce`], a proof without the current nonce (or the one before it;
//!   nonces change every 5 minutes, or on
//!   [`ProviderHandle::rotate_dpop_nonce`]) is answered `use_dpop_nonce` with the nonce in
//!   `DPoP-Nonce`: 400 at the token and revocation endpoints, 401 with a `DPoP` challenge at
//!   the resources. Token and revocation answers always carry the current nonce.
//! - [`Stats`] counts `dpop_proofs_accepted`, `dpop_proofs_refused` and
//!   `dpop_nonces_demanded`.
//!
//! # Faults
//!
//! With the [test machinery](#the-test-machinery), tests of a client's resilience arm `Fault`s:
//! with `ProviderHandle::set_faults` when the provider runs in the test, or with
//! `POST {issuer}/_test/faults` when it runs as a separate process with `--test-controls`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), photolink_demo_provider::Error> {
//! # #[cfg(feature = "test-machinery")] {
//! use photolink_demo_provider::{Config, Fault, start};
//!
//! let provider = start(Config::default()).await?;
//! provider.set_faults([
//!     Fault::TokenServerError { status: 503, retry_after: Some(2) }.times(1),
//!     Fault::PhotosInvalidToken.until_cleared(),
//! ])?;
//! // … the client's first token request gets a 503, every photo request a 401 …
//! assert_eq!(provider.stats().faults_served.get("token_server_error"), Some(&1));
//! provider.clear_faults();
//! # }
//! # Ok(())
//! # }
//! ```
//!
//! The same over HTTP (`times` is optional; without it the fault lasts until cleared):
//!
//! ```text
//! POST {issuer}/_test/faults
//! Content-Type: application/json
//!
//! {"faults":[{"fault":"token_server_error","status":503,"retry_after":2,"times":1},
//!            {"fault":"photos_invalid_token"}]}
//! ```
//!
//! | `fault` | Extra members | Answer |
//! |---|---|---|
//! | `token_server_error` | `status` (500–599), `retry_after` (seconds, optional) | That status, JSON `error` (`temporarily_unavailable` for 503, else `server_error`), `Retry-After` when given. |
//! | `token_connection_closed` | | The connection is closed without a byte. For a real "connection refused", stop the provider and use its old port. |
//! | `token_hang` | | No answer until the faults are changed or cleared (the client times out), then closed without a byte. |
//! | `token_html` | | 200 with an HTML page. |
//! | `token_truncated_json` | | 200, `application/json`, a token response cut off halfway. |
//! | `token_without_access_token` | | 200 JSON success without `access_token`. |
//! | `token_type_not_bearer` | | 200 JSON success with `token_type` `mac`. |
//! | `token_unbound_bearer` | | 200 JSON success with `token_type` `Bearer`, whatever DPoP proof came with the request. |
//! | `token_answer_lost` | | The request is processed as usual (a code is spent, a refresh token rotated), then the connection is closed without the answer. |
//! | `token_huge_body` | | 200 JSON of 50 MiB ([`HUGE_BODY_BYTES`]), streamed, with `Content-Length`. |
//! | `token_form_encoded` | | 200 `application/x-www-form-urlencoded` success: `access_token=…&token_type=Bearer&expires_in=3600&refresh_token=…&scope=…`. |
//! | `photos_invalid_token` | | `GET /photos`, images and thumbnails: 401 with `WWW-Authenticate: Bearer … error="invalid_token"`. |
//! | `photos_server_error` | `status` (500–599), `retry_after` (optional) | The photo API answers that status with a JSON error and `Retry-After` when given. |
//! | `photos_stalled_download` | | The photo API answers 200 `image/png` announcing 8 MiB ([`STALLED_DOWNLOAD_BYTES`]), sends its first 1 MiB ([`STALLED_DOWNLOAD_SENT`]), then nothing until the faults are changed or cleared, when the connection is closed. |
//! | `userinfo_other_subject` | | `GET /userinfo`: 200 describing another account (`sub` [`OTHER_SUBJECT`]). |
//! | `discovery_missing` | | Both discovery documents: 404. |
//! | `discovery_other_issuer` | `issuer` | Both documents name this issuer; everything else is unchanged. |
//! | `jwks_server_error` | `status` (500–599) | `GET /jwks` answers that status with a JSON error. |
//! | `par_server_error` | `status` (500–599), `retry_after` (optional) | `POST /par` answers that status with a JSON `error` (`temporarily_unavailable` for 503, else `server_error`), `Retry-After` when given. |
//! | `userinfo_server_error` | `status` (500–599), `retry_after` (optional) | `GET /userinfo` answers that status with a JSON error, `Retry-After` when given. |
//!
//! A request is answered by the first armed fault of its endpoint group (token, photos,
//! discovery, JWK Set, pushed authorization, userinfo), which counts down; several faults of
//! one group run in the order given. A faulty answer changes no state (codes are not spent,
//! refresh tokens not rotated; `token_answer_lost` alone does the work and loses its answer),
//! and the tokens in faulty bodies are random values the provider does not know (the most
//! recent are reported by [`ProviderHandle::fake_tokens_served`], so a test can check that a
//! client shows none of them). Each is counted in
//! [`Stats::faults_served`] under its name and in the endpoint's request counter, never as a
//! token error or an unauthorized request. Shutting the provider down releases hanging requests.
//!
//! # Persistence
//!
//! With [`Config::state_file`], grants, codes and tokens are saved after every change as
//! SHA-256 hashes ([`token_hash`]), never raw values, by writing a temporary file and renaming
//! it over the old one. A restarted provider loads the file, so stored tokens keep working.
//! The key that signs ID tokens is kept beside it (`{state_file}.id-token-key`, owner-only),
//! so ID tokens stay verifiable across restarts; without a state file it lives in memory.
//!
//! # Photos
//!
//! The account has `photo_count` photos (default 12). Each is a procedurally generated
//! landscape (sky gradient, sun or moon, stars, layered mountains or hills, lakes) from twelve
//! designs with distinct palettes; photos after the twelfth vary a design. Listing costs nothing
//! per photo. Each image is drawn and encoded on its first request and then served stored:
//! every thumbnail of even a 10,000-photo library stays kept (see the `photo_api::images` module for
//! the budgets).

// The docs link to the test machinery's items, which a build without it does not have.
#![cfg_attr(
    not(feature = "test-machinery"),
    allow(rustdoc::broken_intra_doc_links)
)]

mod authorization;
mod photo_api;
mod shared;
mod test_machinery;

pub use authorization::client::{CLIENT_ID, CUSTOM_SCHEME_REDIRECT_URI, EXAMPLE_REDIRECT_URI};
pub use shared::config::{Config, ExpiryField, IssParameter, Limits, WellKnownDocuments};
pub use shared::endpoints::Endpoints;
pub use shared::handle::ProviderHandle;
pub use shared::persistence::StateFileError;
pub use shared::secrets::token_hash;
pub use shared::server::start;
#[cfg(feature = "test-machinery")]
pub use test_machinery::consent_page;
#[cfg(feature = "test-machinery")]
pub use test_machinery::exchanges::MAX_EXCHANGES;
#[cfg(feature = "test-machinery")]
pub use test_machinery::faults::{
    Fault, FaultProblem, HUGE_BODY_BYTES, InjectedFault, OTHER_SUBJECT, STALLED_DOWNLOAD_BYTES,
    STALLED_DOWNLOAD_SENT,
};
#[cfg(feature = "test-machinery")]
pub use test_machinery::stats::Stats;

/// Why the provider could not start or change its state.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 127.0.0.1 and the requested port could not be bound.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[source] std::io::Error),
    /// The state file could not be read or written.
    #[error(transparent)]
    StateFile(#[from] StateFileError),
    /// A configuration value is not usable.
    #[error("invalid configuration: {0}")]
    InvalidConfig(ConfigProblem),
    /// No key to sign ID tokens could be made (the OS random source failed).
    #[error("cannot generate the ID token signing key")]
    SigningKey,
    /// A fault cannot be armed (see [`ProviderHandle::set_faults`]).
    #[cfg(feature = "test-machinery")]
    #[error("invalid fault: {0}")]
    InvalidFault(FaultProblem),
}

/// What is wrong with a [`Config`] (see [`Error::InvalidConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// A test setting (its name) was asked of a provider built without the `test-machinery`
    /// feature.
    #[error("{0} needs a provider built with the test-machinery feature")]
    NotBuilt(&'static str),
    /// `issuer_path` is neither empty nor like `/tenant`.
    #[error("issuer_path must be empty or like \"/tenant\"")]
    IssuerPath,
    /// A limit (its name) is zero.
    #[error("limits.{0} must be at least 1")]
    ZeroLimit(&'static str),
}
