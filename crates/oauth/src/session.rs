//! The token lifecycle of one connected account.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::client::{DPOP, OAuthClient, TokenTypeHint};
use crate::dpop::{DpopKey, NonceRetry};
use crate::error::{
    Error, InternalFailure, ResponseProblem, Result, RevocationFailure, StoreError,
};
use crate::http::{OpenBody, RawResponse, challenge_error};
use crate::id_token::IdTokenClaims;
use crate::secret::AccessToken;
use crate::server_text;
use crate::sign_in::AuthorizationResponse;
use crate::store::TokenStore;
use crate::sync::{blocking, lock};
use crate::token::TokenSet;

/// Where the account connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// No account is connected.
    SignedOut,
    /// Tokens are held and believed to work.
    Connected,
    /// The server rejected the grant (revoked or expired); the person must connect again.
    ReconnectNeeded,
}

/// Whether the token store holds what the session holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Persistence {
    /// The store holds the current tokens (or, when signed out, nothing).
    Saved,
    /// The last store call failed: the connection lives in memory for this run only, and the
    /// store was cleared as far as it allowed, so it holds no already rotated refresh token.
    /// Saving is tried again at the next token use.
    MemoryOnly(StoreError),
}

/// Why a refresh is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefreshReason {
    /// The access token expires within the skew.
    Expiring,
    /// A resource server answered 401 to the access token.
    Rejected,
}

/// A connected account: hands out fresh access tokens, refreshes them, and disconnects.
///
/// Share it as `Arc<Session>`. Refreshes are single-flight: however many callers need a fresh
/// token at once, one refresh request is made and all of them get its result. A rotated refresh
/// token is saved to the [`TokenStore`] before it is used, and the old one is never sent again.
///
/// Every store call runs on the blocking pool ([`sync::blocking`](crate::sync::blocking)), since a
/// keyring may block; a panic in the store is resumed in the caller.
/// A failed save does not lose the connection: the new tokens stay in memory, the store is
/// cleared (so it keeps no refresh token the server has already retired), and
/// [`persistence`](Self::persistence) says [`Persistence::MemoryOnly`] until a later token use
/// saves them.
pub struct Session {
    client: OAuthClient,
    store: Arc<dyn TokenStore>,
    state: Mutex<State>,
    /// Held while tokens are being replaced (refresh, connect, disconnect).
    refresh_lock: tokio::sync::Mutex<()>,
}

struct State {
    tokens: Option<TokenSet>,
    reconnect_needed: bool,
    /// The store failure that left the store out of step with `tokens`, if any.
    unsaved: Option<StoreError>,
    version: Version,
    /// The outcome of the latest failed refresh, shared with callers that waited for it.
    last_refresh_failure: Option<Error>,
}

/// Lets a caller that waited for the refresh lock tell what happened meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Version {
    /// Bumped whenever the tokens change.
    tokens: u64,
    /// Bumped whenever a refresh fails without changing the tokens.
    failed_refreshes: u64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("client", &self.client)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// A protected resource fetched with [`Session::authorized_get`]. `Debug` shows the body's
/// length, never the body.
#[derive(Clone)]
pub struct ResourceResponse {
    /// The HTTP status (always 2xx).
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl fmt::Debug for ResourceResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceResponse")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// A protected resource being downloaded with [`Session::authorized_download`] (or
/// [`Session::download_without_credentials`]): a 2xx answer whose body is read piece by piece as
/// it arrives, with no cap on its size. `Debug` never shows the body.
#[derive(Debug)]
pub struct ResourceDownload {
    /// The HTTP status (always 2xx).
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    body: OpenBody,
    /// How long the body may be silent.
    idle: Duration,
}

impl ResourceDownload {
    /// The body's length as the server announced it (`Content-Length`), if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.body.content_length()
    }

    /// The next piece of the body, `None` after the last. A body cut off before it was
    /// complete is [`Error::UnexpectedResponse`]; one silent for longer than
    /// [`HttpOptions::timeout`](crate::HttpOptions::timeout) is [`Error::Network`].
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        self.body.next_chunk(Some(self.idle)).await
    }
}

/// How a resource's body is read: whole into memory (under the size cap and the request
/// timeout), or piece by piece (under the download timeout, with no size cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Whole,
    Pieces,
}

