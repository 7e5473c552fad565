//! Test controls over HTTP, for tests that run the provider as a separate process
//! ([`Config::test_controls`](crate::Config::test_controls), the binary's `--test-controls`).
//! Without that setting these routes do not exist and answer 404.
//!
//! - `POST {issuer}/_test/faults` with `Content-Type: application/json` and a body
//!   `{"faults":[…]}` (each element an [`InjectedFault`] in its JSON form) replaces the armed
//!   faults: `204`, or `400`/`422` with a plain-text reason (nothing changes then), or `415`
//!   without the JSON content type.
//! - `DELETE {issuer}/_test/faults` disarms every fault: `204`.
//! - `GET {issuer}/_test/stats` answers the [`Stats`](crate::Stats) as JSON.
//!
//! Like every route they check `Host`. A web page cannot use them across sites: a JSON body
//! and `DELETE` both need a CORS preflight, which the provider never grants, and without CORS
//! headers no page can read the stats.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::faults::InjectedFault;
use crate::server::AppState;

/// The body of `POST /_test/faults`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultsRequest {
    faults: Vec<InjectedFault>,
}

/// `POST /_test/faults`.
pub(crate) async fn set_faults(
    State(app): State<AppState>,
    Json(request): Json<FaultsRequest>,
) -> Response {
    match app.faults.set(request.faults) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, format!("{error}\n")).into_response(),
    }
}

/// `DELETE /_test/faults`.
pub(crate) async fn clear_faults(State(app): State<AppState>) -> StatusCode {
    app.faults.clear();
    StatusCode::NO_CONTENT
}

/// `GET /_test/stats`.
pub(crate) async fn stats(State(app): State<AppState>) -> Response {
    let mut response = Json(app.counters.snapshot()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
