//! The OAuth client: authorization URLs, code exchange, refresh and revocation.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use reqwest::header::{ACCEPT, HeaderName};
use url::Url;
use url::form_urlencoded::byte_serialize;

use crate::config::ClientConfig;
use crate::dpop::{DPOP_ALGORITHM, DpopKey, DpopNonces, NonceRetry};
use crate::error::{
    CleanText, ConfigProblem, Error, IdTokenError, ResponseProblem, Result, RevocationFailure,
};
use crate::http::{HttpClient, RawResponse, Transport};
use crate::id_token::{self, Expected, IdTokenClaims, expected_issuer, verify_with};
use crate::issuer::check_id_token_issuer;
use crate::jwks::KeyCache;
use crate::metadata::{ServerMetadata, ValidatedEndpoints, discover_with};
use crate::par;
use crate::pkce::{CODE_CHALLENGE_METHOD, random_urlsafe};
use crate::secret::{AccessToken, ClientSecret, IdToken, PkceVerifier, RefreshToken};
use crate::sign_in::{AuthorizationResponse, SavedSignIn};
use crate::token::{TokenResponse, TokenSet, oauth_error, parse_token_response};

/// The request header a DPoP proof travels in (RFC 9449 §4.1).
pub(crate) const DPOP: HeaderName = HeaderName::from_static("dpop");

/// An OAuth 2.0 public (native) client bound to one authorization server. Cheap to clone.
#[derive(Clone)]
pub struct OAuthClient {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    config: ClientConfig,
    metadata: ServerMetadata,
    endpoints: ValidatedEndpoints,
    http: HttpClient,
    authentication: ClientAuthentication,
    /// The server's signing keys, for ID tokens.
    keys: KeyCache,
    /// Whether sign-ins get a DPoP key (see [`OAuthClient::uses_dpop`]).
    dpop: bool,
    /// The latest DPoP nonce of each server this client talks to.
    nonces: DpopNonces,
}

/// How the client proves itself at the token and revocation endpoints.
enum ClientAuthentication {
    /// Public client: `client_id` in the form body.
    None,
    /// `client_id` and `client_secret` in the form body.
    SecretPost(ClientSecret),
    /// HTTP Basic with form-encoded `client_id` and `client_secret` (RFC 6749 §2.3.1).
    SecretBasic(ClientSecret),
}

impl ClientAuthentication {
    /// `client_secret_basic` when the server lists it before `client_secret_post` (or without
    /// it); otherwise the secret goes in the body.
    fn choose(secret: Option<&ClientSecret>, metadata: &ServerMetadata) -> Self {
        let Some(secret) = secret else {
            return Self::None;
        };
        let prefers_basic = metadata
            .token_endpoint_auth_methods_supported
            .iter()
            .find(|m| *m == "client_secret_basic" || *m == "client_secret_post")
            .is_some_and(|m| m == "client_secret_basic");
        if prefers_basic {
            Self::SecretBasic(secret.clone())
        } else {
            Self::SecretPost(secret.clone())
        }
    }
}

/// Whether the client uses DPoP: when the server lists its proof algorithms, only if `ES256`
/// is among them (asking for DPoP with a server that lists only others is a configuration
/// error); when it lists none, as the configuration says.
fn dpop_wanted(config: &ClientConfig, metadata: &ServerMetadata) -> Result<bool> {
    let algorithms = &metadata.dpop_signing_alg_values_supported;
    if algorithms.is_empty() {
        return Ok(config.dpop);
    }
    let supported = algorithms.iter().any(|alg| alg == DPOP_ALGORITHM);
    if config.dpop && !supported {
        return Err(Error::InvalidConfig(ConfigProblem::NoDpopEs256));
    }
    Ok(supported)
}

/// Which kind of token is being revoked (RFC 7009 `token_type_hint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenTypeHint {
    AccessToken,
    RefreshToken,
}

impl TokenTypeHint {
    fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::RefreshToken => "refresh_token",
        }
    }
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.inner.config.client_id)
            .field("issuer", &self.inner.metadata.issuer)
            .finish_non_exhaustive()
    }
}

