//! A fixture of the Google Photos Picker API v1 as PhotoLink's `google-photos-picker` source
//! uses it: picking sessions, the picker page a person chooses photos on, the picked media
//! items, and their base URLs. From Google's documentation:
//!
//! - [`sessions.create`](https://developers.google.com/photos/picker/reference/rest/v1/sessions/create):
//!   `POST /v1/sessions` (body: a `PickingSession`, all of it optional, such as
//!   `{"pickingConfig": {"maxItemCount": "…"}}`) answers a new
//!   [`PickingSession`](https://developers.google.com/photos/picker/reference/rest/v1/sessions#PickingSession):
//!   `{"id", "pickerUri", "pollingConfig": {"pollInterval", "timeoutIn"}, "expireTime",
//!   "mediaItemsSet": false}`. `pollInterval` and `timeoutIn` are
//!   [`Duration`](https://protobuf.dev/reference/protobuf/google.protobuf/#duration)s written as
//!   seconds with an `s` (`"5s"`, `"1.5s"`); `expireTime` is RFC 3339. Once the person pressed
//!   **Done**, the `pickerUri` no longer works.
//! - [`sessions.get`](https://developers.google.com/photos/picker/reference/rest/v1/sessions/get):
//!   `GET /v1/sessions/{sessionId}` answers the session, `mediaItemsSet` true once the person
//!   has picked. [`sessions.delete`](https://developers.google.com/photos/picker/reference/rest/v1/sessions/delete):
//!   `DELETE /v1/sessions/{sessionId}` answers `{}`; Google recommends deleting every session
//!   once its items are read ([sessions guide](https://developers.google.com/photos/picker/guides/sessions)).
//! - [`mediaItems.list`](https://developers.google.com/photos/picker/reference/rest/v1/mediaItems/list):
//!   `GET /v1/mediaItems?sessionId=…&pageSize=…&pageToken=…` answers
//!   `{"mediaItems": [PickedMediaItem…], "nextPageToken"?}` (`pageSize` at most 25 when not
//!   given, values above 100 taken as 100), and 400 `FAILED_PRECONDITION` before the person
//!   has picked.
//! - A [`PickedMediaItem`](https://developers.google.com/photos/picker/reference/rest/v1/mediaItems#PickedMediaItem)
//!   is `{"id", "createTime", "type": "PHOTO"|"VIDEO", "mediaFile": {"baseUrl", "mimeType",
//!   "filename", "mediaFileMetadata": {"width", "height", "cameraMake", "cameraModel",
//!   "photoMetadata"…}}}`.
//! - [Base URLs](https://developers.google.com/photos/picker/guides/media-items#base-urls):
//!   fetched with the OAuth token in the `Authorization` header, with size parameters
//!   appended: `=w{width}-h{height}` (fitted within them) or `=d` (the image as stored, with
//!   its metadata). They last 60 minutes. Here they are on the content server, which answers a
//!   base URL with the account's Bearer token, 401 to another token, 403 to a request without
//!   one and to an expired base URL ([`Fixture::expire_base_urls`]), and 400 to one without
//!   size parameters.
//! - [Errors](https://cloud.google.com/apis/design/errors#http_mapping):
//!   `{"error": {"code", "message", "status"}}`, `status` the canonical code (`NOT_FOUND`,
//!   `FAILED_PRECONDITION`, `UNAUTHENTICATED`, `RESOURCE_EXHAUSTED`, …).
//!
//! The picker page, the session's `pickerUri` (on the content server: Google's is on another
//! origin than the API too), is a form listing the account's photos `p1`, `p2`, … as check
//! boxes and a **Done** button; submitting it sets the session's items and says the window
//! may be closed. A `pickerUri` with `/autoclose` appended (what Google documents for closing
//! the picker after **Done**) is the same page. Only what is documented is served; the real
//! picker's looks and steps are not imitated.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::pictures::{STORED, Size};
use crate::{
    Credentials, ErrorBodies, Fixture, SERVER_MESSAGE, Shared, lock, page_start, target,
    with_google_challenge,
};

