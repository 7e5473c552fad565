//! Pushed authorization requests (RFC 9126).
//!
//! `POST /par` takes the authorization parameters in a form body, authenticates the client
//! as the token endpoint does, and answers `201` with a one-time `request_uri`
//! (`urn:ietf:params:oauth:request_uri:…`) and its `expires_in`. The authorization endpoint,
//! given `client_id` and that `request_uri`, uses the pushed parameters (any others in the URL
//! are ignored) and validates them exactly like parameters sent in the URL.
//!
//! Refused at `POST /par` (RFC 6749 §5.2 JSON, 400 or 401): a body that is not a form or
//! repeats a parameter, failed client authentication, a `request_uri` among the parameters,
//! an unregistered `redirect_uri`. Refused at the authorization endpoint with an error page: an
//! unknown, expired or already used `request_uri`, one pushed by another client, and, with
//! [`Config::require_par`](crate::Config::require_par), any request that was not pushed.
//!
//! Pushed requests not yet used are bounded by [`Limits::pending_consents`](crate::Limits):
//! past it the oldest is forgotten.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::authorization::pages;
use crate::shared::params::Params;
use crate::shared::secrets::random_secret;
use crate::shared::sync::lock;

/// The prefix of every `request_uri` (RFC 9126 §2.2).
const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

struct Pushed {
    client_id: String,
    /// The parameters as a form body, to parse like a query.
    form: String,
    expires: Instant,
    used: bool,
}

/// Pushed requests, by `request_uri`.
pub(crate) struct PushedRequests {
    requests: Mutex<HashMap<String, Pushed>>,
    pub(crate) lifetime: Duration,
    limit: usize,
    required: bool,
}

/// Why a pushed request cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    NotPushed,
    Unknown,
    Expired,
    Reused,
    OtherClient,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (title, message) = match self {
            Self::NotPushed => (
                "This request must be sent to Demo Photos first",
                "Demo Photos accepts sign-in requests only when the app has sent them to it \
                 directly beforehand. Go back to PhotoLink and connect again.",
            ),
            Self::Unknown | Self::OtherClient => (
                "Unknown sign-in request",
                "Demo Photos does not know this sign-in request. Go back to PhotoLink and \
                 connect again.",
            ),
            Self::Expired => (
                "This sign-in link has expired",
                "The link was valid for a short time only. Go back to PhotoLink and connect \
                 again.",
            ),
            Self::Reused => (
                "This sign-in link was already used",
                "Each sign-in link works once. Go back to PhotoLink and connect again.",
            ),
        };
        pages::error(StatusCode::BAD_REQUEST, title, message)
    }
}

impl PushedRequests {
    pub fn new(lifetime: Duration, limit: usize, required: bool) -> Self {
        Self {
            requests: Mutex::default(),
            lifetime,
            limit,
            required,
        }
    }

    /// Whether every authorization request must be pushed.
    pub fn required(&self) -> bool {
        self.required
    }

    /// Keeps a pushed request; returns its `request_uri`.
    pub(crate) fn insert(&self, client_id: String, form: String) -> String {
        let request_uri = format!("{REQUEST_URI_PREFIX}{}", random_secret());
        let mut requests = lock(&self.requests);
        let now = Instant::now();
        requests.retain(|_, pushed| pushed.expires > now);
        while requests.len() >= self.limit {
            let oldest = requests
                .iter()
                .min_by_key(|(_, pushed)| pushed.expires)
                .map(|(uri, _)| uri.clone());
            let Some(oldest) = oldest else { break };
            requests.remove(&oldest);
        }
        requests.insert(
            request_uri.clone(),
            Pushed {
                client_id,
                form,
                expires: now + self.lifetime,
                used: false,
            },
        );
        request_uri
    }

    /// The parameters an authorization request stands for: the pushed ones when it names a
    /// `request_uri` (used up here), else its own, unless every request must be pushed.
    pub fn resolve(&self, query: Params) -> Result<Params, Refusal> {
        let Some(request_uri) = query.get("request_uri") else {
            return if self.required {
                Err(Refusal::NotPushed)
            } else {
                Ok(query)
            };
        };
        let mut requests = lock(&self.requests);
        let pushed = requests.get_mut(request_uri).ok_or(Refusal::Unknown)?;
        if pushed.used {
            return Err(Refusal::Reused);
        }
        if pushed.expires <= Instant::now() {
            return Err(Refusal::Expired);
        }
        if query.get("client_id") != Some(pushed.client_id.as_str()) {
            return Err(Refusal::OtherClient);
        }
        pushed.used = true;
        Ok(Params::parse(pushed.form.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use url::form_urlencoded;

    use super::*;

    fn requests(lifetime: Duration, required: bool) -> PushedRequests {
        PushedRequests::new(lifetime, 2, required)
    }

    fn query(request_uri: &str) -> Params {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", "photolink-desktop")
            .append_pair("request_uri", request_uri)
            .append_pair("state", "from-the-url")
            .finish();
        Params::parse(query.as_bytes())
    }

    #[test]
    fn a_pushed_request_stands_for_its_parameters_once() {
        let requests = requests(Duration::from_secs(60), true);
        let uri = requests.insert(
            "photolink-desktop".into(),
            "state=pushed&scope=openid".into(),
        );
        assert!(uri.starts_with(REQUEST_URI_PREFIX));
        let params = requests.resolve(query(&uri)).unwrap();
        assert_eq!(params.get("state"), Some("pushed"));
        assert_eq!(params.get("scope"), Some("openid"));
        assert_eq!(requests.resolve(query(&uri)).unwrap_err(), Refusal::Reused);
    }

    #[test]
    fn an_expired_unknown_or_foreign_request_uri_is_refused() {
        let expired = requests(Duration::ZERO, false);
        let uri = expired.insert("photolink-desktop".into(), "state=s".into());
        assert_eq!(expired.resolve(query(&uri)).unwrap_err(), Refusal::Expired);
        let live = requests(Duration::from_secs(60), false);
        assert_eq!(
            live.resolve(query("urn:ietf:params:oauth:request_uri:nope"))
                .unwrap_err(),
            Refusal::Unknown
        );
        let uri = live.insert("someone-else".into(), "state=s".into());
        assert_eq!(live.resolve(query(&uri)).unwrap_err(), Refusal::OtherClient);
    }

    #[test]
    fn a_request_that_was_not_pushed_passes_only_when_pushing_is_optional() {
        let plain = || Params::parse(b"client_id=photolink-desktop&state=s");
        assert_eq!(
            requests(Duration::from_secs(60), false)
                .resolve(plain())
                .unwrap()
                .get("state"),
            Some("s")
        );
        assert_eq!(
            requests(Duration::from_secs(60), true)
                .resolve(plain())
                .unwrap_err(),
            Refusal::NotPushed
        );
    }

    #[test]
    fn the_oldest_pushed_request_is_forgotten_past_the_limit() {
        let requests = requests(Duration::from_secs(60), false);
        let first = requests.insert("photolink-desktop".into(), "state=1".into());
        let second = requests.insert("photolink-desktop".into(), "state=2".into());
        let third = requests.insert("photolink-desktop".into(), "state=3".into());
        assert_eq!(
            requests.resolve(query(&first)).unwrap_err(),
            Refusal::Unknown
        );
        assert!(requests.resolve(query(&second)).is_ok());
        assert!(requests.resolve(query(&third)).is_ok());
    }
}