impl OAuthClient {
    /// A client for a server whose metadata is known (hand-written or discovered).
    pub fn new(config: ClientConfig, metadata: ServerMetadata) -> Result<Self> {
        let http = HttpClient::new(config.http.clone())?;
        Self::with_http_client(config, metadata, http)
    }

    /// Like [`new`](Self::new), with a given HTTP client.
    pub fn with_http_client(
        config: ClientConfig,
        metadata: ServerMetadata,
        http: HttpClient,
    ) -> Result<Self> {
        config.validate()?;
        let endpoints = metadata.validate()?;
        par::check_config(&config, &endpoints)?;
        let authentication = ClientAuthentication::choose(config.client_secret.as_ref(), &metadata);
        let dpop = dpop_wanted(&config, &metadata)?;
        Ok(Self {
            inner: Arc::new(ClientInner {
                config,
                metadata,
                endpoints,
                http,
                authentication,
                keys: KeyCache::default(),
                dpop,
                nonces: DpopNonces::default(),
            }),
        })
    }

    /// Discovers the metadata of `issuer` (see [`discover_with`], with the configuration's
    /// issuer template) and builds a client for it.
    pub async fn discover(config: ClientConfig, issuer: &str) -> Result<Self> {
        let http = HttpClient::new(config.http.clone())?;
        let metadata = discover_with(&http, issuer, config.issuer_template.as_ref()).await?;
        Self::with_http_client(config, metadata, http)
    }

    /// The client configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The server metadata.
    pub fn metadata(&self) -> &ServerMetadata {
        &self.inner.metadata
    }

    /// The HTTP client in use.
    pub fn http(&self) -> &HttpClient {
        &self.inner.http
    }

    /// Whether sign-ins use DPoP (RFC 9449): the server's metadata lists `ES256` in
    /// `dpop_signing_alg_values_supported`, or [`ClientConfig::dpop`] asks for it.
    pub fn uses_dpop(&self) -> bool {
        self.inner.dpop
    }

    /// A DPoP proof for a request to `url`, with the latest nonce its server sent.
    pub(crate) fn dpop_proof(
        &self,
        key: &DpopKey,
        method: &str,
        url: &Url,
        access_token: Option<&AccessToken>,
    ) -> Result<String> {
        key.proof(
            method,
            url,
            access_token,
            self.inner.nonces.for_url(url).as_deref(),
        )
    }

    /// Keeps the answer's `DPoP-Nonce` for later proofs; true when it had a usable one.
    pub(crate) fn remember_dpop_nonce(&self, url: &Url, response: &RawResponse) -> bool {
        self.inner.nonces.remember(url, response)
    }

    /// What this issuer's endpoints and resources may use.
    pub(crate) fn transport(&self) -> Transport {
        self.inner.endpoints.transport
    }

    pub(crate) fn userinfo_endpoint(&self) -> Option<&Url> {
        self.inner.endpoints.userinfo.as_ref()
    }

    pub(crate) fn endpoints(&self) -> &ValidatedEndpoints {
        &self.inner.endpoints
    }

    pub(crate) fn key_cache(&self) -> &KeyCache {
        &self.inner.keys
    }

    /// A new authorization request, built locally: the URL to open and the state to keep
    /// until the callback. Refused when requests must be pushed
    /// ([`pushed_authorization_request`](Self::pushed_authorization_request)).
    pub(crate) fn authorization_request(&self, redirect_uri: &str) -> Result<(Url, SavedSignIn)> {
        if self.must_push_authorization_requests() {
            return Err(Error::InvalidConfig(ConfigProblem::PushRequired));
        }
        let (params, pending) = self.authorization_params(redirect_uri)?;
        let mut url = self.inner.endpoints.authorization.clone();
        url.query_pairs_mut().extend_pairs(&params);
        Ok((url, pending))
    }