/// `pageSize` of `mediaItems.list` when not given, and the most it serves.
const DEFAULT_PAGE_SIZE: usize = 25;
const MAX_PAGE_SIZE: usize = 100;
/// Page tokens are opaque to clients; here the offset behind a prefix.
const PAGE_TOKEN_PREFIX: &str = "picked~";
/// The `pollingConfig` of a new session, unless a test set another ([`Fixture::set_polling`]).
const POLL_INTERVAL: &str = "1s";
const TIMEOUT_IN: &str = "1800s";
/// The `expireTime` of sessions, unless a test set another ([`Fixture::set_expire_time`]).
const EXPIRE_TIME: &str = "2099-01-01T00:00:00Z";

/// The picking sessions of the account, and how base URLs are handed out.
#[derive(Default)]
pub(crate) struct Picker {
    sessions: HashMap<String, PickingSession>,
    /// Sessions ever created, for their ids.
    created: usize,
    /// Base URLs carry the generation they were handed out in; older ones are expired.
    generation: usize,
    /// `pollingConfig` for new sessions: `pollInterval`, `timeoutIn`.
    polling: Option<(String, String)>,
    /// Sessions' `expireTime`, unless [`EXPIRE_TIME`].
    expire_time: Option<String>,
    /// How many `sessions.delete` requests deleted a session.
    deleted: usize,
}

struct PickingSession {
    /// The photos picked (their indexes), once the person pressed Done.
    picked: Option<Vec<usize>>,
}

pub(crate) fn api_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/sessions", axum::routing::post(create_session))
        .route("/v1/sessions/{id}", get(session).delete(session))
        .route("/v1/mediaItems", get(list_media_items))
        .fallback(not_found)
}

pub(crate) fn content_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/picker/{id}", get(picker_page).post(picked))
        .route("/picker/{id}/autoclose", get(picker_page).post(picked))
        .route("/media/{generation}/{item}", get(base_url))
}

impl Fixture {
    /// Every base URL handed out so far expires (as each does 60 minutes after it was listed).
    pub fn expire_base_urls(&self) {
        lock(&self.state.picker).generation += 1;
    }

    /// Every picking session ends (as each does at its `expireTime`): getting, listing or
    /// deleting it answers 404 `NOT_FOUND`.
    pub fn expire_picking_sessions(&self) {
        lock(&self.state.picker).sessions.clear();
    }

    /// New sessions' `pollingConfig`: `pollInterval` and `timeoutIn`, as Duration strings.
    pub fn set_polling(&self, poll_interval: &str, timeout_in: &str) {
        lock(&self.state.picker).polling = Some((poll_interval.into(), timeout_in.into()));
    }

    /// Sessions' `expireTime` from now on (RFC 3339); the sessions still work until
    /// [`expire_picking_sessions`](Self::expire_picking_sessions).
    pub fn set_expire_time(&self, expire_time: &str) {
        lock(&self.state.picker).expire_time = Some(expire_time.into());
    }

    /// How many picking sessions exist (created, not deleted, not expired).
    pub fn picking_sessions(&self) -> usize {
        lock(&self.state.picker).sessions.len()
    }

    /// How many sessions `sessions.delete` deleted.
    pub fn picking_sessions_deleted(&self) -> usize {
        lock(&self.state.picker).deleted
    }
}

struct Errors;

impl ErrorBodies for Errors {
    fn unauthorized(&self) -> Response {
        with_google_challenge(error(StatusCode::UNAUTHORIZED))
    }

    fn throttled(&self) -> Response {
        error(StatusCode::TOO_MANY_REQUESTS)
    }

