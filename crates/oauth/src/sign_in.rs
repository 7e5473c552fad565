//! One sign-in: what is kept of it between opening the authorization URL and its callback
//! (also in secure storage, across a restart), and the checks that turn a callback addressed
//! to it into an authorization response. Knows nothing of the client that starts it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use url::Url;

use crate::dpop::DpopKey;
use crate::error::{AuthorizationErrorCode, CallbackProblem, CleanText, Error, Result};
use crate::secret::{AuthorizationCode, PkceVerifier};
use crate::token::{unix_seconds, unix_seconds_option};

/// The sign-in in progress, as kept between opening the authorization URL and receiving the
/// callback, and as written to secure storage so that a later process can finish it.
///
/// Holds the `state`, the PKCE verifier, the redirect URI, the issuer and client it belongs
/// to, whether the server promised `iss` (RFC 9207), when it was started and expires, and the
/// DPoP key when the client uses DPoP. Serialize it **only into secure storage** (the OS
/// keyring): it carries the verifier and the private key. `Debug` shows none of them. Not `Clone`: take a fresh snapshot with
/// [`PendingAuthorization::saved`](crate::PendingAuthorization::saved) instead.
#[derive(Serialize, Deserialize)]
pub struct SavedSignIn {
    pub(crate) client_id: String,
    pub(crate) issuer: String,
    /// The redirect URI exactly as sent, to match the callback against and to repeat at the
    /// token endpoint.
    pub(crate) redirect_uri: String,
    pub(crate) state: String,
    #[serde(with = "stored_verifier")]
    pub(crate) verifier: PkceVerifier,
    /// The OpenID Connect `nonce` sent, which the ID token must repeat (sign-ins with `openid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) nonce: Option<String>,
    /// The server promised `iss` in every authorization response (RFC 9207).
    pub(crate) require_iss: bool,
    #[serde(with = "unix_seconds")]
    pub(crate) created_at: SystemTime,
    #[serde(with = "unix_seconds")]
    pub(crate) expires_at: SystemTime,
    /// For a pushed request (RFC 9126): when its `request_uri`, and so the URL to open, stops
    /// working. The callback may still arrive until `expires_at`.
    #[serde(
        default,
        with = "unix_seconds_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) request_uri_expires_at: Option<SystemTime>,
    /// The DPoP key whose thumbprint went out as `dpop_jkt` (RFC 9449 §10): the code can only
    /// be redeemed with it.
    #[serde(
        default,
        with = "crate::dpop::stored_key",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) dpop_key: Option<Arc<DpopKey>>,
}

impl SavedSignIn {
    /// When the sign-in stops accepting its callback.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// When the sign-in was started.
    pub fn created_at(&self) -> SystemTime {
        self.created_at
    }

    /// The issuer the sign-in was started with.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The redirect URI the callback must arrive at.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// For a pushed request (RFC 9126), when the URL to open stops working; `None` when the
    /// URL carries the whole request and works as long as the sign-in.
    pub fn authorize_url_expires_at(&self) -> Option<SystemTime> {
        self.request_uri_expires_at
    }

    /// Whether `callback_url` is addressed to this sign-in: sent to its redirect URI, each
    /// parameter once, with its `state` (constant time). These are the checks under which
    /// [`PendingAuthorization::complete`](crate::PendingAuthorization::complete) ignores a callback; a saved sign-in that cannot be
    /// restored yet (the provider is out of reach) uses them to tell its callback from forged
    /// links.
    pub fn is_addressed_by(&self, callback_url: &str) -> bool {
        Url::parse(callback_url).is_ok_and(|callback| self.addressed_by(&callback).is_ok())
    }

    /// The callback's parameters, if it is addressed to this sign-in.
    pub(crate) fn addressed_by(&self, callback: &Url) -> Result<HashMap<String, String>> {
        if !same_endpoint(callback, &self.redirect_uri) {
            return Err(Error::InvalidCallback(CallbackProblem::NotTheRedirectUri));
        }
        let params = single_valued_params(callback)?;
        let state = params
            .get("state")
            .ok_or(Error::InvalidCallback(CallbackProblem::NoState))?;
        if !bool::from(state.as_bytes().ct_eq(self.state.as_bytes())) {
            return Err(Error::StateMismatch);
        }
        Ok(params)
    }

