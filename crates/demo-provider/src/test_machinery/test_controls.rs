//! Test controls over HTTP, for tests that run the provider as a separate process
//! ([`Config::test_controls`](crate::Config::test_controls), the binary's `--test-controls`),
//! and the exchange log's route and recorder ([`Config::record_exchanges`](crate::Config::record_exchanges)).
//! Without those settings these routes do not exist and answer 404; without the
//! `test-machinery` feature this module is not compiled and the settings are refused.
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

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use serde::Deserialize;

use crate::shared::config::Config;
use crate::shared::provider::AppState;
use crate::test_machinery::exchanges::{self, ExchangeLog};
use crate::test_machinery::faults::InjectedFault;

/// `router` with the test routes `config` asks for, under its issuer path, and, with
/// [`Config::record_exchanges`], the recorder around every route.
pub(crate) fn add_test_routes(router: Router, config: &Config, app: &AppState) -> Router {
    let prefix = &config.issuer_path;
    let mut router = router;
    if config.test_controls {
        router = router.merge(
            Router::new()
                .route(
                    &format!("{prefix}/_test/faults"),
                    post(set_faults).delete(clear_faults),
                )
                .route(&format!("{prefix}/_test/stats"), get(stats))
                .with_state(app.clone()),
        );
    }
    if config.record_exchanges {
        let log = Arc::new(ExchangeLog::default());
        router = router
            .merge(
                Router::new()
                    .route(
                        &format!("{prefix}/_test/exchanges"),
                        get(exchanges::exchanges),
                    )
                    .with_state(log.clone()),
            )
            .layer(middleware::from_fn_with_state(log, exchanges::record));
    }
    router
}

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
