//! The userinfo endpoint: who the token's demo account is.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

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
    let grant = match bearer::require(&app, &uri, &headers, scope::PROFILE) {
        Ok(grant) => grant,
        Err(refusal) => return refusal.into_response(),
    };
    let mut response = Json(json!({
        "sub": grant.account.subject(),
        "name": grant.account.name(),
        "email": grant.account.email(),
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
