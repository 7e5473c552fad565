//! Bearer token checks for the protected resources (RFC 6750).

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::grants::AccessGrant;
use crate::scope;
use crate::server::AppState;
use crate::stats::bump;

/// Why a protected resource refused a request.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// 401: the token is missing, unknown, expired or revoked.
    InvalidToken,
    /// 403: the token does not grant this scope.
    InsufficientScope(&'static str),
}

/// The grant behind the request's bearer token, if it allows `required_scope`.
pub(crate) fn require(
    app: &AppState,
    headers: &HeaderMap,
    required_scope: &'static str,
) -> Result<AccessGrant, Refusal> {
    let grant = bearer_token(headers).and_then(|token| app.grants.authenticate(token));
    let Some(grant) = grant else {
        bump(&app.counters.unauthorized_requests);
        return Err(Refusal::InvalidToken);
    };
    if !scope::contains(&grant.scope, required_scope) {
        return Err(Refusal::InsufficientScope(required_scope));
    }
    Ok(grant)
}

/// The token of a single `Authorization: Bearer <token>` header.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, error, description, scope) = match self {
            Self::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the access token is missing, expired or revoked",
                None,
            ),
            Self::InsufficientScope(scope) => (
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "the access token does not grant this",
                Some(scope),
            ),
        };
        let mut challenge = format!(
            "Bearer realm=\"Demo Photos\", error=\"{error}\", error_description=\"{description}\""
        );
        if let Some(scope) = scope {
            challenge.push_str(&format!(", scope=\"{scope}\""));
        }
        let mut response = (
            status,
            Json(json!({ "error": error, "error_description": description })),
        )
            .into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
