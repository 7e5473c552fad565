//! The token endpoint: `authorization_code` and `refresh_token` grants (RFC 6749 §4.1.3, §6).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::authorization::client_auth;
use crate::authorization::grants::{CodeExchange, IssuedTokens};
use crate::authorization::oauth_error::{ErrorCode, OAuthError};
use crate::authorization::proofs;
use crate::shared::params::Params;
use crate::shared::provider::AppState;
use crate::shared::secrets::is_pkce_value;
use crate::test_machinery::machinery::{Count, FaultTarget};

/// `POST /token`.
pub(crate) async fn token(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    app.counters.bump(Count::TokenRequests);
    if let Some(fault) = app.faults.take(FaultTarget::Token) {
        if fault.does_the_work() && grant(&app, &headers, &body).is_err() {
            app.counters.bump(Count::TokenErrors);
        }
        return fault.answer(&app).await;
    }
    let mut response = match grant(&app, &headers, &body) {
        Ok(tokens) => success(&app, tokens),
        Err(error) => {
            app.counters.bump(Count::TokenErrors);
            error.into_response()
        }
    };
    proofs::add_nonce(&app, &mut response);
    response
}

fn grant(app: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<IssuedTokens, OAuthError> {
    let params = form_params(headers, body)?;
    let client_id = client_auth::authenticate(headers, &params, app.client_secret.as_deref())?;
    // Before the grant is looked at: a refused proof spends no code and rotates no token.
    let dpop_jkt = proofs::endpoint_proof(app, headers, &app.endpoints.token)?;
    let dpop_jkt = dpop_jkt.as_deref();
    match params.get("grant_type") {
        Some("authorization_code") => {
            let code = required(&params, "code")?;
            let redirect_uri = required(&params, "redirect_uri")?;
            let code_verifier = required(&params, "code_verifier")?;
            if !is_pkce_value(code_verifier) {
                return Err(OAuthError::invalid_request(
                    "code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~",
                ));
            }
            app.grants.exchange_code(CodeExchange {
                code,
                client_id: &client_id,
                redirect_uri,
                code_verifier,
                dpop_jkt,
            })
        }
        Some("refresh_token") => {
            let refresh_token = required(&params, "refresh_token")?;
            app.counters.record_refresh_token_presented(refresh_token);
            app.grants
                .refresh(refresh_token, &client_id, params.get("scope"), dpop_jkt)
        }
        Some(other) => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!(
                "grant_type {other:?} is not supported; use authorization_code or refresh_token"
            ),
        )),
        None => Err(OAuthError::invalid_request("grant_type is required")),
    }
}

/// The parameters of a form-encoded POST body, with no parameter repeated.
pub(crate) fn form_params(headers: &HeaderMap, body: &[u8]) -> Result<Params, OAuthError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let params = Params::parse(body);
    if let Some(name) = params.first_repeated() {
        return Err(OAuthError::invalid_request(format!(
            "parameter {name} is repeated"
        )));
    }
    Ok(params)
}

fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, OAuthError> {
    params
        .get(name)
        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
}

fn success(app: &AppState, tokens: IssuedTokens) -> Response {
    let mut body = Map::new();
    body.insert("access_token".into(), tokens.access_token.into());
    let token_type = if tokens.jkt.is_some() {
        "DPoP"
    } else {
        "Bearer"
    };
    body.insert("token_type".into(), token_type.into());
    body.insert(app.expiry_field.name().into(), tokens.expires_in.into());
    body.insert("refresh_token".into(), tokens.refresh_token.into());
    body.insert("scope".into(), tokens.scope.into());
    if let Some(sign_in) = &tokens.openid {
        body.insert(
            "id_token".into(),
            app.id_tokens.issue(&app.issuer, sign_in).into(),
        );
        app.counters.bump(Count::IdTokensIssued);
    }
    let mut response = Json(Value::Object(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
