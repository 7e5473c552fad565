//! The `photo:` URI scheme: `photo://localhost/{id}/{thumbnail|image}` answers with the image
//! the photo API serves for that id, fetched with the Bearer token.

use photolink_oauth::Session;
use tauri::http::{Method, Request, Response, StatusCode, header};

use super::index::{PhotoIndex, Rendition};
use crate::error::AppError;

/// The URI scheme serving photos to the window.
pub const SCHEME: &str = "photo";

/// How the window addresses the scheme (WebView2 and Android map custom schemes to http).
#[cfg(any(windows, target_os = "android"))]
const SCHEME_BASE: &str = "http://photo.localhost";
#[cfg(not(any(windows, target_os = "android")))]
const SCHEME_BASE: &str = "photo://localhost";

/// The `photo:` URL of `rendition` of the photo `id` stands for.
pub fn url(id: &str, rendition: Rendition) -> String {
    format!("{SCHEME_BASE}/{id}/{}", rendition.name())
}

/// The answer to one `photo:` request, and the failure behind it when the connection itself
/// failed (the caller decides what that means for the connection).
pub async fn answer(
    index: &PhotoIndex,
    session: Option<&Session>,
    request: &Request<Vec<u8>>,
) -> (Response<Vec<u8>>, Option<AppError>) {
    if request.method() != Method::GET {
        return (plain(StatusCode::METHOD_NOT_ALLOWED, "only GET"), None);
    }
    let Some((id, rendition)) = parse_path(request.uri().path()) else {
        return (plain(StatusCode::NOT_FOUND, "no such photo"), None);
    };
    let (Some(source), Some(session)) = (index.source(id, rendition), session) else {
        return (plain(StatusCode::NOT_FOUND, "no such photo"), None);
    };
    match session.authorized_get(source.as_str()).await {
        Ok(fetched) => (
            from_photo_api(rendition, fetched.content_type.as_deref(), fetched.body),
            None,
        ),
        Err(error) => {
            tracing::warn!(%error, "could not fetch a photo");
            (
                plain(StatusCode::BAD_GATEWAY, "the photo could not be loaded"),
                Some(AppError::from(error)),
            )
        }
    }
}

/// The response to the window for what the photo API answered.
fn from_photo_api(
    _rendition: Rendition,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Response<Vec<u8>> {
    match content_type.filter(|t| t.starts_with("image/")) {
        Some(content_type) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CACHE_CONTROL, "private, max-age=3600")
            .body(body)
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "response")),
        None => plain(
            StatusCode::BAD_GATEWAY,
            "the photo service did not send an image",
        ),
    }
}

/// The id and rendition of a `/{id}/{rendition}` path.
fn parse_path(path: &str) -> Option<(&str, Rendition)> {
    let mut parts = path.trim_start_matches('/').split('/');
    match (
        parts.next(),
        parts.next().and_then(Rendition::parse),
        parts.next(),
    ) {
        (Some(id), Some(rendition), None) => Some((id, rendition)),
        _ => None,
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Vec<u8>> {
    let mut response = Response::new(text.as_bytes().to_vec());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_an_id_and_a_rendition() {
        assert_eq!(
            parse_path("/abc/thumbnail"),
            Some(("abc", Rendition::Thumbnail))
        );
        assert_eq!(parse_path("/abc/image"), Some(("abc", Rendition::Image)));
        assert_eq!(parse_path("/abc/original"), None);
        assert_eq!(parse_path("/abc/image/more"), None);
        assert_eq!(parse_path("/abc"), None);
    }
}