    fn refused(&self, status: u16) -> Response {
        error(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
    }
}

/// Google's error body for `status`, with the canonical code it maps to.
fn error(status: StatusCode) -> Response {
    let code = match status.as_u16() {
        400 => "FAILED_PRECONDITION",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ => "INTERNAL",
    };
    let body = json!({
        "error": {"code": status.as_u16(), "message": SERVER_MESSAGE, "status": code}
    });
    (status, axum::Json(body)).into_response()
}

async fn not_found() -> Response {
    Errors.refused(404)
}

/// The session `id` as `sessions.get` answers it.
fn session_resource(state: &Shared, picker: &Picker, id: &str) -> Value {
    let (interval, timeout) = picker
        .polling
        .clone()
        .unwrap_or_else(|| (POLL_INTERVAL.into(), TIMEOUT_IN.into()));
    let set = picker
        .sessions
        .get(id)
        .is_some_and(|session| session.picked.is_some());
    json!({
        "id": id,
        "pickerUri": format!("{}/picker/{id}", state.content_base),
        "pollingConfig": {"pollInterval": interval, "timeoutIn": timeout},
        "expireTime": picker.expire_time.as_deref().unwrap_or(EXPIRE_TIME),
        "mediaItemsSet": set,
    })
}

async fn create_session(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = state.check_api_request(target(&uri), &headers, &Errors) {
        return refusal;
    }
    // The body is a PickingSession, every field optional; it must be JSON if there is one.
    if !body.is_empty() && serde_json::from_slice::<Value>(&body).is_err() {
        return error(StatusCode::BAD_REQUEST);
    }
    let mut picker = lock(&state.picker);
    picker.created += 1;
    let id = format!("session-{}", picker.created);
    picker
        .sessions
        .insert(id.clone(), PickingSession { picked: None });
    axum::Json(session_resource(&state, &picker, &id)).into_response()
}

/// `sessions.get` and `sessions.delete`.
async fn session(
    State(state): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refusal) = state.check_api_request(target(&uri), &headers, &Errors) {
        return refusal;
    }
    let mut picker = lock(&state.picker);
    if !picker.sessions.contains_key(&id) {
        return Errors.refused(404);
    }
    if method == Method::DELETE {
        picker.sessions.remove(&id);
        picker.deleted += 1;
        return axum::Json(json!({})).into_response();
    }
    axum::Json(session_resource(&state, &picker, &id)).into_response()
}

async fn list_media_items(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = state.check_api_request(target(&uri), &headers, &Errors) {
        return refusal;
    }
    let page_size = match query.get("pageSize").map(|size| size.parse::<usize>()) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(size)) if size >= 1 => size.min(MAX_PAGE_SIZE),
        Some(_) => return Errors.refused(400),
    };
    let Some(start) = page_start(query.get("pageToken"), PAGE_TOKEN_PREFIX) else {
        return Errors.refused(400);
    };
    let picker = lock(&state.picker);
    let Some(session) = query
        .get("sessionId")
        .and_then(|id| picker.sessions.get(id))
    else {
        return Errors.refused(404);
    };
    // Before the person pressed Done: FAILED_PRECONDITION, poll sessions.get first.
    let Some(picked) = &session.picked else {
        return Errors.refused(400);
    };
    let end = (start + page_size).min(picked.len());
    let items: Vec<Value> = picked[start.min(end)..end]
        .iter()
        .map(|&index| media_item(&state, picker.generation, index))
        .collect();
    let mut body = json!({"mediaItems": items});
    if end < picked.len() {
        body["nextPageToken"] = json!(format!("{PAGE_TOKEN_PREFIX}{end}"));
    }
    axum::Json(body).into_response()
}

/// Photo `p{index}` as a PickedMediaItem, its base URL of `generation`.
fn media_item(state: &Shared, generation: usize, index: usize) -> Value {
    let links = lock(&state.links_base).clone();
    json!({
        "id": format!("p{index}"),
        "createTime": format!("2024-01-{:02}T10:00:00Z", index % 28 + 1),
        "type": "PHOTO",
        "mediaFile": {
            "baseUrl": format!("{links}/media/{generation}/p{index}"),
            "mimeType": "image/png",
            "filename": format!("Photo {index}.png"),
            "mediaFileMetadata": {
                "width": STORED.0,
                "height": STORED.1,
                "cameraMake": "Fixture",
                "cameraModel": "One",
                "photoMetadata": {"focalLength": 4.2, "apertureFNumber": 1.8, "isoEquivalent": 100},
            },
        },
    })
}