    /// The parameters of a new authorization request, in the order sent, and the sign-in
    /// they start.
    pub(crate) fn authorization_params(
        &self,
        redirect_uri: &str,
    ) -> Result<(Vec<(&str, String)>, SavedSignIn)> {
        Url::parse(redirect_uri)
            .map_err(|e| Error::InvalidConfig(ConfigProblem::RedirectUri(e)))?;
        let config = &self.inner.config;
        let verifier = PkceVerifier::generate()?;
        let state = random_urlsafe()?;
        let dpop_key = self
            .inner
            .dpop
            .then(DpopKey::generate)
            .transpose()?
            .map(Arc::new);
        let nonce = self.requests_openid().then(random_urlsafe).transpose()?;
        let mut params: Vec<(&str, String)> = vec![
            ("response_type", "code".to_owned()),
            ("client_id", config.client_id.clone()),
            ("redirect_uri", redirect_uri.to_owned()),
            ("state", state.clone()),
            ("code_challenge", verifier.challenge()),
            ("code_challenge_method", CODE_CHALLENGE_METHOD.to_owned()),
        ];
        if !config.scopes.is_empty() {
            params.push(("scope", config.scopes.join(" ")));
        }
        if let Some(nonce) = &nonce {
            params.push(("nonce", nonce.clone()));
        }
        let extra = config
            .extra_authorize_params
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone()));
        params.extend(extra);
        if let Some(resource) = &config.resource {
            params.push(("resource", resource.clone()));
        }
        if let Some(key) = &dpop_key {
            params.push(("dpop_jkt", key.thumbprint()));
        }
        let created_at = SystemTime::now();
        let pending = SavedSignIn {
            client_id: config.client_id.clone(),
            issuer: self.inner.metadata.issuer.clone(),
            redirect_uri: redirect_uri.to_owned(),
            state,
            verifier,
            nonce,
            require_iss: self
                .inner
                .metadata
                .authorization_response_iss_parameter_supported,
            created_at,
            expires_at: created_at
                .checked_add(config.pending_lifetime)
                .ok_or(Error::InvalidConfig(ConfigProblem::LifetimeTooLong))?,
            request_uri_expires_at: None,
            dpop_key,
        };
        Ok((params, pending))
    }

    /// Exchanges the code of a validated callback for tokens (`grant_type=authorization_code`),
    /// with a DPoP proof of the sign-in's key when it has one (or of a new key, when the
    /// client uses DPoP and the sign-in was started without).
    pub async fn exchange_code(&self, response: AuthorizationResponse) -> Result<TokenSet> {
        if response.issuer != self.inner.metadata.issuer {
            return Err(Error::IssuerMismatch {
                expected: CleanText::configured(&self.inner.metadata.issuer),
                found: Some(CleanText::text(&response.issuer)),
            });
        }
        // Without the nonce the sign-in sent, its ID token could be any sign-in's: refused
        // before the code is spent.
        if self.requests_openid() && response.nonce.is_none() {
            return Err(IdTokenError::SignInWithoutNonce.into());
        }
        let dpop_key = match response.dpop_key {
            Some(key) => Some(key),
            None if self.inner.dpop => Some(Arc::new(DpopKey::generate()?)),
            None => None,
        };
        let form = [
            ("grant_type", "authorization_code"),
            ("code", response.code.secret()),
            ("redirect_uri", &response.redirect_uri),
            ("code_verifier", response.verifier.secret()),
        ];
        let answer = self.token_request(&form, dpop_key.as_deref()).await?;
        let claims = match self.requests_openid() {
            true => Some(
                self.verify_id_token(answer.id_token.as_ref(), response.nonce.as_deref(), None)
                    .await?,
            ),
            false => None,
        };
        let mut tokens = answer.into_token_set(None, &self.inner.config.scopes, SystemTime::now());
        tokens.id_token_claims = claims;
        tokens.dpop_key = dpop_key;
        Ok(tokens)
    }

    /// Refreshes `tokens` with their refresh token (`grant_type=refresh_token`), with a DPoP
    /// proof of their key if they have one. The answer's missing values (a rotated refresh
    /// token, scopes, ID token) and the DPoP key are taken from `tokens`.
    pub async fn refresh(&self, tokens: &TokenSet) -> Result<TokenSet> {
        let refresh_token = tokens
            .refresh_token
            .as_ref()
            .ok_or(Error::ReconnectNeeded)?;
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.secret()),
        ];
        let answer = self
            .token_request(&form, tokens.dpop_key.as_deref())
            .await?;
        // A refreshed ID token (OpenID Connect Core §12.2) must verify and name the same account.
        let claims = match (&answer.id_token, &tokens.id_token_claims) {
            (Some(id_token), known) if self.requests_openid() => Some(
                self.verify_id_token(Some(id_token), None, known.as_ref().map(|c| c.sub.as_str()))
                    .await?,
            ),
            _ => tokens.id_token_claims.clone(),
        };
        let mut refreshed =
            answer.into_token_set(Some(tokens), &self.inner.config.scopes, SystemTime::now());
        refreshed.id_token_claims = claims;
        Ok(refreshed)
    }

    /// Revokes a refresh token (RFC 7009), without a DPoP proof ([`Session::disconnect`]
    /// sends one with tokens that have a key).
    ///
    /// [`Session::disconnect`]: crate::Session::disconnect
    pub async fn revoke_refresh_token(&self, token: &RefreshToken) -> Result<()> {
        self.revoke(token.secret(), TokenTypeHint::RefreshToken, None)
            .await
    }

    /// Revokes an access token (RFC 7009), without a DPoP proof.
    pub async fn revoke_access_token(&self, token: &AccessToken) -> Result<()> {
        self.revoke(token.secret(), TokenTypeHint::AccessToken, None)
            .await
    }

    /// Revokes a token, with a DPoP proof of `dpop_key` when given.
    pub(crate) async fn revoke(
        &self,
        token: &str,
        hint: TokenTypeHint,
        dpop_key: Option<&DpopKey>,
    ) -> Result<()> {
        let endpoint = self
            .inner
            .endpoints
            .revocation
            .as_ref()
            .ok_or(Error::RevocationFailed {
                reason: RevocationFailure::NoEndpoint,
            })?;
        let form = [("token", token), ("token_type_hint", hint.as_str())];
        let response = self.post_form(endpoint, &form, dpop_key).await?;
        if response.is_success() {
            return Ok(());
        }
        Err(response
            .json_object()
            .and_then(|object| oauth_error(&object, &response))
            .unwrap_or_else(|| response.unexpected()))
    }

    /// A token request (code exchange or refresh), naming the configured resource (RFC 8707
    /// §2.2) so that the token is issued for it, with a DPoP proof when the sign-in has a key;
    /// an ID token in the answer must fit a templated issuer.
    async fn token_request(
        &self,
        form: &[(&str, &str)],
        dpop_key: Option<&DpopKey>,
    ) -> Result<TokenResponse> {
        let mut form = form.to_vec();
        if let Some(resource) = &self.inner.config.resource {
            form.push(("resource", resource));
        }
        let response = self
            .post_form(&self.inner.endpoints.token, &form, dpop_key)
            .await?;
        let answer = parse_token_response(&response)?;
        if answer.token_type == "DPoP" && dpop_key.is_none() {
            return Err(response.unusable(ResponseProblem::UnrequestedDpopBinding));
        }
        // The configuration asked for tokens a copy is useless without the key: a bearer
        // token is not used in their place.
        if self.inner.config.dpop && answer.token_type != "DPoP" {
            return Err(Error::DpopNotBound);
        }
        check_id_token_issuer(
            answer.id_token.as_ref(),
            &self.inner.metadata.issuer,
            self.inner.config.issuer_template.as_ref(),
        )?;
        Ok(answer)
    }

    /// POSTs a form with `Accept: application/json`, the client's authentication and, with
    /// `dpop_key`, a DPoP proof. An answer asking for a DPoP nonce it supplies
    /// (`use_dpop_nonce`) is sent again once, with a new proof carrying it.
    pub(crate) async fn post_form(
        &self,
        endpoint: &Url,
        form: &[(&str, &str)],
        dpop_key: Option<&DpopKey>,
    ) -> Result<RawResponse> {
        let mut nonce_retry = NonceRetry::at_token_endpoint();
        loop {
            let mut request = self.form_request(endpoint, form);
            let Some(key) = dpop_key else {
                return self.inner.http.send(request).await;
            };
            request = request.header(DPOP, self.dpop_proof(key, "POST", endpoint, None)?);
            let response = self.inner.http.send(request).await?;
            let fresh_nonce = self.remember_dpop_nonce(endpoint, &response);
            if nonce_retry.again(fresh_nonce, &response) {
                continue;
            }
            return Ok(response);
        }
    }

    /// A form POST with `Accept: application/json` and the client's authentication.
    fn form_request(&self, endpoint: &Url, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let client_id = self.inner.config.client_id.as_str();
        let mut body: Vec<(&str, &str)> = form.to_vec();
        let mut request = self
            .inner
            .http
            .post(endpoint)
            .header(ACCEPT, "application/json");
        match &self.inner.authentication {
            ClientAuthentication::None => body.push(("client_id", client_id)),
            ClientAuthentication::SecretPost(secret) => {
                body.push(("client_id", client_id));
                body.push(("client_secret", secret.secret()));
            }
            ClientAuthentication::SecretBasic(secret) => {
                let encode = |s: &str| byte_serialize(s.as_bytes()).collect::<String>();
                request = request.basic_auth(encode(client_id), Some(encode(secret.secret())));
            }
        }
        request.form(&body)
    }
}