    /// A copy for storage; the one place a verifier is duplicated.
    pub(crate) fn snapshot(&self) -> Self {
        Self {
            client_id: self.client_id.clone(),
            issuer: self.issuer.clone(),
            redirect_uri: self.redirect_uri.clone(),
            state: self.state.clone(),
            verifier: self.verifier.duplicate_for_storage(),
            nonce: self.nonce.clone(),
            require_iss: self.require_iss,
            created_at: self.created_at,
            expires_at: self.expires_at,
            request_uri_expires_at: self.request_uri_expires_at,
            dpop_key: self.dpop_key.clone(),
        }
    }
}

impl fmt::Debug for SavedSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SavedSignIn")
            .field("client_id", &self.client_id)
            .field("issuer", &self.issuer)
            .field("redirect_uri", &self.redirect_uri)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The verifier as a plain string, inside a [`SavedSignIn`] only.
mod stored_verifier {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::secret::PkceVerifier;

    pub fn serialize<S: Serializer>(
        verifier: &PkceVerifier,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(verifier.secret())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<PkceVerifier, D::Error> {
        String::deserialize(deserializer).map(PkceVerifier::new)
    }
}

/// A validated authorization response: hand it to [`Session::connect`](crate::Session::connect)
/// or [`OAuthClient::exchange_code`](crate::OAuthClient::exchange_code). `Debug` shows no secrets. Not `Clone`: the code is
/// redeemed once.
pub struct AuthorizationResponse {
    pub(crate) code: AuthorizationCode,
    pub(crate) verifier: PkceVerifier,
    pub(crate) redirect_uri: String,
    pub(crate) issuer: String,
    /// The `nonce` the sign-in sent, for the ID token check.
    pub(crate) nonce: Option<String>,
    pub(crate) dpop_key: Option<Arc<DpopKey>>,
}

impl fmt::Debug for AuthorizationResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationResponse")
            .field("code", &self.code)
            .field("redirect_uri", &self.redirect_uri)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// The checks after the callback is known to be for `request`, which it has used up.
pub(crate) fn finish(
    request: SavedSignIn,
    params: HashMap<String, String>,
    now: SystemTime,
) -> Result<AuthorizationResponse> {
    if now >= request.expires_at {
        return Err(Error::AuthorizationExpired);
    }
    match params.get("iss") {
        Some(iss) if *iss != request.issuer => {
            return Err(Error::IssuerMismatch {
                expected: CleanText::configured(&request.issuer),
                found: Some(CleanText::text(iss)),
            });
        }
        None if request.require_iss => {
            return Err(Error::IssuerMismatch {
                expected: CleanText::configured(&request.issuer),
                found: None,
            });
        }
        _ => {}
    }
    if let Some(code) = params.get("error") {
        return Err(Error::Authorization {
            code: AuthorizationErrorCode::parse(code),
            description: params
                .get("error_description")
                .map(|text| CleanText::text(text)),
            uri: params.get("error_uri").map(|text| CleanText::text(text)),
        });
    }
    let code = params
        .get("code")
        .filter(|code| !code.is_empty())
        .ok_or(Error::InvalidCallback(CallbackProblem::NoCode))?;
    Ok(AuthorizationResponse {
        code: AuthorizationCode::new(code.as_str()),
        verifier: request.verifier,
        redirect_uri: request.redirect_uri,
        issuer: request.issuer,
        nonce: request.nonce,
        dpop_key: request.dpop_key,
    })
}

/// Scheme, host, port and path equal (query and fragment aside).
fn same_endpoint(callback: &Url, redirect_uri: &str) -> bool {
    let Ok(redirect) = Url::parse(redirect_uri) else {
        return false;
    };
    callback.scheme() == redirect.scheme()
        && callback.host() == redirect.host()
        && callback.port_or_known_default() == redirect.port_or_known_default()
        && callback.path() == redirect.path()
}

/// The query parameters, refusing any name that appears more than once.
fn single_valued_params(url: &Url) -> Result<HashMap<String, String>> {
    let mut params = HashMap::new();
    for (name, value) in url.query_pairs() {
        if params
            .insert(name.to_string(), value.into_owned())
            .is_some()
        {
            return Err(Error::InvalidCallback(CallbackProblem::RepeatedParameter(
                CleanText::code(&name),
            )));
        }
    }
    Ok(params)
}
