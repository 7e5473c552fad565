//! The pending-authorization slot and validation of the callback URL.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::SystemTime;

use subtle::ConstantTimeEq;
use url::Url;

use crate::client::OAuthClient;
use crate::error::{AuthorizationErrorCode, Error, Result};
use crate::secret::{AuthorizationCode, PkceVerifier};

/// What is remembered between opening the authorization URL and receiving the callback.
pub(crate) struct AuthorizationRequestState {
    pub state: String,
    pub verifier: PkceVerifier,
    /// The redirect URI as parsed, to match the callback against.
    pub redirect: Url,
    /// The redirect URI exactly as sent, to repeat at the token endpoint.
    pub redirect_uri: String,
    pub issuer: String,
    /// The server promised `iss` in every authorization response (RFC 9207).
    pub require_iss: bool,
    pub expires_at: SystemTime,
}

/// A validated authorization response: hand it to [`Session::connect`](crate::Session::connect)
/// or [`OAuthClient::exchange_code`]. `Debug` shows no secrets.
///
/// `Clone` allows retrying an exchange that failed in transit; a server that already redeemed
/// the code refuses it (`invalid_grant`) and revokes what it issued for it.
#[derive(Clone)]
pub struct AuthorizationResponse {
    pub(crate) code: AuthorizationCode,
    pub(crate) verifier: PkceVerifier,
    pub(crate) redirect_uri: String,
    pub(crate) issuer: String,
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

/// The one sign-in that may be in progress.
///
/// [`begin`](Self::begin) starts a sign-in and replaces any earlier one; [`complete`](Self::complete)
/// validates the callback URL. A callback whose `state` does not match (forged, or from a
/// superseded sign-in) is rejected and leaves the pending sign-in untouched; once the `state`
/// matches, the pending sign-in is used up, whatever the outcome.
#[derive(Default)]
pub struct PendingAuthorization {
    slot: Mutex<Option<AuthorizationRequestState>>,
}

impl fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("in_progress", &self.is_in_progress())
            .finish()
    }
}

impl PendingAuthorization {
    /// An empty slot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a sign-in with the configured redirect URI; returns the URL to open in the browser.
    pub fn begin(&self, client: &OAuthClient) -> Result<Url> {
        self.begin_with_redirect_uri(client, &client.config().redirect_uri)
    }

    /// Starts a sign-in with another redirect URI, e.g. `http://127.0.0.1:{port}/oauth/callback`
    /// for a loopback listener (RFC 8252 §7.3).
    pub fn begin_with_redirect_uri(&self, client: &OAuthClient, redirect_uri: &str) -> Result<Url> {
        let (url, request) = client.authorization_request(redirect_uri)?;
        *self.lock() = Some(request);
        Ok(url)
    }

    /// True while a sign-in waits for its callback (it may have expired meanwhile).
    pub fn is_in_progress(&self) -> bool {
        self.lock().is_some()
    }

    /// Forgets the sign-in in progress, if any.
    pub fn cancel(&self) {
        self.lock().take();
    }

    /// Validates the callback URL as the OS delivered it.
    ///
    /// Checks, in order: the URL matches the redirect URI (scheme, host, port, path); no parameter
    /// appears twice; `state` matches (constant time) — up to here a failure leaves the pending
    /// sign-in in place. Then the sign-in is used up and: it must not have expired; `iss` must
    /// equal the issuer when present, and be present when the server promised it; an `error`
    /// parameter becomes [`Error::Authorization`]; otherwise a `code` is required.
    pub fn complete(&self, callback_url: &str) -> Result<AuthorizationResponse> {
        self.complete_at(callback_url, SystemTime::now())
    }

