//! Identifying the client at the token and revocation endpoints (RFC 6749 §2.3).
//!
//! A public client sends only `client_id` and must not send a secret. When the provider is
//! configured with a client secret, the client must authenticate with exactly one of
//! `client_secret_basic` and `client_secret_post`.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;
use url::form_urlencoded;

use crate::client;
use crate::oauth_error::OAuthError;
use crate::params::Params;

/// The authenticated client's id.
pub(crate) fn authenticate(
    headers: &HeaderMap,
    params: &Params,
    configured_secret: Option<&str>,
) -> Result<String, OAuthError> {
    let basic = basic_credentials(headers)?;
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    let (client_id, secret) = match (basic, body_secret) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "use only one client authentication method",
            ));
        }
        (Some((id, secret)), None) => {
            if body_id.is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::invalid_client(
                    "client_id differs from the Authorization header",
                ));
            }
            (id, Some(secret))
        }
        (None, secret) => {
            let id = body_id.ok_or_else(|| OAuthError::invalid_client("client_id is required"))?;
            (id.to_owned(), secret.map(str::to_owned))
        }
    };
    if !client::is_registered(&client_id) {
        return Err(OAuthError::invalid_client("unknown client"));
    }
    match (configured_secret, secret) {
        (None, None) => Ok(client_id),
        (None, Some(_)) => Err(OAuthError::invalid_client(
            "this client is public and must not send a client secret",
        )),
        (Some(_), None) => Err(OAuthError::invalid_client(
            "client authentication is required",
        )),
        (Some(expected), Some(given)) => {
            if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
                Ok(client_id)
            } else {
                Err(OAuthError::invalid_client("client authentication failed"))
            }
        }
    }
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))`, if present.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::invalid_client("malformed Basic Authorization header");
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, encoded) = value.split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    Ok(Some((
        form_decode(id).ok_or_else(malformed)?,
        form_decode(secret).ok_or_else(malformed)?,
    )))
}

/// Decodes one `application/x-www-form-urlencoded` value.
fn form_decode(encoded: &str) -> Option<String> {
    if encoded.contains(['&', '=']) {
        return None;
    }
    let decoded = form_urlencoded::parse(encoded.as_bytes())
        .next()
        .map_or_else(String::new, |(value, _)| value.into_owned());
    Some(decoded)
}
