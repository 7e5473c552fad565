//! Pushed authorization requests (RFC 9126): the authorization parameters go to the server
//! in a direct, authenticated POST, and the browser opens a URL with only `client_id` and the
//! `request_uri` the server answered. Nothing of the request can then be read or changed in
//! the browser, and the server has checked it before anyone signs in.
//!
//! # Rules
//!
//! - [`PendingAuthorization::start`] pushes whenever the server names a
//!   `pushed_authorization_request_endpoint`. Pushing is mandatory when the server says
//!   `require_pushed_authorization_requests` or [`ClientConfig::par`] is set: the synchronous
//!   [`PendingAuthorization::begin`], which builds the URL locally, is then refused, and with
//!   `par` a server without the endpoint is [`Error::InvalidConfig`] when the client is built.
//! - The push is a form POST with every authorization parameter except `client_id`, which the
//!   client authentication adds (in the body for a public client or `client_secret_post`, in
//!   the `Authorization` header for `client_secret_basic`), exactly as at the token endpoint.
//! - The answer must be a JSON object with a non-empty `request_uri`; its `expires_in` bounds
//!   how long the URL to open works ([`SavedSignIn::authorize_url_expires_at`]); without one,
//!   the sign-in's own lifetime does. A request URI is used once: opening the browser again
//!   after it was used or expired needs a new sign-in, which pushes again.
//! - An RFC 6749 §5.2 error answer is [`Error::PushedAuthorization`] (its text made safe by
//!   [`server_text`]); any other answer is [`Error::UnexpectedResponse`] naming the status.
//!   Never retried: each push is a new request.
//!
//! [`ClientConfig::par`]: crate::ClientConfig::par
//! [`PendingAuthorization::start`]: crate::PendingAuthorization::start
//! [`PendingAuthorization::begin`]: crate::PendingAuthorization::begin
//! [`SavedSignIn::authorize_url_expires_at`]: crate::SavedSignIn::authorize_url_expires_at

use std::time::SystemTime;

use serde_json::Value;
use url::Url;

use crate::config::ClientConfig;
use crate::error::{
    AuthorizationErrorCode, CleanText, ConfigProblem, Error, ResponseProblem, Result,
};
use crate::http::RawResponse;
use crate::metadata::ValidatedEndpoints;
use crate::token::lifetime;

/// Refuses `par = true` for a server that offers no pushed authorization request endpoint.
pub(crate) fn check_config(config: &ClientConfig, endpoints: &ValidatedEndpoints) -> Result<()> {
    if config.par && endpoints.pushed_authorization.is_none() {
        return Err(Error::InvalidConfig(ConfigProblem::NoPushEndpoint));
    }
    Ok(())
}

/// What the server answered a push with.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PushedRequest {
    pub request_uri: String,
    pub expires_at: Option<SystemTime>,
}

/// The form to push: every authorization parameter except `client_id`, which the client
/// authentication adds.
pub(crate) fn pushed_form<'a>(params: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    params
        .iter()
        .filter(|(name, _)| *name != "client_id")
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

/// The URL to open: the authorization endpoint (its own query kept) with `client_id` and
/// `request_uri` only (RFC 9126 §4).
pub(crate) fn authorize_url(endpoint: &Url, client_id: &str, request_uri: &str) -> Url {
    let mut url = endpoint.clone();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("request_uri", request_uri);
    url
}

/// Longest `request_uri` taken, in bytes. It ends up in the address handed to the browser,
/// whose length browsers and servers bound (typically 8 KiB); the ones servers issue are
/// under 100 bytes.
const MAX_REQUEST_URI_BYTES: usize = 2048;

pub(crate) fn parse_response(response: &RawResponse, now: SystemTime) -> Result<PushedRequest> {
    let Some(object) = response.json_object() else {
        return Err(response.unexpected());
    };
    if let Some(code) = object.get("error").and_then(Value::as_str) {
        let text = |name: &str| {
            object
                .get(name)
                .and_then(Value::as_str)
                .map(CleanText::text)
        };
        return Err(Error::PushedAuthorization {
            code: AuthorizationErrorCode::parse(code),
            description: text("error_description"),
            uri: text("error_uri"),
            status: response.status,
            retry_after: response.retry_after,
        });
    }
    if !response.is_success() {
        return Err(response.unexpected());
    }
    let request_uri = object
        .get("request_uri")
        .and_then(Value::as_str)
        .filter(|uri| !uri.is_empty())
        .ok_or_else(|| response.unusable(ResponseProblem::MissingMember("request_uri")))?;
    if request_uri.len() > MAX_REQUEST_URI_BYTES {
        return Err(response.unusable(ResponseProblem::RequestUriTooLong));
    }
    let expires_in = lifetime(&object)
        .map_err(|()| response.unusable(ResponseProblem::NotANumber("expires_in")))?;
    Ok(PushedRequest {
        request_uri: request_uri.to_owned(),
        expires_at: expires_in.and_then(|lifetime| now.checked_add(lifetime)),
    })
}

#[cfg(test)]
mod tests;
