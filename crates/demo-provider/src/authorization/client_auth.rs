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

use crate::authorization::client;
use crate::authorization::oauth_error::OAuthError;
use crate::shared::params::Params;

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

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::authorization::client::CLIENT_ID;
    use crate::authorization::oauth_error::ErrorCode;

    const SECRET: &str = "demo-client-secret";

    fn headers(authorization: Option<HeaderValue>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, value);
        }
        headers
    }

    /// RFC 6749 §2.3.1: each part form-encoded, joined by a colon, then base64.
    fn basic(scheme: &str, id: &str, secret: &str) -> HeaderValue {
        let encode =
            |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
        let credentials = STANDARD.encode(format!("{}:{}", encode(id), encode(secret)));
        HeaderValue::from_str(&format!("{scheme} {credentials}")).unwrap()
    }

    fn refusal(result: Result<String, OAuthError>) -> (ErrorCode, String) {
        match result {
            Err(error) => (error.code, error.description.into_owned()),
            Ok(id) => panic!("expected a refusal, got the client {id}"),
        }
    }

    #[test]
    fn a_basic_header_or_a_body_secret_authenticates_a_confidential_client() {
        let none = Params::parse(b"");
        let header = headers(Some(basic("Basic", CLIENT_ID, SECRET)));
        assert_eq!(
            authenticate(&header, &none, Some(SECRET)).unwrap(),
            CLIENT_ID
        );
        let body =
            Params::parse(format!("client_id={CLIENT_ID}&client_secret={SECRET}").as_bytes());
        assert_eq!(
            authenticate(&headers(None), &body, Some(SECRET)).unwrap(),
            CLIENT_ID
        );
        assert_eq!(
            refusal(authenticate(&header, &body, Some(SECRET))),
            (
                ErrorCode::InvalidRequest,
                "use only one client authentication method".into()
            )
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn scheme() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("Basic".to_owned()),
                Just("basic".to_owned()),
                Just("BASIC".to_owned())
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_authorization_header_is_refused_as_invalid_client_or_read(
                value in prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..300),
                    "(Basic|basic|Bearer|DPoP) [A-Za-z0-9+/=]{0,120}".prop_map(String::into_bytes),
                    // Past any length a client id and secret need.
                    "Basic [A-Za-z0-9+/]{5000,9000}".prop_map(String::into_bytes),
                ],
                configured in proptest::option::of(Just(SECRET)),
            ) {
                let Ok(value) = HeaderValue::from_bytes(&value) else {
                    // Not a header value at all: the HTTP layer refuses it first.
                    return Ok(());
                };
                let text = value.to_str().ok().map(str::to_owned);
                match authenticate(&headers(Some(value)), &Params::parse(b""), configured) {
                    Ok(id) => {
                        prop_assert_eq!(id.as_str(), CLIENT_ID);
                        prop_assert!(configured.is_some(), "a public client sent a secret and passed");
                    }
                    Err(error) => {
                        prop_assert_eq!(error.code, ErrorCode::InvalidClient);
                        let is_basic = text.as_deref().and_then(|t| t.split_once(' ')).is_some_and(|(s, _)| s.eq_ignore_ascii_case("basic"));
                        if !is_basic {
                            prop_assert_eq!(error.description.as_ref(), "malformed Basic Authorization header");
                        }
                    }
                }
            }

            #[test]
            fn basic_credentials_round_trip_whatever_they_contain(
                scheme in scheme(),
                id in ".{0,40}",
                secret in prop_oneof![".{0,80}", "[:%&=+ ]{0,10}"],
            ) {
                let read = basic_credentials(&headers(Some(basic(&scheme, &id, &secret))));
                prop_assert_eq!(read.unwrap(), Some((id, secret)));
            }

            #[test]
            fn only_the_registered_client_with_the_configured_secret_passes(
                scheme in scheme(),
                id in prop_oneof![Just(CLIENT_ID.to_owned()), ".{0,20}"],
                secret in prop_oneof![Just(SECRET.to_owned()), ".{0,30}"],
                body_id in proptest::option::of(prop_oneof![Just(CLIENT_ID.to_owned()), ".{1,20}"]),
                in_body in any::<bool>(),
            ) {
                let mut form = form_urlencoded::Serializer::new(String::new());
                if let Some(body_id) = &body_id {
                    form.append_pair("client_id", body_id);
                }
                let (header, params) = if in_body {
                    form.append_pair("client_secret", &secret);
                    (headers(None), Params::parse(form.finish().as_bytes()))
                } else {
                    (headers(Some(basic(&scheme, &id, &secret))), Params::parse(form.finish().as_bytes()))
                };
                let claimed = if in_body { body_id.as_deref() } else { Some(id.as_str()) };
                let body_agrees = in_body || body_id.as_deref().is_none_or(|b| b == id);
                let passes = claimed == Some(CLIENT_ID) && body_agrees && secret == SECRET;
                match authenticate(&header, &params, Some(SECRET)) {
                    Ok(client) => {
                        prop_assert!(passes);
                        prop_assert_eq!(client.as_str(), CLIENT_ID);
                    }
                    Err(error) => {
                        prop_assert!(!passes, "{:?}", error);
                        prop_assert_eq!(error.code, ErrorCode::InvalidClient);
                    }
                }
            }
        }
    }
}