/// What a request to a resource does.
#[derive(Debug, Clone, Copy)]
enum Call<'a> {
    Get,
    /// A POST of this JSON body.
    PostJson(&'a [u8]),
    Delete,
}

impl Call<'_> {
    fn request(self, http: &crate::http::HttpClient, url: &Url) -> reqwest::RequestBuilder {
        match self {
            Self::Get => http.get(url),
            Self::PostJson(body) => http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec()),
            Self::Delete => http.delete(url),
        }
    }

    /// The method, as a DPoP proof names it (RFC 9449 §4.2, `htm`).
    fn method(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::PostJson(_) => "POST",
            Self::Delete => "DELETE",
        }
    }
}

impl ResourceResponse {
    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| Error::UnexpectedResponse {
            status: self.status,
            detail: ResponseProblem::of_json_error(&e),
            retry_after: None,
        })
    }
}

/// The account details from the userinfo endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    /// The account's stable identifier.
    pub sub: String,
    /// A display name, cleaned to be shown (invisible characters removed, capped), as
    /// [`Session::userinfo`] returns it.
    #[serde(default)]
    pub name: Option<String>,
    /// An e-mail address, cleaned as `name` is.
    #[serde(default)]
    pub email: Option<String>,
    /// Any other claims, as the server wrote them.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl Session {
    /// A session over `store`, starting from whatever tokens it holds. The store is read on the
    /// calling thread: use it where blocking is fine (start-up, tests), and
    /// [`open`](Self::open) on an async worker.
    pub fn new(client: OAuthClient, store: Arc<dyn TokenStore>) -> Result<Self> {
        let tokens = store.load()?;
        Ok(Self::with_tokens(client, store, tokens))
    }

    /// Like [`new`](Self::new), reading the store on the blocking pool.
    pub async fn open(client: OAuthClient, store: Arc<dyn TokenStore>) -> Result<Self> {
        let tokens = run_blocking(&store, |store| store.load()).await?;
        Ok(Self::with_tokens(client, store, tokens))
    }

    fn with_tokens(
        client: OAuthClient,
        store: Arc<dyn TokenStore>,
        tokens: Option<TokenSet>,
    ) -> Self {
        Self {
            client,
            store,
            state: Mutex::new(State {
                tokens,
                reconnect_needed: false,
                unsaved: None,
                version: Version::default(),
                last_refresh_failure: None,
            }),
            refresh_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The client this session uses.
    pub fn client(&self) -> &OAuthClient {
        &self.client
    }

    /// Where the connection stands.
    pub fn status(&self) -> SessionStatus {
        let state = self.lock();
        match (&state.tokens, state.reconnect_needed) {
            (Some(_), _) => SessionStatus::Connected,
            (None, true) => SessionStatus::ReconnectNeeded,
            (None, false) => SessionStatus::SignedOut,
        }
    }

    /// Whether the store holds what this session holds (see [`Persistence`]).
    pub fn persistence(&self) -> Persistence {
        match &self.lock().unsaved {
            None => Persistence::Saved,
            Some(error) => Persistence::MemoryOnly(error.clone()),
        }
    }

    /// The scopes the server granted, empty when not connected.
    pub fn granted_scopes(&self) -> Vec<String> {
        self.lock()
            .tokens
            .as_ref()
            .map(|t| t.scopes.clone())
            .unwrap_or_default()
    }

    /// The account named by the verified ID token of an OpenID Connect sign-in, when connected
    /// with one: what the app can show when the server has no userinfo endpoint.
    pub fn id_token_claims(&self) -> Option<IdTokenClaims> {
        self.lock()
            .tokens
            .as_ref()
            .and_then(|tokens| tokens.id_token_claims.clone())
    }

    /// Exchanges a validated callback's code for tokens, saves them, and replaces any
    /// earlier connection.
    ///
    /// A failed save does not fail the connection: it is kept in memory, the store is cleared
    /// (so it holds no earlier connection), and [`Persistence::MemoryOnly`] says so.
    pub async fn connect(&self, response: AuthorizationResponse) -> Result<Persistence> {
        let tokens = self.client.exchange_code(response).await?;
        let _guard = self.refresh_lock.lock().await;
        self.save_and_install(tokens).await;
        Ok(self.persistence())
    }

    /// A usable access token, refreshed first if it expires within the configured skew.
    ///
    /// If that refresh fails while the current token has not expired yet, the current token
    /// is returned, unless the token endpoint refused the refresh (an RFC 6749 error other
    /// than a 5xx or 429; `invalid_grant` is [`Error::ReconnectNeeded`]). The store is left as
    /// it was.
    pub async fn access_token(&self) -> Result<AccessToken> {
        Ok(self.tokens_with_version().await?.0.access_token)
    }

    /// GETs a protected resource with `Authorization: Bearer`, or for a DPoP-bound token with
    /// `Authorization: DPoP` and a DPoP proof of the connection's key (RFC 9449 §7). A 401
    /// asking for a DPoP nonce it supplies is retried once with it.
    ///
    /// A 5xx or 429 answer is retried after a backoff that honours `Retry-After`, at most
    /// [`HttpOptions::resource_retry`](crate::HttpOptions::resource_retry) times (see
    /// [`RetryPolicy`](crate::RetryPolicy)). On a 401 that says `invalid_token` (or gives no
    /// reason) the token is refreshed once and the request retried; a refresh the server
    /// refuses with `invalid_grant` is [`Error::ReconnectNeeded`]. Other non-2xx answers, and
    /// the last answer when the retries are used up, become errors naming the status.
    pub async fn authorized_get(&self, url: &str) -> Result<ResourceResponse> {
        let answer = self.authorized_open(Call::Get, url, Reading::Whole).await?;
        self.whole(answer).await
    }

    /// POSTs `body` as JSON to a protected resource, with the authorization, retries, refresh
    /// and endpoint rule of [`authorized_get`](Self::authorized_get). A 5xx or 429 answer is
    /// retried like a GET's, so a request that creates something may create it twice: use it
    /// for what the service lets expire unused (a Google Photos Picker session).
    pub async fn authorized_post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<ResourceResponse> {
        let body =
            serde_json::to_vec(body).map_err(|_| Error::Internal(InternalFailure::RequestBody))?;
        let answer = self
            .authorized_open(Call::PostJson(&body), url, Reading::Whole)
            .await?;
        self.whole(answer).await
    }

    /// DELETEs a protected resource, with the authorization, retries, refresh and endpoint
    /// rule of [`authorized_get`](Self::authorized_get).
    pub async fn authorized_delete(&self, url: &str) -> Result<ResourceResponse> {
        let answer = self
            .authorized_open(Call::Delete, url, Reading::Whole)
            .await?;
        self.whole(answer).await
    }

    /// Like [`authorized_get`](Self::authorized_get) (the same authorization, retries, refresh
    /// and endpoint rule), but the body is handed out piece by piece as it arrives, with no
    /// size cap: for downloads too large to hold in memory. The whole download may take
    /// [`HttpOptions::download_timeout`](crate::HttpOptions::download_timeout), its body may be
    /// silent for [`HttpOptions::timeout`](crate::HttpOptions::timeout) at a time.
    pub async fn authorized_download(&self, url: &str) -> Result<ResourceDownload> {
        let answer = self
            .authorized_open(Call::Get, url, Reading::Pieces)
            .await?;
        self.download(answer)
    }

    /// `call` of `url` with the tokens, refreshed once on a 401 that rejects them.
    async fn authorized_open(
        &self,
        call: Call<'_>,
        url: &str,
        reading: Reading,
    ) -> Result<(RawResponse, Option<OpenBody>)> {
        let url = self.client.transport().endpoint(url)?;
        let (tokens, version) = self.tokens_with_version().await?;
        let answer = self.send_with(call, &url, Some(&tokens), reading).await?;
        if is_token_rejection(&answer.0) {
            let tokens = self.refresh(version, RefreshReason::Rejected).await?;
            return self.send_with(call, &url, Some(&tokens), reading).await;
        }
        Ok(answer)
    }

    /// GETs a resource that needs no credentials, such as a pre-authenticated download URL a
    /// resource server handed out: no `Authorization` header is sent. The URL must pass the
    /// same rule as every endpoint (`https`, or `http` on a loopback IP literal when the issuer
    /// is itself there), the body the same cap, and 5xx or 429 answers the same retries as
    /// [`authorized_get`](Self::authorized_get). Any other non-2xx answer is an error naming
    /// the status.
    pub async fn get_without_credentials(&self, url: &str) -> Result<ResourceResponse> {
        let url = self.client.transport().endpoint(url)?;
        let answer = self
            .send_with(Call::Get, &url, None, Reading::Whole)
            .await?;
        self.whole(answer).await
    }

    /// Like [`get_without_credentials`](Self::get_without_credentials), with the body handed
    /// out piece by piece as [`authorized_download`](Self::authorized_download) does.
    pub async fn download_without_credentials(&self, url: &str) -> Result<ResourceDownload> {
        let url = self.client.transport().endpoint(url)?;
        let answer = self
            .send_with(Call::Get, &url, None, Reading::Pieces)
            .await?;
        self.download(answer)
    }

    /// A 2xx answer read whole, under the cap on resources.
    async fn whole(&self, answer: (RawResponse, Option<OpenBody>)) -> Result<ResourceResponse> {
        let (head, body) = successful(answer)?;
        let limit = self.client.http().options().max_resource_bytes;
        Ok(ResourceResponse {
            status: head.status,
            content_type: head.content_type,
            body: body.read_capped(limit).await?,
        })
    }

    /// A 2xx answer whose body is read piece by piece.
    fn download(&self, answer: (RawResponse, Option<OpenBody>)) -> Result<ResourceDownload> {
        let (head, body) = successful(answer)?;
        Ok(ResourceDownload {
            status: head.status,
            content_type: head.content_type,
            body,
            idle: self.client.http().options().timeout,
        })
    }

    /// The account details from the server's `userinfo_endpoint`.
    ///
    /// When the connection has a verified ID token, an answer whose `sub` is not the token's is
    /// [`Error::UserinfoSubjectMismatch`] (OpenID Connect Core §5.3.2): it may describe another
    /// account, so nothing of it is handed out.
    pub async fn userinfo(&self) -> Result<UserInfo> {
        let endpoint = self
            .client
            .userinfo_endpoint()
            .ok_or(Error::NoUserinfoEndpoint)?
            .clone();
        let verified = self.id_token_claims();
        let mut info: UserInfo = self.authorized_get(endpoint.as_str()).await?.json()?;
        info.name = info.name.as_deref().and_then(server_text::account_detail);
        info.email = info.email.as_deref().and_then(server_text::account_detail);
        // The claims as they were when asked, and as they are now: a new sign-in meanwhile
        // must not make another account's answer pass.
        let names_another =
            |claims: Option<IdTokenClaims>| claims.is_some_and(|c| c.sub != info.sub);
        if names_another(verified) || names_another(self.id_token_claims()) {
            return Err(Error::UserinfoSubjectMismatch);
        }
        Ok(info)
    }

    /// Disconnects: forgets the tokens here (memory and store) first, then asks the server to
    /// revoke the refresh token and then the access token. Local forgetting always happens;
    /// a failed revocation is reported as [`Error::RevocationFailed`], a store that could not
    /// be cleared as [`Error::Storage`] (revocation is still attempted).
    ///
    /// After a failed clear, [`persistence`](Self::persistence) says
    /// [`Persistence::MemoryOnly`] and the next token use tries clearing again.
    pub async fn disconnect(&self) -> Result<()> {
        let _guard = self.refresh_lock.lock().await;
        let tokens = self.lock().tokens.clone();
        self.install(None, false);
        let cleared = self.clear_store().await;
        let revoked = match tokens {
            Some(tokens) => self.revoke_all(&tokens).await,
            None => Ok(()),
        };
        cleared?;
        revoked
    }

    /// Revokes the refresh token, then the access token, attempting both (with DPoP proofs
    /// when the tokens have a key).
    async fn revoke_all(&self, tokens: &TokenSet) -> Result<()> {
        let mut failure = None;
        let key = tokens.dpop_key.as_deref();
        if let Some(refresh_token) = &tokens.refresh_token {
            failure = self
                .client
                .revoke(refresh_token.secret(), TokenTypeHint::RefreshToken, key)
                .await
                .err();
        }
        let revoked = self
            .client
            .revoke(
                tokens.access_token.secret(),
                TokenTypeHint::AccessToken,
                key,
            )
            .await;
        if let Err(error) = revoked {
            failure.get_or_insert(error);
        }
        match failure {
            None => Ok(()),
            Some(Error::RevocationFailed { reason }) => Err(Error::RevocationFailed { reason }),
            Some(error) => Err(Error::RevocationFailed {
                reason: RevocationFailure::Request(Box::new(error)),
            }),
        }
    }

    /// Tokens with a usable access token, and the version they were seen at.
    async fn tokens_with_version(&self) -> Result<(TokenSet, Version)> {
        self.retry_unsaved().await;
        let (tokens, version) = self.current()?;
        if !tokens.needs_refresh(self.client.config().refresh_skew, SystemTime::now()) {
            return Ok((tokens, version));
        }
        let tokens = self.refresh(version, RefreshReason::Expiring).await?;
        let version = self.lock().version;
        Ok((tokens, version))
    }

    /// Refreshes the tokens seen at `seen`. A caller that waited while someone else refreshed
    /// them gets that refresh's outcome instead of making a second request.
    async fn refresh(&self, seen: Version, reason: RefreshReason) -> Result<TokenSet> {
        let _guard = self.refresh_lock.lock().await;
        let (tokens, version) = self.current()?;
        if version.tokens != seen.tokens {
            return Ok(tokens);
        }
        let still_valid =
            reason == RefreshReason::Expiring && !tokens.is_expired(SystemTime::now());
        let shared_failure = (version.failed_refreshes != seen.failed_refreshes)
            .then(|| self.lock().last_refresh_failure.clone())
            .flatten();
        if let Some(failure) = shared_failure {
            return settle_failure(failure, still_valid, tokens);
        }
        if tokens.refresh_token.is_none() {
            if still_valid {
                return Ok(tokens);
            }
            return Err(self.reconnect_needed().await);
        }
        match self.client.refresh(&tokens).await {
            Ok(fresh) => {
                self.save_and_install(fresh.clone()).await;
                Ok(fresh)
            }
            Err(error) if error.is_invalid_grant() => Err(self.reconnect_needed().await),
            Err(error) => {
                let mut state = self.lock();
                state.version.failed_refreshes += 1;
                state.last_refresh_failure = Some(error.clone());
                drop(state);
                settle_failure(error, still_valid, tokens)
            }
        }
    }

    /// Forgets dead tokens and marks the session as needing a new connection.
    async fn reconnect_needed(&self) -> Error {
        self.install(None, true);
        // A failure to clear only leaves dead tokens behind, which the server refuses again;
        // it is remembered and retried all the same.
        let _ = self.clear_store().await;
        Error::ReconnectNeeded
    }

    /// Saves new tokens before they are used, then installs them. If saving fails they are
    /// installed anyway (the server may already have retired the old refresh token) and the
    /// store is cleared, so it cannot present a retired refresh token at the next start.
    /// Call with the refresh lock held.
    async fn save_and_install(&self, tokens: TokenSet) {
        let to_save = tokens.clone();
        let saved = run_blocking(&self.store, move |store| store.save(&to_save)).await;
        self.install(Some(tokens), false);
        match saved {
            Ok(()) => self.lock().unsaved = None,
            Err(error) => {
                let _ = run_blocking(&self.store, |store| store.clear()).await;
                self.lock().unsaved = Some(error);
            }
        }
    }

    /// Clears the store, remembering a failure. Call with the refresh lock held.
    async fn clear_store(&self) -> Result<(), StoreError> {
        let cleared = run_blocking(&self.store, |store| store.clear()).await;
        self.lock().unsaved = cleared.as_ref().err().cloned();
        cleared
    }

    /// After a failed store call, brings the store in step with memory again: saves the current
    /// tokens, or clears it when there are none. Skipped while tokens are being replaced (that
    /// writes the store anyway) and when nothing failed.
    async fn retry_unsaved(&self) {
        if self.lock().unsaved.is_none() {
            return;
        }
        let Ok(_guard) = self.refresh_lock.try_lock() else {
            return;
        };
        let tokens = self.lock().tokens.clone();
        let result = match tokens {
            Some(tokens) => run_blocking(&self.store, move |store| store.save(&tokens)).await,
            None => run_blocking(&self.store, |store| store.clear()).await,
        };
        self.lock().unsaved = result.err();
    }

    /// One resource GET, with the tokens' authorization when tokens are given (`Bearer`, or
    /// `DPoP` with a proof). An answer with a passing status (5xx, 429) is tried again as the
    /// [`RetryPolicy`](crate::RetryPolicy) allows, and one asking for a DPoP nonce once more;
    /// the last answer is returned, with the body of a 2xx answer still to be read.
    async fn send_with(
        &self,
        call: Call<'_>,
        url: &Url,
        tokens: Option<&TokenSet>,
        reading: Reading,
    ) -> Result<(RawResponse, Option<OpenBody>)> {
        let http = self.client.http();
        let policy = http.options().resource_retry;
        let mut retries_done = 0;
        let mut nonce_retry = NonceRetry::at_resource();
        loop {
            let request = match tokens {
                Some(tokens) => self.authorized(call, url, tokens)?,
                None => call.request(http, url),
            };
            let request = match reading {
                Reading::Whole => request,
                Reading::Pieces => request.timeout(http.options().download_timeout),
            };
            let (response, body) = http.send_resource(request).await?;
            if tokens.and_then(dpop_key_in_use).is_some() {
                let fresh_nonce = self.client.remember_dpop_nonce(url, &response);
                if nonce_retry.again(fresh_nonce, &response) {
                    continue;
                }
            }
            match policy.wait_before_retry(retries_done, response.status, response.retry_after) {
                Some(wait) => {
                    tokio::time::sleep(wait).await;
                    retries_done += 1;
                }
                None => return Ok((response, body)),
            }
        }
    }

    /// `call` of `url` with the tokens' authorization: `Bearer`, or `DPoP` with a proof.
    fn authorized(
        &self,
        call: Call<'_>,
        url: &Url,
        tokens: &TokenSet,
    ) -> Result<reqwest::RequestBuilder> {
        let request = call.request(self.client.http(), url);
        let token = &tokens.access_token;
        let Some(key) = dpop_key_in_use(tokens) else {
            return Ok(request.bearer_auth(token.secret()));
        };
        let mut authorization = HeaderValue::try_from(format!("DPoP {}", token.secret()))
            .map_err(|_| Error::Internal(InternalFailure::AccessTokenHeader))?;
        // Like `bearer_auth`: kept out of any `Debug` of the request.
        authorization.set_sensitive(true);
        Ok(request.header(AUTHORIZATION, authorization).header(
            DPOP,
            self.client
                .dpop_proof(key, call.method(), url, Some(token))?,
        ))
    }

    fn current(&self) -> Result<(TokenSet, Version)> {
        let state = self.lock();
        match &state.tokens {
            Some(tokens) => Ok((tokens.clone(), state.version)),
            None if state.reconnect_needed => Err(Error::ReconnectNeeded),
            None => Err(Error::NotConnected),
        }
    }

    fn install(&self, tokens: Option<TokenSet>, reconnect_needed: bool) {
        let mut state = self.lock();
        state.tokens = tokens;
        state.reconnect_needed = reconnect_needed;
        state.version.tokens += 1;
        state.last_refresh_failure = None;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // State is replaced whole under the lock, so a poisoned lock still holds consistent data.
        lock(&self.state)
    }
}

/// Runs a store call on the blocking pool: a keyring may block, and async workers must not.
async fn run_blocking<T: Send + 'static>(
    store: &Arc<dyn TokenStore>,
    call: impl FnOnce(&dyn TokenStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    blocking(move || call(store.as_ref())).await
}

/// After a failed refresh: a still-valid access token is still good unless the token endpoint
/// refused the refresh itself (an RFC 6749 error without a passing status). Network trouble,
/// a 5xx, or an answer that could not be used (a captive portal's web page, a cut-off body)
/// says nothing against the token in hand.
fn settle_failure(error: Error, still_valid: bool, tokens: TokenSet) -> Result<TokenSet> {
    let refused = matches!(error, Error::Token { .. }) && !error.is_transient();
    if still_valid && !refused {
        Ok(tokens)
    } else {
        Err(error)
    }
}

/// A resource answer as the caller gets it: a 2xx answer with its body to read, or an error
/// naming the status.
fn successful((head, body): (RawResponse, Option<OpenBody>)) -> Result<(RawResponse, OpenBody)> {
    match body {
        Some(body) if head.is_success() => Ok((head, body)),
        _ => Err(head.unexpected()),
    }
}

/// The key resource requests prove possession of: the tokens' key, when the server bound the
/// access token to it (`token_type` DPoP). A server that answered `Bearer` to a proof did not.
fn dpop_key_in_use(tokens: &TokenSet) -> Option<&DpopKey> {
    tokens
        .dpop_key
        .as_deref()
        .filter(|_| tokens.token_type.eq_ignore_ascii_case("dpop"))
}

/// A 401 whose Bearer or DPoP challenge says `invalid_token` or gives no error code.
fn is_token_rejection(response: &RawResponse) -> bool {
    response.status == 401
        && response
            .www_authenticate
            .as_deref()
            .and_then(challenge_error)
            .is_none_or(|(_, error)| error == "invalid_token")
}

#[cfg(test)]
mod tests {
    use super::*;

    mod properties {
        use proptest::prelude::*;
        use serde_json::{Value, json};

        use super::*;

        /// What `ResponseProblem::of_json_error` may say: words, never the body.
        const DETAILS: [&str; 3] = [
            "incomplete JSON (the body was cut off)",
            "JSON without the expected fields",
            "malformed JSON",
        ];

        fn userinfo(body: Vec<u8>) -> Result<UserInfo> {
            ResourceResponse {
                status: 200,
                content_type: Some("application/json".into()),
                body,
            }
            .json()
        }

        fn claim() -> impl Strategy<Value = Option<Value>> {
            proptest::option::of(prop_oneof![
                ".{0,40}".prop_map(|text| json!(text)),
                any::<i64>().prop_map(|n| json!(n)),
                any::<bool>().prop_map(|b| json!(b)),
                Just(Value::Null),
                Just(json!(["alex"])),
                Just(json!({"sub": "nested"})),
            ])
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_userinfo_body_is_read_or_refused_in_words(
                body in prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..400),
                    ".{0,400}".prop_map(String::into_bytes),
                ],
            ) {
                match userinfo(body.clone()) {
                    Ok(info) => {
                        let object: serde_json::Map<String, Value> = serde_json::from_slice(&body).unwrap();
                        prop_assert_eq!(object.get("sub").and_then(Value::as_str), Some(info.sub.as_str()));
                    }
                    Err(Error::UnexpectedResponse { status, detail, retry_after }) => {
                        prop_assert_eq!(status, 200);
                        prop_assert!(DETAILS.contains(&detail.to_string().as_str()), "{}", detail);
                        prop_assert_eq!(retry_after, None);
                    }
                    Err(other) => prop_assert!(false, "{:?}", other),
                }
            }

            #[test]
            fn userinfo_is_accepted_exactly_with_a_text_sub_and_text_or_no_name_and_email(
                sub in claim(),
                name in claim(),
                email in claim(),
                others in proptest::collection::btree_map("[a-z_]{1,12}", claim(), 0..4),
            ) {
                let mut object = serde_json::Map::new();
                for (field, value) in others.into_iter().filter_map(|(k, v)| Some((k, v?))) {
                    object.insert(field, value);
                }
                for (field, value) in [("sub", &sub), ("name", &name), ("email", &email)] {
                    match value {
                        Some(value) => object.insert(field.to_owned(), value.clone()),
                        None => object.remove(field),
                    };
                }
                let optional_text = |value: &Option<Value>| {
                    matches!(value, None | Some(Value::Null | Value::String(_)))
                };
                let accepted = matches!(sub, Some(Value::String(_)))
                    && optional_text(&name)
                    && optional_text(&email);
                let outcome = userinfo(serde_json::to_vec(&object).unwrap());
                prop_assert_eq!(outcome.is_ok(), accepted, "{:?}", outcome);
                if let Ok(info) = outcome {
                    prop_assert_eq!(Some(info.sub.as_str()), sub.as_ref().and_then(Value::as_str));
                    prop_assert_eq!(info.name.as_deref(), name.as_ref().and_then(Value::as_str));
                    prop_assert_eq!(info.email.as_deref(), email.as_ref().and_then(Value::as_str));
                    prop_assert!(!info.other.contains_key("sub"));
                }
            }
        }

        proptest! {
            // Each case reads over a megabyte: a few are enough.
            #![proptest_config(ProptestConfig::with_cases(4))]

            #[test]
            fn userinfo_past_the_answer_cap_is_read_like_any_other(sub in ".{1,40}") {
                // Past the 1 MiB cap on protocol answers, in a claim nobody reads.
                let body = json!({"sub": sub, "picture": "x".repeat(1 << 20)});
                let info = userinfo(serde_json::to_vec(&body).unwrap()).unwrap();
                prop_assert_eq!(info.sub, sub);
            }
        }
    }
}
