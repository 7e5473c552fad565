//! A fixture of the Google Drive API v3 as PhotoLink's `google-drive` source uses it: images
//! listed with `files.list`, their content with `alt=media`, and thumbnail links. From Google's
//! documentation:
//!
//! - [`files.list`](https://developers.google.com/drive/api/reference/rest/v3/files/list):
//!   `GET /drive/v3/files` with `q`, `pageSize` (1–1000, default 100), `pageToken`, `fields`
//!   ([return specific fields](https://developers.google.com/drive/api/guides/fields-parameter):
//!   without `fields` only `kind`, `id`, `name` and `mimeType` of each file come back) answers
//!   `{"kind": "drive#fileList", "files": [file…], "nextPageToken"?}`. The fixture understands
//!   one query, `mimeType contains 'image/' and trashed=false`
//!   ([search for files](https://developers.google.com/drive/api/guides/search-files)); any
//!   other is a 400 `badRequest`.
//! - A [file](https://developers.google.com/drive/api/reference/rest/v3/files) has `id`, `name`,
//!   `mimeType`, `createdTime`, `size` (bytes, an int64 written as a decimal string), `imageMediaMetadata` (`width`, `height`, `time` in EXIF form)
//!   and `thumbnailLink`, "a short-lived link"; for a file not shared publicly it "must be
//!   fetched using a credentialed request". Here the links are on the content server: those of
//!   the even photos (`p2`, `p4`, …, "not shared") answer 403 to a request without credentials,
//!   every link answers a request with the account's Bearer token, and one with another token
//!   answers 401.
//! - [Downloads](https://developers.google.com/drive/api/guides/manage-downloads):
//!   `GET /drive/v3/files/{id}?alt=media` with the Bearer token answers the content.
//! - [Errors](https://developers.google.com/drive/api/guides/handle-errors):
//!   `{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}`; 401
//!   `authError` with `WWW-Authenticate: Bearer … error="invalid_token"`, 403
//!   `userRateLimitExceeded`, 404 `notFound`, 429 `rateLimitExceeded` with `Retry-After`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::pictures::{STORED, Size};
use crate::{
    Credentials, ErrorBodies, SERVER_MESSAGE, Shared, page_start, target, with_google_challenge,
};

/// The one `q` the fixture understands.
pub const IMAGES_QUERY: &str = "mimeType contains 'image/' and trashed=false";
const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 1000;
/// Page tokens are opaque to clients; here the offset behind a prefix.
const PAGE_TOKEN_PREFIX: &str = "fixture~";

pub(crate) fn api_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/drive/v3/files", get(list))
        .route("/drive/v3/files/{id}", get(file))
        .fallback(not_found)
}

pub(crate) fn content_routes() -> Router<Arc<Shared>> {
    Router::new().route("/thumbnail/{link}", get(thumbnail))
}

struct Drive;

impl ErrorBodies for Drive {
    fn unauthorized(&self) -> Response {
        with_google_challenge(error(StatusCode::UNAUTHORIZED, "global", "authError"))
    }

    fn throttled(&self) -> Response {
        error(
            StatusCode::TOO_MANY_REQUESTS,
            "usageLimits",
            "rateLimitExceeded",
        )
    }

    fn refused(&self, status: u16) -> Response {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (domain, reason) = match status.as_u16() {
            400 => ("global", "badRequest"),
            403 => ("usageLimits", "userRateLimitExceeded"),
            404 => ("global", "notFound"),
            _ => ("global", "backendError"),
        };
        error(status, domain, reason)
    }
}

fn error(status: StatusCode, domain: &str, reason: &str) -> Response {
    let body = json!({
        "error": {
            "code": status.as_u16(),
            "message": SERVER_MESSAGE,
            "errors": [{"domain": domain, "reason": reason, "message": SERVER_MESSAGE}],
        }
    });
    (status, axum::Json(body)).into_response()
}

async fn not_found() -> Response {
    Drive.refused(404)
}

async fn list(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = state.check_api_request(target(&uri), &headers, &Drive) {
        return refusal;
    }
    if query.get("q").map(String::as_str) != Some(IMAGES_QUERY) {
        return Drive.refused(400);
    }
    let page_size = match query.get("pageSize").map(|size| size.parse::<usize>()) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(size)) if (1..=MAX_PAGE_SIZE).contains(&size) => size,
        Some(_) => return Drive.refused(400),
    };
    let Some(start) = page_start(query.get("pageToken"), PAGE_TOKEN_PREFIX) else {
        return Drive.refused(400);
    };
    let all_fields = query.contains_key("fields");
    let end = (start + page_size).min(state.photos);
    let files: Vec<Value> = (start..end)
        .map(|offset| file_resource(&state, offset + 1, all_fields))
        .collect();
    let mut body = json!({"kind": "drive#fileList", "incompleteSearch": false, "files": files});
    if end < state.photos {
        body["nextPageToken"] = json!(format!("{PAGE_TOKEN_PREFIX}{end}"));
    }
    axum::Json(body).into_response()
}

/// Photo `p{index}` as a file resource: every field PhotoLink asks for, or the default few.
fn file_resource(state: &Shared, index: usize, all_fields: bool) -> Value {
    let id = format!("p{index}");
    let mut file = json!({
        "kind": "drive#file",
        "id": id,
        "name": format!("Photo {index}.png"),
        "mimeType": "image/png",
    });
    if all_fields {
        file["createdTime"] = json!("2024-02-01T00:00:00.000Z");
        // An int64, which Google's APIs write as a decimal string.
        file["size"] = json!((2_000_000 + index).to_string());
        file["thumbnailLink"] = json!(format!("{}/thumbnail/{id}=s220", state.content_base));
        file["imageMediaMetadata"] = json!({
            "width": STORED.0,
            "height": STORED.1,
            "time": format!("2024:01:{:02} 10:00:00", index % 28 + 1),
        });
    }
    file
}

async fn file(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = state.check_api_request(target(&uri), &headers, &Drive) {
        return refusal;
    }
    let Some(index) = photo_index(&state, &id) else {
        return Drive.refused(404);
    };
    if query.get("alt").map(String::as_str) == Some("media") {
        state.picture(&id, Size::Stored)
    } else {
        axum::Json(file_resource(&state, index, query.contains_key("fields"))).into_response()
    }
}

/// The thumbnail a `thumbnailLink` (`=s220`) gives: fitted within 220 pixels.
const THUMBNAIL: Size = Size::Within(220, 220);

/// `p{index}=s220`: the thumbnail of a photo, refused without credentials for the even ones
/// (not shared publicly), served to the account's Bearer token for any.
async fn thumbnail(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path(link): Path<String>,
) -> Response {
    let credentials = state.check_credentialed_content_request(target(&uri), &headers);
    let id = link.split('=').next().unwrap_or_default();
    match (photo_index(&state, id), credentials) {
        (None, _) => StatusCode::NOT_FOUND.into_response(),
        (Some(_), Credentials::Invalid) => StatusCode::UNAUTHORIZED.into_response(),
        (Some(index), Credentials::None) if index % 2 == 0 => StatusCode::FORBIDDEN.into_response(),
        (Some(_), _) => state.picture(id, THUMBNAIL),
    }
}

/// The index of photo `p{index}`, if the fixture holds it.
fn photo_index(state: &Shared, id: &str) -> Option<usize> {
    id.strip_prefix('p')
        .and_then(|index| index.parse::<usize>().ok())
        .filter(|index| (1..=state.photos).contains(index))
}