impl OAuthClient {
    /// True when the client asks for `openid`: its token answers must then carry an ID token
    /// that verifies.
    pub(crate) fn requests_openid(&self) -> bool {
        self.config().scopes.iter().any(|scope| scope == "openid")
    }

    /// Verifies an ID token (see the `id_token` module), fetching the server's keys as needed.
    pub(crate) async fn verify_id_token(
        &self,
        token: Option<&IdToken>,
        nonce: Option<&str>,
        subject: Option<&str>,
    ) -> Result<IdTokenClaims> {
        let token = token.ok_or(IdTokenError::Missing)?;
        let parsed = id_token::parse(token.secret())?;
        let jwks_uri = self
            .endpoints()
            .jwks
            .as_ref()
            .ok_or(IdTokenError::NoKeySet)?;
        let (issuer, tenant_template) = expected_issuer(self.metadata(), self.config());
        let expected = Expected {
            issuer,
            tenant_template,
            client_id: &self.config().client_id,
            nonce,
            subject,
            now: SystemTime::now(),
        };
        let keys = self.key_cache().get(self.http(), jwks_uri, false).await?;
        match verify_with(&parsed, &keys, &expected) {
            Err(IdTokenError::UnknownKey) => {
                let keys = self.key_cache().get(self.http(), jwks_uri, true).await?;
                Ok(verify_with(&parsed, &keys, &expected)?)
            }
            outcome => Ok(outcome?),
        }
    }
}