    fn complete_at(&self, callback_url: &str, now: SystemTime) -> Result<AuthorizationResponse> {
        let callback = Url::parse(callback_url)
            .map_err(|_| Error::InvalidCallback("the address is not a valid URL".into()))?;
        let mut slot = self.lock();
        let request = slot.as_ref().ok_or(Error::NoPendingAuthorization)?;
        if !same_endpoint(&callback, &request.redirect) {
            return Err(Error::InvalidCallback(
                "it was sent to a different address than the one expected".into(),
            ));
        }
        let params = single_valued_params(&callback)?;
        let state = params
            .get("state")
            .ok_or_else(|| Error::InvalidCallback("it has no state parameter".into()))?;
        if !bool::from(state.as_bytes().ct_eq(request.state.as_bytes())) {
            return Err(Error::StateMismatch);
        }
        let request = slot.take().ok_or(Error::NoPendingAuthorization)?;
        drop(slot);

        if now >= request.expires_at {
            return Err(Error::AuthorizationExpired);
        }
        match params.get("iss") {
            Some(iss) if *iss != request.issuer => {
                return Err(Error::IssuerMismatch {
                    expected: request.issuer,
                    found: Some(iss.clone()),
                });
            }
            None if request.require_iss => {
                return Err(Error::IssuerMismatch {
                    expected: request.issuer,
                    found: None,
                });
            }
            _ => {}
        }
        if let Some(code) = params.get("error") {
            return Err(Error::Authorization {
                code: AuthorizationErrorCode::parse(code),
                description: params.get("error_description").cloned(),
                uri: params.get("error_uri").cloned(),
            });
        }
        let code = params
            .get("code")
            .filter(|code| !code.is_empty())
            .ok_or_else(|| Error::InvalidCallback("it carries no authorization code".into()))?;
        Ok(AuthorizationResponse {
            code: AuthorizationCode::new(code.as_str()),
            verifier: request.verifier,
            redirect_uri: request.redirect_uri,
            issuer: request.issuer,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<AuthorizationRequestState>> {
        // The slot holds plain data, so a panic elsewhere cannot leave it half-written.
        self.slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Scheme, host, port and path equal (query and fragment aside).
fn same_endpoint(callback: &Url, redirect: &Url) -> bool {
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
            return Err(Error::InvalidCallback(format!(
                "the parameter {name} appears more than once"
            )));
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::ClientConfig;
    use crate::metadata::ServerMetadata;

    const REDIRECT: &str = "com.example.photolink:/oauth/callback";
    const ISSUER: &str = "https://auth.example.com";

    fn client_with(iss_supported: bool, lifetime: Duration) -> OAuthClient {
        let mut metadata = ServerMetadata::new(
            ISSUER,
            format!("{ISSUER}/authorize"),
            format!("{ISSUER}/token"),
        );
        metadata.authorization_response_iss_parameter_supported = iss_supported;
        let mut config = ClientConfig::new("photolink-desktop", REDIRECT);
        config.pending_lifetime = lifetime;
        OAuthClient::new(config, metadata).unwrap()
    }

    fn client() -> OAuthClient {
        client_with(true, Duration::from_secs(600))
    }

    fn state_of(url: &Url) -> String {
        url.query_pairs()
            .find(|(n, _)| n == "state")
            .unwrap()
            .1
            .into_owned()
    }

    fn callback(query: &str) -> String {
        format!("{REDIRECT}?{query}")
    }

    fn started() -> (PendingAuthorization, String) {
        let pending = PendingAuthorization::new();
        let url = pending.begin(&client()).unwrap();
        (pending, state_of(&url))
    }

    #[test]
    fn a_matching_callback_yields_the_code_and_uses_up_the_slot() {
        let (pending, state) = started();
        let response = pending
            .complete(&callback(&format!("code=abc&state={state}&iss={ISSUER}")))
            .unwrap();
        assert_eq!(response.code.secret(), "abc");
        assert_eq!(response.redirect_uri, REDIRECT);
        assert!(!pending.is_in_progress());
        assert!(matches!(
            pending.complete(&callback(&format!("code=abc&state={state}&iss={ISSUER}"))),
            Err(Error::NoPendingAuthorization)
        ));
    }

    #[test]
    fn a_wrong_or_missing_state_leaves_the_pending_sign_in_usable() {
        let (pending, state) = started();
        let wrong = pending.complete(&callback(&format!("code=evil&state=forged&iss={ISSUER}")));
        assert!(matches!(wrong, Err(Error::StateMismatch)));
        let missing = pending.complete(&callback(&format!("code=evil&iss={ISSUER}")));
        assert!(matches!(missing, Err(Error::InvalidCallback(_))));
        assert!(pending.is_in_progress());
        assert!(
            pending
                .complete(&callback(&format!("code=good&state={state}&iss={ISSUER}")))
                .is_ok()
        );
    }

    #[test]
    fn a_new_sign_in_supersedes_the_old_one() {
        let pending = PendingAuthorization::new();
        let client = client();
        let old = state_of(&pending.begin(&client).unwrap());
        let new = state_of(&pending.begin(&client).unwrap());
        assert!(matches!(
            pending.complete(&callback(&format!("code=a&state={old}&iss={ISSUER}"))),
            Err(Error::StateMismatch)
        ));
        assert!(
            pending
                .complete(&callback(&format!("code=a&state={new}&iss={ISSUER}")))
                .is_ok()
        );
    }

    #[test]
    fn the_callback_must_arrive_at_the_redirect_uri() {
        let (pending, state) = started();
        for url in [
            format!("com.example.evil:/oauth/callback?code=a&state={state}"),
            format!("com.example.photolink:/other?code=a&state={state}"),
            format!("https://auth.example.com/oauth/callback?code=a&state={state}"),
            "not a url".to_owned(),
        ] {
            assert!(
                matches!(pending.complete(&url), Err(Error::InvalidCallback(_))),
                "{url}"
            );
        }
        assert!(pending.is_in_progress());
    }

    #[test]
    fn loopback_redirects_must_match_port_and_path() {
        let pending = PendingAuthorization::new();
        let redirect = "http://127.0.0.1:49152/oauth/callback";
        let state = state_of(
            &pending
                .begin_with_redirect_uri(&client(), redirect)
                .unwrap(),
        );
        let other_port =
            format!("http://127.0.0.1:49153/oauth/callback?code=a&state={state}&iss={ISSUER}");
        assert!(matches!(
            pending.complete(&other_port),
            Err(Error::InvalidCallback(_))
        ));
        let response = pending
            .complete(&format!("{redirect}?code=a&state={state}&iss={ISSUER}"))
            .unwrap();
        assert_eq!(response.redirect_uri, redirect);
    }

    #[test]
    fn duplicated_parameters_are_refused_without_consuming() {
        let (pending, state) = started();
        let doubled = callback(&format!("code=a&code=b&state={state}&iss={ISSUER}"));
        assert!(matches!(
            pending.complete(&doubled),
            Err(Error::InvalidCallback(_))
        ));
        let doubled_state = callback(&format!("code=a&state={state}&state={state}&iss={ISSUER}"));
        assert!(matches!(
            pending.complete(&doubled_state),
            Err(Error::InvalidCallback(_))
        ));
        assert!(pending.is_in_progress());
    }

    #[test]
    fn iss_is_compared_and_required_when_promised() {
        let (pending, state) = started();
        let wrong = pending.complete(&callback(&format!(
            "code=a&state={state}&iss=https://evil.example"
        )));
        assert!(matches!(
            wrong,
            Err(Error::IssuerMismatch { found: Some(_), .. })
        ));

        let (pending, state) = started();
        let missing = pending.complete(&callback(&format!("code=a&state={state}")));
        assert!(matches!(
            missing,
            Err(Error::IssuerMismatch { found: None, .. })
        ));

        let pending = PendingAuthorization::new();
        let state = state_of(
            &pending
                .begin(&client_with(false, Duration::from_secs(600)))
                .unwrap(),
        );
        assert!(
            pending
                .complete(&callback(&format!("code=a&state={state}")))
                .is_ok()
        );
    }

    #[test]
    fn error_responses_become_typed_errors() {
        let (pending, state) = started();
        let denied = pending
            .complete(&callback(&format!(
                "error=access_denied&error_description=User+said+no&state={state}&iss={ISSUER}"
            )))
            .unwrap_err();
        match denied {
            Error::Authorization {
                code, description, ..
            } => {
                assert_eq!(code, AuthorizationErrorCode::AccessDenied);
                assert_eq!(description.as_deref(), Some("User said no"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(!pending.is_in_progress());
    }

    #[test]
    fn a_forged_error_without_the_state_is_ignored() {
        let (pending, _) = started();
        let forged = pending.complete(&callback("error=access_denied&state=nope"));
        assert!(matches!(forged, Err(Error::StateMismatch)));
        assert!(pending.is_in_progress());
    }

    #[test]
    fn a_missing_code_is_an_error() {
        let (pending, state) = started();
        let result = pending.complete(&callback(&format!("state={state}&iss={ISSUER}")));
        assert!(matches!(result, Err(Error::InvalidCallback(_))));
    }

    #[test]
    fn an_expired_sign_in_is_refused() {
        let (pending, state) = started();
        let later = SystemTime::now() + Duration::from_secs(601);
        let result = pending.complete_at(
            &callback(&format!("code=a&state={state}&iss={ISSUER}")),
            later,
        );
        assert!(matches!(result, Err(Error::AuthorizationExpired)));
        assert!(!pending.is_in_progress());
    }

    #[test]
    fn debug_output_shows_no_secrets() {
        let (pending, state) = started();
        let response = pending
            .complete(&callback(&format!(
                "code=topsecretcode&state={state}&iss={ISSUER}"
            )))
            .unwrap();
        let text = format!("{response:?} {pending:?}");
        assert!(
            !text.contains("topsecretcode") && !text.contains(&state),
            "{text}"
        );
    }
}
