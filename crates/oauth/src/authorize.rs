//! The pending-authorization slot: the one sign-in in progress, started with a client, saved
//! and restored, and completed by its callback (the sign-in itself is in `sign_in`).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::SystemTime;

use url::Url;

use crate::client::OAuthClient;
use crate::error::{CallbackError, CallbackProblem, ConfigProblem, Error, Result};
use crate::sign_in::{AuthorizationResponse, SavedSignIn, finish};
use crate::sync::lock;

/// The one sign-in that may be in progress.
///
/// [`begin`](Self::begin) starts a sign-in and replaces any earlier one; [`complete`](Self::complete)
/// validates the callback URL. A callback that is not for the sign-in in progress (forged,
/// from a superseded sign-in, sent elsewhere) is [ignored](CallbackError::Ignored) and leaves
/// it untouched; once the `state` matches, the pending sign-in is used up, whatever the
/// outcome, and a failure [ends it](CallbackError::Failed).
///
/// To survive a restart, write [`saved`](Self::saved) to secure storage while the sign-in
/// lasts and [`restore`](Self::restore) it in the next process.
#[derive(Default)]
pub struct PendingAuthorization {
    slot: Mutex<Option<SavedSignIn>>,
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

    /// Starts a sign-in with the configured redirect URI and returns the URL to open in the
    /// browser: pushes the request first when the server takes pushed requests (RFC 9126),
    /// then the URL carries only `client_id` and `request_uri`. A failed start leaves no
    /// sign-in in progress.
    pub async fn start(&self, client: &OAuthClient) -> Result<Url> {
        self.start_with_redirect_uri(client, &client.config().redirect_uri)
            .await
    }

    /// Like [`start`](Self::start), with another redirect URI (see
    /// [`begin_with_redirect_uri`](Self::begin_with_redirect_uri)).
    pub async fn start_with_redirect_uri(
        &self,
        client: &OAuthClient,
        redirect_uri: &str,
    ) -> Result<Url> {
        self.cancel();
        if !client.pushes_authorization_requests() {
            return self.begin_with_redirect_uri(client, redirect_uri);
        }
        let (url, request) = client.pushed_authorization_request(redirect_uri).await?;
        *self.lock() = Some(request);
        Ok(url)
    }

    /// Starts a sign-in with the configured redirect URI; returns the URL to open in the
    /// browser. Builds the URL locally, without pushing: when requests must be pushed (the
    /// server requires it, or [`ClientConfig::par`](crate::ClientConfig::par)) it fails with
    /// [`Error::InvalidConfig`], and [`start`](Self::start) is the one to use.
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

