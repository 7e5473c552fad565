//! The photo API: a paged list and the image bytes, all behind a Bearer token with
//! `photos:read`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::authorization::bearer;
use crate::authorization::scope;
use crate::photo_api::images::Rendition;
use crate::shared::params::Params;
use crate::shared::provider::AppState;
use crate::test_machinery::machinery::{Count, FaultTarget};

/// Photos per page when the client does not say.
const DEFAULT_PAGE_SIZE: usize = 50;
/// The largest page; a larger `page_size` gets this many.
const MAX_PAGE_SIZE: usize = 100;
/// Changes whenever the rendering changes, so cached copies are not reused.
const IMAGE_VERSION: &str = "v1";

/// `GET /photos?page_size=&page_token=`.
pub(crate) async fn list(
    State(app): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    app.counters.bump(Count::PhotoListRequests);
    app.counters.record_photo_list_request_time();
    if let Some(fault) = app.faults.take(FaultTarget::Photos) {
        return fault.answer(&app).await;
    }
    if let Err(refusal) = bearer::require(&app, &uri, &headers, scope::PHOTOS_READ) {
        return refusal.into_response();
    }
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    if let Some(name) = params.first_repeated() {
        return bad_request(&format!("parameter {name} is repeated"));
    }
    let page_size = match params.get("page_size").map(str::parse::<usize>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(size)) if size > 0 => size.min(MAX_PAGE_SIZE),
        Some(_) => {
            return bad_request(&format!(
                "page_size must be a whole number from 1 to {MAX_PAGE_SIZE}"
            ));
        }
    };
    let start = match params.get("page_token").map(decode_page_token) {
        None => 0,
        Some(Some(offset)) if offset < app.library.len() => offset,
        Some(_) => return bad_request("page_token is not valid"),
    };
    let end = (start + page_size).min(app.library.len());
    let photos: Vec<_> = (start..end)
        .map(|index| {
            let info = app.library.info(index);
            let (width, height) = Rendition::Full.size();
            let base = format!("{}/{}", app.endpoints.photos, info.id);
            json!({
                "id": info.id,
                "title": info.title,
                "url": format!("{base}/{}", Rendition::Full.name()),
                "thumbnail_url": format!("{base}/{}", Rendition::Thumbnail.name()),
                "width": width,
                "height": height,
                "taken_at": info.taken_at,
            })
        })
        .collect();
    // The library is newest first (library.rs), which PhotoLink's list format lets it say.
    let mut body = json!({ "photos": photos, "order": "newest_first" });
    if end < app.library.len() {
        body["next_page_token"] = encode_page_token(end).into();
    }
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

/// `GET /photos/{id}/image`.
pub(crate) async fn full_image(
    State(app): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    image(app, uri, headers, id, Rendition::Full).await
}

/// `GET /photos/{id}/thumbnail`.
pub(crate) async fn thumbnail(
    State(app): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    image(app, uri, headers, id, Rendition::Thumbnail).await
}

async fn image(
    app: AppState,
    uri: Uri,
    headers: HeaderMap,
    id: String,
    rendition: Rendition,
) -> Response {
    app.counters.bump(Count::ImageRequests);
    if rendition == Rendition::Thumbnail {
        app.counters.bump(Count::ThumbnailRequests);
    }
    if let Some(fault) = app.faults.take(FaultTarget::Photos) {
        return fault.answer(&app).await;
    }
    if let Err(refusal) = bearer::require(&app, &uri, &headers, scope::PHOTOS_READ) {
        return refusal.into_response();
    }
    let Some(index) = app.library.index_of(&id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "not_found", "error_description": "no photo with this id" })),
        )
            .into_response();
    };
    let etag = format!("\"{id}-{}-{IMAGE_VERSION}\"", rendition.name());
    let cache_headers = |etag: &str| {
        [
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400, immutable"),
            ),
            (
                header::ETAG,
                HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"\"")),
            ),
            (header::VARY, HeaderValue::from_static("Authorization")),
        ]
    };
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    if not_modified {
        return (StatusCode::NOT_MODIFIED, cache_headers(&etag)).into_response();
    }
    match app.images.png(index, rendition).await {
        Ok(png) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, HeaderValue::from_static("image/png"))],
            cache_headers(&etag),
            png,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "could not render a photo");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": "server_error" })),
            )
                .into_response()
        }
    }
}

fn bad_request(description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": "invalid_request", "error_description": description })),
    )
        .into_response()
}

/// Page tokens are opaque to clients: the next offset, base64url-encoded.
fn encode_page_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode_page_token(token: &str) -> Option<usize> {
    let decoded = URL_SAFE_NO_PAD.decode(token).ok()?;
    let offset = std::str::from_utf8(&decoded)
        .ok()?
        .strip_prefix("offset:")?;
    let value: usize = offset.parse().ok()?;
    (value.to_string() == offset).then_some(value)
}
