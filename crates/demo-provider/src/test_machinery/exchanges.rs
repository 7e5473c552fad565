//! The exchange log, a test control ([`Config::record_exchanges`](crate::Config::record_exchanges),
//! the binary's `--record-exchanges`): the provider keeps the last [`MAX_EXCHANGES`] requests
//! and answers in plain text and serves them at `GET {issuer}/_test/exchanges`.
//!
//! The provider itself keeps only hashes of what it issues. A leak test needs the values: the
//! authorization codes, verifiers, access, refresh and ID tokens, `request_uri`s and nonces, and
//! the DPoP proofs a client sent, every one of them, including those that only ever travelled
//! between the client and the provider. A relay in front of the provider cannot see them all
//! once the client discovers the provider's endpoints, so the provider writes them down.
//!
//! Recording buffers every request and answer whole, which would change how faults that stream
//! or hang behave; that is why it is a setting of its own, off unless asked for. The log's own
//! route and the other test controls are not recorded.
//!
//! `GET {issuer}/_test/exchanges` answers `{"exchanges":[…],"dropped":N}`: each exchange has
//! `method`, `target` (path and query), `request_headers` and `response_headers` (`[name,
//! value]` pairs, names in lower case), `request_body`, `status` and `response_body` (bodies as
//! UTF-8 text, invalid bytes replaced; image bodies left out), oldest first; `dropped` counts the
//! exchanges forgotten because the log was full.
//!
//! Part of the test machinery: compiled only with the `test-machinery` feature.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::shared::sync::lock;

/// How many exchanges the log keeps; older ones are dropped (and counted).
pub const MAX_EXCHANGES: usize = 4096;
/// Request bodies larger than this are refused while recording (the provider's own limits are
/// far below).
const MAX_REQUEST_BODY_BYTES: usize = 1024 * 1024;
/// The path segment of the test controls, which are not recorded.
const TEST_CONTROLS_SEGMENT: &str = "/_test/";

/// One request and its answer, as text.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Exchange {
    method: String,
    target: String,
    request_headers: Vec<(String, String)>,
    request_body: String,
    status: u16,
    response_headers: Vec<(String, String)>,
    response_body: String,
}

#[derive(Default)]
struct Entries {
    exchanges: VecDeque<Exchange>,
    dropped: u64,
}

/// The bounded log behind `GET /_test/exchanges`.
#[derive(Default)]
pub(crate) struct ExchangeLog {
    entries: Mutex<Entries>,
}

impl ExchangeLog {
    fn push(&self, exchange: Exchange) {
        let mut entries = lock(&self.entries);
        if entries.exchanges.len() == MAX_EXCHANGES {
            entries.exchanges.pop_front();
            entries.dropped += 1;
        }
        entries.exchanges.push_back(exchange);
    }
}

/// `GET /_test/exchanges`.
pub(crate) async fn exchanges(State(log): State<Arc<ExchangeLog>>) -> Response {
    #[derive(Serialize)]
    struct Answer {
        exchanges: Vec<Exchange>,
        dropped: u64,
    }
    let answer = {
        let entries = lock(&log.entries);
        Answer {
            exchanges: entries.exchanges.iter().cloned().collect(),
            dropped: entries.dropped,
        }
    };
    let mut response = Json(answer).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Middleware: passes the request on and writes it and its answer into the log.
pub(crate) async fn record(
    State(log): State<Arc<ExchangeLog>>,
    request: Request,
    next: Next,
) -> Response {
    let target = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    if target.contains(TEST_CONTROLS_SEGMENT) {
        return next.run(request).await;
    }
    let method = request.method().to_string();
    let request_headers = pairs(request.headers());
    let (parts, body) = request.into_parts();
    let Ok(request_body) = to_bytes(body, MAX_REQUEST_BODY_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "Request body too large.\n").into_response();
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(request_body.clone())))
        .await;

    let (parts, body) = response.into_parts();
    // Recording is not meant for faults that break a body on purpose (see above): such a body
    // is recorded, and passed on, as empty.
    let response_body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let is_image = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("image/"));
    log.push(Exchange {
        method,
        target,
        request_headers,
        request_body: String::from_utf8_lossy(&request_body).into_owned(),
        status: parts.status.as_u16(),
        response_headers: pairs(&parts.headers),
        response_body: if is_image {
            String::new()
        } else {
            String::from_utf8_lossy(&response_body).into_owned()
        },
    });
    Response::from_parts(parts, Body::from(response_body))
}

fn pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}