    /// When the sign-in in progress expires, if one is in progress.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.lock().as_ref().map(|request| request.expires_at)
    }

    /// When the URL of the sign-in in progress stops working, for a pushed request: opening
    /// the browser again after it needs a new sign-in ([`start`](Self::start) pushes again).
    pub fn authorize_url_expires_at(&self) -> Option<SystemTime> {
        self.lock()
            .as_ref()
            .and_then(SavedSignIn::authorize_url_expires_at)
    }

    /// A snapshot of the sign-in in progress, to write to secure storage.
    pub fn saved(&self) -> Option<SavedSignIn> {
        self.lock().as_ref().map(SavedSignIn::snapshot)
    }

    /// Puts a saved sign-in back (e.g. at a cold start, when the OS delivers the callback to a
    /// new process), replacing any sign-in in progress.
    ///
    /// Refuses one started for another issuer or `client_id` with
    /// [`Error::SavedSignInMismatch`], and one whose redirect URI is not a valid address with
    /// [`Error::InvalidConfig`]. An expired one is accepted: its callback then fails in
    /// [`complete`](Self::complete) with [`Error::AuthorizationExpired`]. `iss` is required if
    /// the saved sign-in or the client's current metadata says the server promises it.
    pub fn restore(&self, client: &OAuthClient, mut saved: SavedSignIn) -> Result<()> {
        if saved.issuer != client.metadata().issuer || saved.client_id != client.config().client_id
        {
            return Err(Error::SavedSignInMismatch);
        }
        Url::parse(&saved.redirect_uri)
            .map_err(|e| Error::InvalidConfig(ConfigProblem::RedirectUri(e)))?;
        saved.require_iss |= client
            .metadata()
            .authorization_response_iss_parameter_supported;
        *self.lock() = Some(saved);
        Ok(())
    }

    /// Forgets the sign-in in progress, if any.
    pub fn cancel(&self) {
        self.lock().take();
    }

    /// Validates the callback URL as the OS delivered it.
    ///
    /// Checks, in order: the URL parses and a sign-in is in progress; the URL matches its
    /// redirect URI (scheme, host, port, path); no parameter appears twice; `state` matches
    /// (constant time). Up to here a failure is [`CallbackError::Ignored`] and leaves the
    /// pending sign-in in place. Then the sign-in is used up, and any further failure is
    /// [`CallbackError::Failed`]: it must not have expired; `iss` must equal the issuer when
    /// present, and be present when the server promised it; an `error` parameter becomes
    /// [`Error::Authorization`]; otherwise a `code` is required.
    pub fn complete(&self, callback_url: &str) -> Result<AuthorizationResponse, CallbackError> {
        self.complete_at(callback_url, SystemTime::now())
    }

    fn complete_at(
        &self,
        callback_url: &str,
        now: SystemTime,
    ) -> Result<AuthorizationResponse, CallbackError> {
        let (request, params) = self
            .take_matching(callback_url)
            .map_err(CallbackError::Ignored)?;
        finish(request, params, now).map_err(CallbackError::Failed)
    }

    /// Takes the sign-in in progress if the callback is for it; otherwise leaves it in place.
    fn take_matching(&self, callback_url: &str) -> Result<(SavedSignIn, HashMap<String, String>)> {
        let callback = Url::parse(callback_url)
            .map_err(|_| Error::InvalidCallback(CallbackProblem::NotAUrl))?;
        let mut slot = self.lock();
        let request = slot.as_ref().ok_or(Error::NoPendingAuthorization)?;
        let params = request.addressed_by(&callback)?;
        let request = slot.take().ok_or(Error::NoPendingAuthorization)?;
        Ok((request, params))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<SavedSignIn>> {
        // The slot holds plain data, so a panic elsewhere cannot leave it half-written.
        lock(&self.slot)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::ClientConfig;
    use crate::error::AuthorizationErrorCode;
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

    fn ignored(result: Result<AuthorizationResponse, CallbackError>) -> Error {
        match result {
            Err(CallbackError::Ignored(error)) => error,
            other => panic!("expected an ignored callback, got {other:?}"),
        }
    }

    fn failed(result: Result<AuthorizationResponse, CallbackError>) -> Error {
        match result {
            Err(CallbackError::Failed(error)) => error,
            other => panic!("expected a failed sign-in, got {other:?}"),
        }
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
        let replay =
            ignored(pending.complete(&callback(&format!("code=abc&state={state}&iss={ISSUER}"))));
        assert!(
            matches!(replay, Error::NoPendingAuthorization),
            "{replay:?}"
        );
    }

    #[test]
    fn a_wrong_or_missing_state_is_ignored_and_leaves_the_pending_sign_in_usable() {
        let (pending, state) = started();
        let wrong =
            ignored(pending.complete(&callback(&format!("code=evil&state=forged&iss={ISSUER}"))));
        assert!(matches!(wrong, Error::StateMismatch), "{wrong:?}");
        let missing = ignored(pending.complete(&callback(&format!("code=evil&iss={ISSUER}"))));
        assert!(matches!(missing, Error::InvalidCallback(_)), "{missing:?}");
        assert!(pending.is_in_progress());
        assert!(
            pending
                .complete(&callback(&format!("code=good&state={state}&iss={ISSUER}")))
                .is_ok()
        );
    }

    #[test]
    fn a_saved_sign_in_recognises_only_callbacks_with_its_address_and_state() {
        let (pending, state) = started();
        let saved = pending.saved().unwrap();
        assert!(saved.is_addressed_by(&callback(&format!("code=a&state={state}"))));
        assert!(saved.is_addressed_by(&callback(&format!("error=access_denied&state={state}"))));
        for other in [
            callback("code=a&state=forged"),
            callback("code=a"),
            callback(&format!("code=a&state={state}&state={state}")),
            format!("com.example.photolink:/elsewhere?code=a&state={state}"),
            format!("https://auth.example.com/oauth/callback?code=a&state={state}"),
            "not a url".into(),
        ] {
            assert!(!saved.is_addressed_by(&other), "{other}");
        }
        assert!(pending.is_in_progress(), "asking used the sign-in up");
    }

    #[test]
    fn a_callback_without_a_sign_in_in_progress_is_ignored() {
        let pending = PendingAuthorization::new();
        let error = ignored(pending.complete(&callback("code=a&state=s")));
        assert!(matches!(error, Error::NoPendingAuthorization), "{error:?}");
    }

    #[test]
    fn a_new_sign_in_supersedes_the_old_one() {
        let pending = PendingAuthorization::new();
        let client = client();
        let old = state_of(&pending.begin(&client).unwrap());
        let new = state_of(&pending.begin(&client).unwrap());
        let error =
            ignored(pending.complete(&callback(&format!("code=a&state={old}&iss={ISSUER}"))));
        assert!(matches!(error, Error::StateMismatch), "{error:?}");
        assert!(
            pending
                .complete(&callback(&format!("code=a&state={new}&iss={ISSUER}")))
                .is_ok()
        );
    }

    #[test]
    fn a_callback_at_another_address_or_unparsable_is_ignored() {
        let (pending, state) = started();
        for url in [
            format!("com.example.evil:/oauth/callback?code=a&state={state}"),
            format!("com.example.photolink:/other?code=a&state={state}"),
            format!("https://auth.example.com/oauth/callback?code=a&state={state}"),
            "not a url".to_owned(),
        ] {
            let error = ignored(pending.complete(&url));
            assert!(
                matches!(error, Error::InvalidCallback(_)),
                "{url}: {error:?}"
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
        let error = ignored(pending.complete(&other_port));
        assert!(matches!(error, Error::InvalidCallback(_)), "{error:?}");
        let response = pending
            .complete(&format!("{redirect}?code=a&state={state}&iss={ISSUER}"))
            .unwrap();
        assert_eq!(response.redirect_uri, redirect);
    }

    #[test]
    fn duplicated_parameters_are_ignored_without_consuming() {
        let (pending, state) = started();
        let doubled = callback(&format!("code=a&code=b&state={state}&iss={ISSUER}"));
        assert!(matches!(
            ignored(pending.complete(&doubled)),
            Error::InvalidCallback(_)
        ));
        let doubled_state = callback(&format!("code=a&state={state}&state={state}&iss={ISSUER}"));
        assert!(matches!(
            ignored(pending.complete(&doubled_state)),
            Error::InvalidCallback(_)
        ));
        assert!(pending.is_in_progress());
    }

    #[test]
    fn a_wrong_or_missing_iss_fails_the_sign_in_when_promised() {
        let (pending, state) = started();
        let wrong = failed(pending.complete(&callback(&format!(
            "code=a&state={state}&iss=https://evil.example"
        ))));
        assert!(matches!(
            wrong,
            Error::IssuerMismatch { found: Some(_), .. }
        ));
        assert!(!pending.is_in_progress());

        let (pending, state) = started();
        let missing = failed(pending.complete(&callback(&format!("code=a&state={state}"))));
        assert!(matches!(missing, Error::IssuerMismatch { found: None, .. }));

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
    fn an_error_response_fails_the_sign_in_with_a_typed_error() {
        let (pending, state) = started();
        let denied = failed(pending.complete(&callback(&format!(
            "error=access_denied&error_description=User+said+no&state={state}&iss={ISSUER}"
        ))));
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
    fn server_text_in_an_error_callback_is_made_safe() {
        let (pending, state) = started();
        let error = failed(pending.complete(&callback(&format!(
            "error=weird%0A&error_description=see+tGzv3JOkF0XG5Qx2TlKWIA%1B&state={state}&iss={ISSUER}"
        ))));
        match error {
            Error::Authorization {
                code, description, ..
            } => {
                assert_eq!(code, AuthorizationErrorCode::Other("weird".into()));
                assert_eq!(description.as_deref(), Some("see [hidden]"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_forged_error_without_the_state_is_ignored() {
        let (pending, _) = started();
        let forged = ignored(pending.complete(&callback("error=access_denied&state=nope")));
        assert!(matches!(forged, Error::StateMismatch));
        assert!(pending.is_in_progress());
    }

    #[test]
    fn a_missing_code_fails_the_sign_in() {
        let (pending, state) = started();
        let error = failed(pending.complete(&callback(&format!("state={state}&iss={ISSUER}"))));
        assert!(matches!(error, Error::InvalidCallback(_)), "{error:?}");
        assert!(!pending.is_in_progress());
    }

    #[test]
    fn an_expired_sign_in_fails() {
        let (pending, state) = started();
        let later = SystemTime::now() + Duration::from_secs(601);
        let error = failed(pending.complete_at(
            &callback(&format!("code=a&state={state}&iss={ISSUER}")),
            later,
        ));
        assert!(matches!(error, Error::AuthorizationExpired), "{error:?}");
        assert!(!pending.is_in_progress());
    }

    #[test]
    fn a_callback_error_converts_into_its_error() {
        let ignored: Error = CallbackError::Ignored(Error::StateMismatch).into();
        assert!(matches!(ignored, Error::StateMismatch));
        let failed = CallbackError::Failed(Error::AuthorizationExpired);
        assert!(!failed.is_ignored());
        assert!(matches!(failed.into_error(), Error::AuthorizationExpired));
    }

    #[test]
    fn the_expiry_of_the_sign_in_in_progress_is_known() {
        let pending = PendingAuthorization::new();
        assert_eq!(pending.expires_at(), None);
        let before = SystemTime::now();
        pending.begin(&client()).unwrap();
        let expires_at = pending.expires_at().unwrap();
        assert!(expires_at >= before + Duration::from_secs(599));
        assert!(expires_at <= SystemTime::now() + Duration::from_secs(600));
    }

    /// A saved sign-in as it comes back from storage, in another process.
    fn through_storage(saved: SavedSignIn) -> SavedSignIn {
        let json = serde_json::to_string(&saved).unwrap();
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn a_saved_sign_in_completes_in_a_new_process() {
        let (pending, state) = started();
        let saved = through_storage(pending.saved().unwrap());
        assert_eq!(saved.issuer(), ISSUER);
        assert_eq!(saved.redirect_uri(), REDIRECT);
        let verifier = pending
            .lock()
            .as_ref()
            .unwrap()
            .verifier
            .secret()
            .to_owned();
        drop(pending);

        let restarted = PendingAuthorization::new();
        restarted.restore(&client(), saved).unwrap();
        assert!(restarted.is_in_progress());
        let response = restarted
            .complete(&callback(&format!("code=abc&state={state}&iss={ISSUER}")))
            .unwrap();
        assert_eq!(response.code.secret(), "abc");
        assert_eq!(response.verifier.secret(), verifier);
    }

    #[test]
    fn a_restored_sign_in_still_ignores_forged_callbacks() {
        let (pending, state) = started();
        let restarted = PendingAuthorization::new();
        restarted
            .restore(&client(), through_storage(pending.saved().unwrap()))
            .unwrap();
        let forged =
            ignored(restarted.complete(&callback(&format!("code=evil&state=forged&iss={ISSUER}"))));
        assert!(matches!(forged, Error::StateMismatch));
        assert!(
            restarted
                .complete(&callback(&format!("code=a&state={state}&iss={ISSUER}")))
                .is_ok()
        );
    }

    #[test]
    fn an_expired_saved_sign_in_is_restored_and_then_fails_as_expired() {
        let pending = PendingAuthorization::new();
        let state = state_of(&pending.begin(&client_with(true, Duration::ZERO)).unwrap());
        let restarted = PendingAuthorization::new();
        restarted
            .restore(&client(), through_storage(pending.saved().unwrap()))
            .unwrap();
        let error =
            failed(restarted.complete(&callback(&format!("code=a&state={state}&iss={ISSUER}"))));
        assert!(matches!(error, Error::AuthorizationExpired), "{error:?}");
    }

    #[test]
    fn a_saved_sign_in_for_another_issuer_or_client_is_refused() {
        let (pending, _) = started();
        let other_issuer = OAuthClient::new(
            ClientConfig::new("photolink-desktop", REDIRECT),
            ServerMetadata::new(
                "https://other.example",
                "https://other.example/authorize",
                "https://other.example/token",
            ),
        )
        .unwrap();
        let other_client = OAuthClient::new(
            ClientConfig::new("someone-else", REDIRECT),
            client().metadata().clone(),
        )
        .unwrap();
        let restarted = PendingAuthorization::new();
        for client in [other_issuer, other_client] {
            let error = restarted
                .restore(&client, pending.saved().unwrap())
                .unwrap_err();
            assert!(matches!(error, Error::SavedSignInMismatch), "{error:?}");
        }
        assert!(!restarted.is_in_progress());
    }

    #[test]
    fn a_restored_sign_in_requires_iss_when_the_server_now_promises_it() {
        let pending = PendingAuthorization::new();
        let state = state_of(
            &pending
                .begin(&client_with(false, Duration::from_secs(600)))
                .unwrap(),
        );
        let restarted = PendingAuthorization::new();
        restarted
            .restore(&client(), pending.saved().unwrap())
            .unwrap();
        let error = failed(restarted.complete(&callback(&format!("code=a&state={state}"))));
        assert!(matches!(error, Error::IssuerMismatch { found: None, .. }));
    }

    #[test]
    fn debug_output_shows_no_secrets() {
        let (pending, state) = started();
        let saved = pending.saved().unwrap();
        let verifier = saved.verifier.secret().to_owned();
        let response = pending
            .complete(&callback(&format!(
                "code=topsecretcode&state={state}&iss={ISSUER}"
            )))
            .unwrap();
        let text = format!("{response:?} {pending:?} {saved:?}");
        for secret in ["topsecretcode", &state, &verifier] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    mod properties {
        use std::sync::LazyLock;

        use proptest::prelude::*;

        use super::*;

        /// One client for every case: building one sets up TLS, which is slow.
        static CLIENT: LazyLock<OAuthClient> = LazyLock::new(client);

        fn started() -> (PendingAuthorization, String) {
            let pending = PendingAuthorization::new();
            let url = pending.begin(&CLIENT).unwrap();
            (pending, state_of(&url))
        }

        const LOOPBACK_REDIRECT: &str = "http://127.0.0.1:49152/oauth/callback";

        /// Spellings of the custom-scheme redirect URI, and whether each is the same address.
        const CUSTOM_FORMS: [(&str, bool); 10] = [
            ("com.example.photolink:/oauth/callback", true),
            // Schemes are case-insensitive (RFC 3986 §3.1).
            ("COM.Example.PhotoLink:/oauth/callback", true),
            ("com.example.photolink:/OAuth/Callback", false),
            ("com.example.photolink:/oauth/callback/", false),
            ("com.example.photolink://evil.example/oauth/callback", false),
            ("com.example.photolink://127.0.0.1/oauth/callback", false),
            ("com.example.photolink:oauth/callback", false),
            ("com.example.photolinks:/oauth/callback", false),
            ("com.example.photolink:/oauth/%63allback", false),
            ("https://auth.example.com/oauth/callback", false),
        ];

        /// Spellings of the loopback redirect URI, and whether each is the same address.
        const LOOPBACK_FORMS: [(&str, bool); 16] = [
            ("http://127.0.0.1:49152/oauth/callback", true),
            ("HTTP://127.0.0.1:49152/oauth/callback", true),
            // Other spellings of the same IPv4 address and port, and dot segments.
            ("http://127.1:49152/oauth/callback", true),
            ("http://0x7f.0.0.1:49152/oauth/callback", true),
            ("http://127.0.0.1:049152/oauth/callback", true),
            ("http://127.0.0.1:49152/oauth/x/../callback", true),
            ("http://localhost:49152/oauth/callback", false),
            ("http://[::1]:49152/oauth/callback", false),
            ("http://127.0.0.2:49152/oauth/callback", false),
            ("http://127.0.0.1:49153/oauth/callback", false),
            ("http://127.0.0.1/oauth/callback", false),
            ("https://127.0.0.1:49152/oauth/callback", false),
            ("http://127.0.0.1:49152/oauth/callback/", false),
            ("http://127.0.0.1:49152/OAUTH/callback", false),
            ("http://127.0.0.1:49152//oauth/callback", false),
            ("http://127.0.0.1.nip.io:49152/oauth/callback", false),
        ];

        /// Where a callback carries a parameter.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Place {
            Query,
            Fragment,
            /// The genuine value in the query, another in the fragment.
            QueryAndOtherInFragment,
            /// Another value in the query, the genuine one in the fragment.
            OtherInQueryGenuineInFragment,
            Nowhere,
        }

        fn place() -> impl Strategy<Value = Place> {
            prop_oneof![
                3 => Just(Place::Query),
                1 => Just(Place::Fragment),
                1 => Just(Place::QueryAndOtherInFragment),
                1 => Just(Place::OtherInQueryGenuineInFragment),
                1 => Just(Place::Nowhere),
            ]
        }

        /// Form-encoded pairs, in order.
        fn encode(pairs: &[(&str, &str)]) -> String {
            let mut serializer = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in pairs {
                serializer.append_pair(name, value);
            }
            serializer.finish()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn an_accepted_callback_has_the_state_and_gives_exactly_the_code_of_its_query(
                loopback in any::<bool>(),
                form in any::<prop::sample::Index>(),
                state_place in place(),
                code_place in place(),
                code in prop_oneof!["[ -~]{1,60}", ".{1,30}"],
                other_code in "[a-z]{1,10}",
                shuffle in any::<prop::sample::Index>(),
            ) {
                let pending = PendingAuthorization::new();
                let (redirect, forms) = if loopback {
                    (LOOPBACK_REDIRECT, &LOOPBACK_FORMS[..])
                } else {
                    (REDIRECT, &CUSTOM_FORMS[..])
                };
                let state = state_of(&pending.begin_with_redirect_uri(&CLIENT, redirect).unwrap());
                let (address, same_address) = forms[form.index(forms.len())];

                let mut query: Vec<(&str, &str)> = vec![("iss", ISSUER)];
                let mut fragment: Vec<(&str, &str)> = Vec::new();
                for (name, genuine, place) in [("state", state.as_str(), state_place), ("code", code.as_str(), code_place)] {
                    match place {
                        Place::Query => query.push((name, genuine)),
                        Place::Fragment => fragment.push((name, genuine)),
                        Place::QueryAndOtherInFragment => {
                            query.push((name, genuine));
                            fragment.push((name, other_code.as_str()));
                        }
                        Place::OtherInQueryGenuineInFragment => {
                            query.push((name, other_code.as_str()));
                            fragment.push((name, genuine));
                        }
                        Place::Nowhere => {}
                    }
                }
                let turn = shuffle.index(query.len());
                query.rotate_left(turn);
                let mut url = format!("{address}?{}", encode(&query));
                if !fragment.is_empty() {
                    url = format!("{url}#{}", encode(&fragment));
                }

                let state_in_query = matches!(state_place, Place::Query | Place::QueryAndOtherInFragment);
                let query_code = match code_place {
                    Place::Query | Place::QueryAndOtherInFragment => Some(code.as_str()),
                    Place::OtherInQueryGenuineInFragment => Some(other_code.as_str()),
                    Place::Fragment | Place::Nowhere => None,
                };
                let for_this_sign_in = same_address && state_in_query;
                match pending.complete(&url) {
                    Ok(response) => {
                        prop_assert!(for_this_sign_in, "{}", url);
                        prop_assert_eq!(Some(response.code.secret()), query_code, "{}", url);
                        prop_assert_eq!(response.redirect_uri.as_str(), redirect);
                    }
                    Err(CallbackError::Ignored(error)) => {
                        prop_assert!(!for_this_sign_in, "{}: {:?}", url, error);
                        prop_assert!(pending.is_in_progress());
                    }
                    Err(CallbackError::Failed(error)) => {
                        prop_assert!(for_this_sign_in && query_code.is_none(), "{}: {:?}", url, error);
                        prop_assert!(matches!(error, Error::InvalidCallback(_)), "{:?}", error);
                    }
                }
            }

            #[test]
            fn any_callback_text_is_ignored_or_failed_without_panicking(text in ".{0,300}") {
                let (pending, _) = started();
                let outcome = pending.complete(&text);
                // Without the state, nothing can complete or end the sign-in.
                prop_assert!(matches!(outcome, Err(CallbackError::Ignored(_))));
                prop_assert!(pending.is_in_progress());
            }

            #[test]
            fn any_bytes_after_the_redirect_uri_never_complete_without_the_state(
                tail in proptest::collection::vec(any::<u8>(), 0..400),
                separator in prop_oneof![Just("?"), Just("#"), Just(""), Just("/"), Just("?state=&")],
            ) {
                let (pending, _) = started();
                let text = format!("{REDIRECT}{separator}{}", String::from_utf8_lossy(&tail));
                // Without the state, nothing can complete or end the sign-in.
                prop_assert!(matches!(pending.complete(&text), Err(CallbackError::Ignored(_))));
                prop_assert!(pending.is_in_progress());
            }

            #[test]
            fn any_query_at_the_redirect_uri_never_panics(query in "[a-z_=&%0-9A-F+]{0,200}") {
                let (pending, state) = started();
                let _ = pending.complete(&callback(&query));
                let _ = pending.complete(&callback(&format!("{query}&state={state}")));
            }

            #[test]
            fn a_valid_callback_round_trips_its_code(
                code in "[ -~]{1,100}",
                extra in proptest::collection::vec(("x_[a-z]{1,8}", "[ -~]{0,20}"), 0..4),
            ) {
                let (pending, state) = started();
                let mut url = Url::parse(REDIRECT).unwrap();
                {
                    let mut query = url.query_pairs_mut();
                    query.append_pair("code", &code).append_pair("state", &state).append_pair("iss", ISSUER);
                    let mut seen = std::collections::HashSet::new();
                    for (name, value) in &extra {
                        if seen.insert(name.clone()) {
                            query.append_pair(name, value);
                        }
                    }
                }
                let response = pending.complete(url.as_str()).unwrap();
                prop_assert_eq!(response.code.secret(), code.as_str());
                prop_assert_eq!(response.redirect_uri.as_str(), REDIRECT);
            }
        }
    }
}
