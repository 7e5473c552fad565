//! The userinfo endpoint: who the demo account is.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::authorization::account;
use crate::authorization::bearer;
use crate::authorization::scope;
use crate::shared::provider::AppState;
use crate::test_machinery::machinery::{Count, FaultTarget};

/// `GET /userinfo` with a Bearer token that grants `profile`.
pub(crate) async fn userinfo(
    State(app): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    app.counters.bump(Count::UserinfoRequests);
    if let Some(fault) = app.faults.take(FaultTarget::Userinfo) {
        return fault.answer(&app).await;
    }
    if let Err(refusal) = bearer::require(&app, &uri, &headers, scope::PROFILE) {
        return refusal.into_response();
    }
    let mut response = Json(json!({
        "sub": account::SUBJECT,
        "name": account::NAME,
        "email": account::EMAIL,
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
