//! `POST /par`: pushed authorization requests (RFC 9126) as the endpoint takes them; the
//! requests themselves are kept in [`PushedRequests`](crate::authorization::par::PushedRequests).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use url::form_urlencoded;

use crate::authorization::client;
use crate::authorization::client_auth;
use crate::authorization::oauth_error::OAuthError;
use crate::authorization::token::form_params;
use crate::shared::provider::AppState;
use crate::test_machinery::machinery::{Count, FaultTarget};

/// `POST /par`.
pub(crate) async fn push(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    app.counters.bump(Count::PushedAuthorizationRequests);
    if let Some(fault) = app.faults.take(FaultTarget::PushedAuthorization) {
        return fault.answer(&app).await;
    }
    match accept(&app, &headers, &body) {
        Ok(request_uri) => {
            let mut response = (
                StatusCode::CREATED,
                Json(json!({
                    "request_uri": request_uri,
                    "expires_in": app.pushed.lifetime.as_secs(),
                })),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

fn accept(app: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<String, OAuthError> {
    let params = form_params(headers, body)?;
    let client_id = client_auth::authenticate(headers, &params, app.client_secret.as_deref())?;
    if params.get("request_uri").is_some() {
        return Err(OAuthError::invalid_request(
            "request_uri may not be pushed (RFC 9126 §2.1)",
        ));
    }
    if !params
        .get("redirect_uri")
        .is_some_and(client::is_registered_redirect_uri)
    {
        return Err(OAuthError::invalid_request(
            "redirect_uri is missing or not registered",
        ));
    }
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("client_id", &client_id);
    for (name, value) in params.single_valued() {
        if !matches!(name, "client_id" | "client_secret") {
            form.append_pair(name, value);
        }
    }
    Ok(app.pushed.insert(client_id, form.finish()))
}
