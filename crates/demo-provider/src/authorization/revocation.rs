//! The revocation endpoint (RFC 7009). Revoking either token of a grant ends the whole grant.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::authorization::client_auth;
use crate::authorization::oauth_error::OAuthError;
use crate::authorization::proofs;
use crate::authorization::token::form_params;
use crate::shared::provider::AppState;
use crate::test_machinery::machinery::Count;

/// `POST /revoke`: 200 for every valid request, whether or not the token was known.
pub(crate) async fn revoke(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = match revoke_token(&app, &headers, &body) {
        Ok(()) => {
            app.counters.bump(Count::RevocationRequests);
            (
                StatusCode::OK,
                [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            )
                .into_response()
        }
        Err(error) => error.into_response(),
    };
    proofs::add_nonce(&app, &mut response);
    response
}

fn revoke_token(app: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    let params = form_params(headers, body)?;
    let client_id = client_auth::authenticate(headers, &params, app.client_secret.as_deref())?;
    proofs::endpoint_proof(app, headers, &app.endpoints.revocation)?;
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    app.grants.revoke(token, &client_id)
}
