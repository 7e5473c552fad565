//! The account's photos: listing pages from the photo API, and serving the images to the window
//! through the `photo:` URI scheme. The window only sees opaque ids (`p1`, `p2`, …); the backend
//! maps them to the photo API's URLs and fetches them with the Bearer token, which is sent only
//! to the photo API's origin and never reaches the window.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use photolink_oauth::Error as OAuthError;
use serde::{Deserialize, Serialize};
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{AppHandle, Manager, UriSchemeResponder};
use url::Url;

use crate::connection;
use crate::error::AppError;
use crate::state::AppState;

/// The URI scheme serving photos to the window.
pub const SCHEME: &str = "photo";

/// How the window addresses the scheme (WebView2 and Android map custom schemes to http).
#[cfg(any(windows, target_os = "android"))]
const SCHEME_BASE: &str = "http://photo.localhost";
#[cfg(not(any(windows, target_os = "android")))]
const SCHEME_BASE: &str = "photo://localhost";

/// One page of photos as the window sees it.
#[derive(Debug, Serialize)]
pub struct PhotoPage {
    pub photos: Vec<Photo>,
    /// Pass to `photos` for the next page; `None` on the last page.
    pub next_page_token: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Photo {
    /// Opaque id, meaningful only to this run of PhotoLink.
    pub id: String,
    pub title: String,
    /// `photo:` URLs of the two renditions.
    pub thumbnail: String,
    pub image: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub taken_at: Option<String>,
}

/// The photo API's list answer: `{"photos": [...], "next_page_token": "..."}`.
#[derive(Debug, Deserialize)]
struct ListAnswer {
    photos: Vec<ListedPhoto>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ListedPhoto {
    id: String,
    #[serde(default)]
    title: Option<String>,
    /// Full-size image; defaults to `{photos_endpoint}/{id}/image`.
    #[serde(default)]
    url: Option<String>,
    /// Defaults to `{photos_endpoint}/{id}/thumbnail`.
    #[serde(default)]
    thumbnail_url: Option<String>,
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    height: Option<u32>,
    #[serde(default)]
    taken_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rendition {
    Thumbnail,
    Image,
}

impl Rendition {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "thumbnail" => Some(Self::Thumbnail),
            "image" => Some(Self::Image),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Sources {
    thumbnail: Url,
    image: Url,
}

/// Photos listed so far: opaque id → the photo API's URLs.
#[derive(Default)]
pub struct PhotoIndex {
    inner: Mutex<IndexInner>,
}

#[derive(Default)]
struct IndexInner {
    by_provider_id: HashMap<String, String>,
    sources: HashMap<String, Sources>,
}

impl PhotoIndex {
    /// Forgets every photo (after disconnecting).
    pub fn clear(&self) {
        *self.lock() = IndexInner::default();
    }

    fn add(&self, provider_id: &str, sources: Sources) -> String {
        let mut inner = self.lock();
        let next = format!("p{}", inner.by_provider_id.len() + 1);
        let id = inner
            .by_provider_id
            .entry(provider_id.to_owned())
            .or_insert(next)
            .clone();
        inner.sources.insert(id.clone(), sources);
        id
    }

    fn source(&self, id: &str, rendition: Rendition) -> Option<Url> {
        self.lock().sources.get(id).map(|sources| match rendition {
            Rendition::Thumbnail => sources.thumbnail.clone(),
            Rendition::Image => sources.image.clone(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, IndexInner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Lists one page of the connected account's photos.
pub async fn list(app: &AppHandle, page_token: Option<String>) -> Result<PhotoPage, AppError> {
    let state = app.state::<AppState>();
    let provider = state
        .provider()
        .ok_or(AppError::OAuth(OAuthError::NotConnected))?;
    let mut url = provider.photos_endpoint.clone();
    if let Some(token) = page_token.filter(|t| !t.is_empty()) {
        url.query_pairs_mut().append_pair("page_token", &token);
    }
    let answer: ListAnswer = match provider.session.authorized_get(url.as_str()).await {
        Ok(response) => serde_json::from_slice(&response.body)
            .map_err(|e| AppError::PhotoList(e.to_string()))?,
        Err(error) => {
            let error = AppError::from(error);
            connection::connection_failed(app, &error);
            return Err(error);
        }
    };
    let photos = answer
        .photos
        .into_iter()
        .map(|listed| {
            let sources = sources(&provider.photos_endpoint, &listed);
            let id = state.photos.add(&listed.id, sources);
            Photo {
                thumbnail: format!("{SCHEME_BASE}/{id}/thumbnail"),
                image: format!("{SCHEME_BASE}/{id}/image"),
                id,
                title: listed
                    .title
                    .filter(|t| !t.trim().is_empty())
                    .unwrap_or_else(|| "Untitled".into()),
                width: listed.width,
                height: listed.height,
                taken_at: listed.taken_at,
            }
        })
        .collect();
    Ok(PhotoPage {
        photos,
        next_page_token: answer.next_page_token.filter(|t| !t.is_empty()),
    })
}

/// The listed URLs when they are on the photo API's origin, else the conventional ones under
/// the photos endpoint (the Bearer token must not travel anywhere else).
fn sources(endpoint: &Url, listed: &ListedPhoto) -> Sources {
    let pick = |given: Option<&String>, rendition: &str| {
        given
            .and_then(|given| endpoint.join(given).ok())
            .filter(|url| url.origin() == endpoint.origin())
            .unwrap_or_else(|| {
                let mut url = endpoint.clone();
                if let Ok(mut segments) = url.path_segments_mut() {
                    segments.pop_if_empty().push(&listed.id).push(rendition);
                }
                url
            })
    };
    Sources {
        thumbnail: pick(listed.thumbnail_url.as_ref(), "thumbnail"),
        image: pick(listed.url.as_ref(), "image"),
    }
}

/// Serves `photo://localhost/{id}/{thumbnail|image}` asynchronously.
pub fn serve(app: &AppHandle, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        responder.respond(respond(&app, &request).await);
    });
}

async fn respond(app: &AppHandle, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    if request.method() != tauri::http::Method::GET {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET");
    }
    let state = app.state::<AppState>();
    let mut parts = request.uri().path().trim_start_matches('/').split('/');
    let (Some(id), Some(rendition), None) = (
        parts.next(),
        parts.next().and_then(Rendition::parse),
        parts.next(),
    ) else {
        return plain(StatusCode::NOT_FOUND, "no such photo");
    };
    let (Some(source), Some(provider)) = (state.photos.source(id, rendition), state.provider())
    else {
        return plain(StatusCode::NOT_FOUND, "no such photo");
    };
    match provider.session.authorized_get(source.as_str()).await {
        Ok(answer) => match answer.content_type.filter(|t| t.starts_with("image/")) {
            Some(content_type) => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::CACHE_CONTROL, "private, max-age=3600")
                .body(answer.body)
                .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "response")),
            None => plain(
                StatusCode::BAD_GATEWAY,
                "the photo service did not send an image",
            ),
        },
        Err(error) => {
            tracing::warn!(%error, "could not fetch a photo");
            let error = AppError::from(error);
            connection::connection_failed(app, &error);
            plain(StatusCode::BAD_GATEWAY, "the photo could not be loaded")
        }
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

    fn listed(json: &str) -> ListedPhoto {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn images_stay_on_the_photo_apis_origin() {
        let endpoint = Url::parse("https://api.example/v1/photos").unwrap();
        let same = listed(
            r#"{"id":"a","url":"https://api.example/img/a.jpg","thumbnail_url":"/thumbs/a.jpg"}"#,
        );
        let kept = sources(&endpoint, &same);
        assert_eq!(kept.image.as_str(), "https://api.example/img/a.jpg");
        assert_eq!(kept.thumbnail.as_str(), "https://api.example/thumbs/a.jpg");

        let foreign = listed(r#"{"id":"a b/c","url":"https://evil.example/a.jpg"}"#);
        let replaced = sources(&endpoint, &foreign);
        assert_eq!(
            replaced.image.as_str(),
            "https://api.example/v1/photos/a%20b%2Fc/image"
        );
        assert_eq!(
            replaced.thumbnail.as_str(),
            "https://api.example/v1/photos/a%20b%2Fc/thumbnail"
        );
    }

    #[test]
    fn ids_are_opaque_and_stable() {
        let index = PhotoIndex::default();
        let endpoint = Url::parse("http://127.0.0.1:1/photos").unwrap();
        let photo = listed(r#"{"id":"secret-looking/id"}"#);
        let first = index.add(&photo.id, sources(&endpoint, &photo));
        let again = index.add(&photo.id, sources(&endpoint, &photo));
        assert_eq!(first, "p1");
        assert_eq!(again, "p1");
        assert!(index.source("p1", Rendition::Image).is_some());
        assert!(index.source("p2", Rendition::Image).is_none());
        index.clear();
        assert!(index.source("p1", Rendition::Thumbnail).is_none());
    }
}