/// The picker page: the account's photos as check boxes, and Done.
async fn picker_page(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    state.record(true, target(&uri), &headers);
    let open = lock(&state.picker)
        .sessions
        .get(&id)
        .is_some_and(|session| session.picked.is_none());
    if !open {
        return (
            StatusCode::NOT_FOUND,
            Html("<!doctype html><title>Google Photos</title><p>This link no longer works.</p>"),
        )
            .into_response();
    }
    let boxes: String = (1..=state.photos)
        .map(|index| {
            format!(
                "<li><label><input type=\"checkbox\" name=\"item\" value=\"p{index}\"> Photo {index}</label></li>"
            )
        })
        .collect();
    Html(format!(
        "<!doctype html><html><head><title>Google Photos: choose photos</title></head><body>\
         <h1>Choose photos (fixture)</h1>\
         <form method=\"post\"><ul>{boxes}</ul><button type=\"submit\">Done</button></form>\
         </body></html>"
    ))
    .into_response()
}

/// Done: the checked photos become the session's items.
async fn picked(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    state.record(true, target(&uri), &headers);
    let mut chosen = Vec::new();
    for (name, value) in url::form_urlencoded::parse(&body) {
        let index = value
            .strip_prefix('p')
            .and_then(|index| index.parse::<usize>().ok())
            .filter(|index| (1..=state.photos).contains(index));
        match (name.as_ref(), index) {
            ("item", Some(index)) if !chosen.contains(&index) => chosen.push(index),
            ("item", Some(_)) => {}
            ("item", None) => return StatusCode::BAD_REQUEST.into_response(),
            _ => {}
        }
    }
    let mut picker = lock(&state.picker);
    match picker.sessions.get_mut(&id) {
        Some(session) if session.picked.is_none() => session.picked = Some(chosen),
        _ => return StatusCode::NOT_FOUND.into_response(),
    }
    Html(
        "<!doctype html><title>Google Photos</title>\
         <p>Done. You can close this window and return to the app.</p>",
    )
    .into_response()
}

/// A base URL with its size parameters: `p{index}=w{W}-h{H}` (the thumbnail, here) or
/// `p{index}=d` (the image as stored).
async fn base_url(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path((generation, item)): Path<(usize, String)>,
) -> Response {
    let credentials = state.check_credentialed_content_request(target(&uri), &headers);
    let (id, parameters) = item.split_once('=').unwrap_or((item.as_str(), ""));
    let index = id
        .strip_prefix('p')
        .and_then(|index| index.parse::<usize>().ok())
        .filter(|index| (1..=state.photos).contains(index));
    if index.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    match credentials {
        Credentials::Invalid => return Errors.unauthorized(),
        Credentials::None => return StatusCode::FORBIDDEN.into_response(),
        Credentials::Valid => {}
    }
    if generation != lock(&state.picker).generation {
        return StatusCode::FORBIDDEN.into_response();
    }
    match size_parameters(parameters) {
        Some(size) => state.picture(id, size),
        None => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// The documented image parameters after a base URL's `=`: `d` (the image as stored), or
/// `w{W}-h{H}` with both sizes positive (fitted within them; with `-c`, cropped to them).
fn size_parameters(parameters: &str) -> Option<Size> {
    if parameters == "d" {
        return Some(Size::Stored);
    }
    let mut parts = parameters.split('-');
    let width = parts.next()?.strip_prefix('w')?.parse::<u32>().ok()?;
    let height = parts.next()?.strip_prefix('h')?.parse::<u32>().ok()?;
    let rest: Vec<_> = parts.collect();
    if width == 0 || height == 0 {
        return None;
    }
    match rest[..] {
        [] => Some(Size::Within(width, height)),
        ["c"] => Some(Size::Exactly(width, height)),
        _ => None,
    }
}
