//! A fixture of Microsoft Graph v1.0 as PhotoLink's `microsoft-graph` source uses it: the
//! children of OneDrive's Photos special folder, their thumbnails and pre-authenticated
//! downloads. From Microsoft's documentation:
//!
//! - [Get a special folder](https://learn.microsoft.com/graph/api/drive-get-specialfolder) and
//!   [list children](https://learn.microsoft.com/graph/api/driveitem-list-children):
//!   `GET /v1.0/me/drive/special/photos/children` answers `{"value": [driveItem…]}`, with
//!   `@odata.nextLink` (an absolute URL carrying `$skiptoken`) while more remain
//!   ([paging](https://learn.microsoft.com/graph/paging)); `$top` sets the page size and
//!   `$expand=thumbnails` adds each item's
//!   [thumbnailSet](https://learn.microsoft.com/graph/api/resources/thumbnailset)s.
//! - A [driveItem](https://learn.microsoft.com/graph/api/resources/driveitem) has `id`, `name`,
//!   `createdDateTime`, the `file` (`mimeType`), `image` (`width`, `height`) and `photo`
//!   (`takenDateTime`) facets, or the `folder` facet, and `@microsoft.graph.downloadUrl`, a
//!   pre-authenticated URL ([download](https://learn.microsoft.com/graph/api/driveitem-get-content))
//!   here served by the content server.
//! - [Errors](https://learn.microsoft.com/graph/errors): `{"error": {"code", "message",
//!   "innerError"}}` with the status; 401 `InvalidAuthenticationToken` with a
//!   `WWW-Authenticate: Bearer` challenge that names no error; 429 `TooManyRequests` with
//!   `Retry-After` ([throttling](https://learn.microsoft.com/graph/throttling)).
//!
//! The listing holds a folder ("Camera Roll", id `folder-1`) before the photos `p1`, `p2`, ….

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::{ErrorBodies, SERVER_MESSAGE, Shared, target};

/// Graph's page size when `$top` is not given.
const DEFAULT_TOP: usize = 200;

pub(crate) fn api_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1.0/me/drive/special/photos/children", get(children))
        .fallback(not_found)
}

pub(crate) fn content_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/download/{id}", get(download))
        .route("/thumbnail/{id}/{size}", get(thumbnail))
}

struct Graph;

impl ErrorBodies for Graph {
    fn unauthorized(&self) -> Response {
        let mut response = error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
            ),
        );
        response
    }

    fn throttled(&self) -> Response {
        error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests")
    }

    fn refused(&self, status: u16) -> Response {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = match status.as_u16() {
            400 => "invalidRequest",
            403 => "accessDenied",
            404 => "itemNotFound",
            503 => "serviceNotAvailable",
            _ => "generalException",
        };
        error(status, code)
    }
}

fn error(status: StatusCode, code: &str) -> Response {
    let body = json!({
        "error": {
            "code": code,
            "message": SERVER_MESSAGE,
            "innerError": {"date": "2026-01-01T00:00:00", "request-id": "fixture"},
        }
    });
    (status, axum::Json(body)).into_response()
}

async fn not_found() -> Response {
    Graph.refused(404)
}

async fn children(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = state.check_api_request(target(&uri), &headers, &Graph) {
        return refusal;
    }
    let top = match query.get("$top").map(|top| top.parse::<usize>()) {
        None => DEFAULT_TOP,
        Some(Ok(top)) if top > 0 => top,
        Some(_) => return Graph.refused(400),
    };
    let skip = match query.get("$skiptoken").map(|skip| skip.parse::<usize>()) {
        None => 0,
        Some(Ok(skip)) => skip,
        Some(Err(_)) => return Graph.refused(400),
    };
    let thumbnails = query
        .get("$expand")
        .is_some_and(|expand| expand.split(',').any(|name| name.trim() == "thumbnails"));
    let total = state.photos + 1;
    let end = (skip + top).min(total);
    let value: Vec<Value> = (skip..end)
        .map(|index| item(&state, index, thumbnails))
        .collect();
    let mut body = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('me')/drive/special/photos/children",
        "value": value,
    });
    if end < total {
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        if thumbnails {
            next.append_pair("$expand", "thumbnails");
        }
        next.append_pair("$top", &top.to_string())
            .append_pair("$skiptoken", &end.to_string());
        body["@odata.nextLink"] = json!(format!(
            "{}/v1.0/me/drive/special/photos/children?{}",
            state.api_base,
            next.finish()
        ));
    }
    axum::Json(body).into_response()
}

/// The driveItem at `index` of the folder: the folder first, then `p1`, `p2`, ….
fn item(state: &Shared, index: usize, thumbnails: bool) -> Value {
    if index == 0 {
        return json!({
            "id": "folder-1",
            "name": "Camera Roll",
            "createdDateTime": "2024-01-01T00:00:00Z",
            "folder": {"childCount": 12},
        });
    }
    let id = format!("p{index}");
    let content = &state.content_base;
    let mut item = json!({
        "id": id,
        "name": format!("Photo {index}.jpg"),
        "createdDateTime": "2024-02-01T00:00:00Z",
        "file": {"mimeType": "image/jpeg"},
        "image": {"width": 4000, "height": 3000},
        "photo": {"takenDateTime": format!("2024-01-{:02}T10:00:00Z", index % 28 + 1)},
        "@microsoft.graph.downloadUrl": format!("{content}/download/{id}?tempauth=fixture-{index}"),
    });
    if thumbnails {
        let size = |name: &str, width: u32, height: u32| json!({"url": format!("{content}/thumbnail/{id}/{name}"), "width": width, "height": height});
        item["thumbnails"] = json!([{
            "id": "0",
            "small": size("small", 48, 48),
            "medium": size("medium", 176, 132),
            "large": size("large", 800, 600),
        }]);
    }
    item
}

async fn download(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refusal) = state.check_content_request(target(&uri), &headers) {
        return refusal;
    }
    state.picture(&id, "image")
}

async fn thumbnail(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path((id, size)): Path<(String, String)>,
) -> Response {
    if let Some(refusal) = state.check_content_request(target(&uri), &headers) {
        return refusal;
    }
    state.picture(&id, &size)
}