impl OAuthClient {
    /// True when authorization requests go to the server first (see the module docs).
    pub(crate) fn pushes_authorization_requests(&self) -> bool {
        self.endpoints().pushed_authorization.is_some()
    }

    /// True when the server requires pushed requests or the configuration asks for them.
    pub(crate) fn must_push_authorization_requests(&self) -> bool {
        self.metadata().require_pushed_authorization_requests || self.config().par
    }

    /// Pushes a new authorization request; returns the URL to open and the sign-in to keep.
    pub(crate) async fn pushed_authorization_request(
        &self,
        redirect_uri: &str,
    ) -> Result<(Url, SavedSignIn)> {
        let endpoint = self
            .endpoints()
            .pushed_authorization
            .as_ref()
            .ok_or(Error::InvalidConfig(ConfigProblem::NoPushEndpoint))?;
        let (params, mut pending) = self.authorization_params(redirect_uri)?;
        let form = par::pushed_form(&params);
        let response = self.post_form(endpoint, &form, None).await?;
        let pushed = par::parse_response(&response, SystemTime::now())?;
        pending.request_uri_expires_at = pushed
            .expires_at
            .map(|at| at.min(pending.expires_at))
            .or(Some(pending.expires_at));
        let url = par::authorize_url(
            &self.endpoints().authorization,
            &self.config().client_id,
            &pushed.request_uri,
        );
        Ok((url, pending))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> ServerMetadata {
        ServerMetadata::new(
            "https://auth.example.com",
            "https://auth.example.com/authorize?tenant=blue",
            "https://auth.example.com/token",
        )
    }

    fn client() -> OAuthClient {
        let config =
            ClientConfig::new("photolink-desktop", "com.example.photolink:/oauth/callback")
                .with_scopes(["photos:read", "profile"])
                .with_authorize_param("prompt", "consent")
                .with_authorize_param("resource", "https://photos.example.com/");
        OAuthClient::new(config, metadata()).unwrap()
    }

    #[test]
    fn authorization_url_has_every_parameter_and_keeps_the_existing_query() {
        let client = client();
        let (url, pending) = client
            .authorization_request("com.example.photolink:/oauth/callback")
            .unwrap();
        assert_eq!(url.path(), "/authorize");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |name: &str| {
            let values: Vec<&str> = pairs
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .collect();
            assert_eq!(values.len(), 1, "{name} appears {} times", values.len());
            values[0].to_owned()
        };
        assert_eq!(get("tenant"), "blue");
        assert_eq!(get("response_type"), "code");
        assert_eq!(get("client_id"), "photolink-desktop");
        assert_eq!(get("redirect_uri"), "com.example.photolink:/oauth/callback");
        assert_eq!(get("scope"), "photos:read profile");
        assert_eq!(get("code_challenge_method"), "S256");
        assert_eq!(get("code_challenge"), pending.verifier.challenge());
        assert_eq!(get("state"), pending.state);
        assert_eq!(get("prompt"), "consent");
        assert_eq!(get("resource"), "https://photos.example.com/");
        assert!(get("state").len() >= 22, "state carries at least 128 bits");
    }

    #[test]
    fn each_request_has_fresh_state_and_verifier() {
        let client = client();
        let (_, a) = client
            .authorization_request("com.example.photolink:/oauth/callback")
            .unwrap();
        let (_, b) = client
            .authorization_request("com.example.photolink:/oauth/callback")
            .unwrap();
        assert_ne!(a.state, b.state);
        assert_ne!(a.verifier.secret(), b.verifier.secret());
    }

    #[test]
    fn basic_authentication_only_when_the_server_prefers_it() {
        let secret = ClientSecret::new("s");
        let mut metadata = metadata();
        assert!(matches!(
            ClientAuthentication::choose(None, &metadata),
            ClientAuthentication::None
        ));
        assert!(matches!(
            ClientAuthentication::choose(Some(&secret), &metadata),
            ClientAuthentication::SecretPost(_)
        ));
        metadata.token_endpoint_auth_methods_supported =
            vec!["client_secret_basic".into(), "client_secret_post".into()];
        assert!(matches!(
            ClientAuthentication::choose(Some(&secret), &metadata),
            ClientAuthentication::SecretBasic(_)
        ));
        metadata.token_endpoint_auth_methods_supported = vec![
            "none".into(),
            "client_secret_post".into(),
            "client_secret_basic".into(),
        ];
        assert!(matches!(
            ClientAuthentication::choose(Some(&secret), &metadata),
            ClientAuthentication::SecretPost(_)
        ));
    }

    #[test]
    fn insecure_metadata_is_refused() {
        let metadata = ServerMetadata::new(
            "https://a.example",
            "http://a.example/authorize",
            "https://a.example/token",
        );
        let config = ClientConfig::new("id", "com.example.photolink:/oauth/callback");
        assert!(matches!(
            OAuthClient::new(config, metadata),
            Err(Error::InsecureEndpoint { .. })
        ));
    }
}
