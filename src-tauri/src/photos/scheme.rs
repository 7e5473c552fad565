//! The `photo:` URI scheme: `photo://localhost/{id}/{thumbnail|image}` answers with the image
//! for that id: from the [`PhotoCache`] (memory, then disk for thumbnails) when it is there,
//! else as the [`PhotoLibrary`] fetches it, which is then kept in the cache. So a thumbnail is
//! fetched from the provider once per session, and a saved one is shown offline.
//!
//! Tauri treats custom-scheme origins as local, and the photo API's bytes are server-supplied
//! data, so every answer is locked down, errors included:
//!
//! 1. Only `GET` of a known id and rendition; anything else is a plain-text 404 or 405.
//! 2. Only raster types ([`RASTER_TYPES`]) are passed on, under their canonical name; SVG (which
//!    can carry script) and everything else is refused with a 502.
//! 3. Thumbnails over [`THUMBNAIL_MAX_BYTES`] and images over [`IMAGE_MAX_BYTES`] are refused.
//!    The OAuth core reads resources up to its own, global cap (`HttpOptions::max_resource_bytes`)
//!    and has no cap per request, so the smaller thumbnail cap is applied after reading.
//!    Only what passes 2 and 3 is cached, and a cached image passes them again when served.
//! 4. Every response carries `X-Content-Type-Options: nosniff` (the declared type is final),
//!    `Content-Security-Policy: sandbox` (should it ever be shown as a document, it runs no
//!    script and gets an opaque origin) and `Cache-Control: no-store` (the web view keeps no copy
//!    that could outlive the connection).

use tauri::http::{HeaderValue, Method, Request, Response, StatusCode, header};

use super::cache::{CachedBody, PhotoCache};
use super::index::{self, Rendition};
use super::library::PhotoLibrary;
use crate::error::AppError;

/// The URI scheme serving photos to the window.
pub const SCHEME: &str = "photo";

/// The image types the window is given: raster formats web views decode as plain pictures.
pub const RASTER_TYPES: [&str; 6] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
];

/// The largest thumbnail passed on.
pub const THUMBNAIL_MAX_BYTES: usize = 2 * 1024 * 1024;
/// The largest full-size image passed on.
pub const IMAGE_MAX_BYTES: usize = 32 * 1024 * 1024;

/// The answer to one `photo:` request, and the failure behind it when the connection itself
/// failed (the caller decides what that means for the connection).
pub async fn answer(
    library: Option<&PhotoLibrary>,
    cache: &PhotoCache,
    request: &Request<Vec<u8>>,
) -> (Response<Vec<u8>>, Option<AppError>) {
    if request.method() != Method::GET {
        return (plain(StatusCode::METHOD_NOT_ALLOWED, "only GET"), None);
    }
    let no_such_photo = || (plain(StatusCode::NOT_FOUND, "no such photo"), None);
    let Some((id, rendition)) = parse_path(request.uri().path()) else {
        return no_such_photo();
    };
    let Some(library) = library else {
        return no_such_photo();
    };
    let cached = cache.image(library, id, rendition);
    if let Some(kept) = cached.find().await {
        return (
            from_photo_api(rendition, Some(&kept.media_type), kept.bytes.to_vec()),
            None,
        );
    }
    match library.fetch(id, rendition).await {
        None => no_such_photo(),
        Some(Ok(fetched)) => {
            match checked(rendition, fetched.content_type.as_deref(), fetched.body) {
                Ok((media_type, body)) => {
                    cached
                        .keep(CachedBody::new(media_type, body.as_slice()))
                        .await;
                    (locked_down(StatusCode::OK, media_type, body), None)
                }
                Err(reason) => (plain(StatusCode::BAD_GATEWAY, reason), None),
            }
        }
        Some(Err(error)) => {
            tracing::warn!(%error, "could not fetch a photo");
            (
                plain(StatusCode::BAD_GATEWAY, "the photo could not be loaded"),
                Some(error),
            )
        }
    }
}

/// The response to the window for an image from the photo API or the cache.
fn from_photo_api(
    rendition: Rendition,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Response<Vec<u8>> {
    match checked(rendition, content_type, body) {
        Ok((media_type, body)) => locked_down(StatusCode::OK, media_type, body),
        Err(reason) => plain(StatusCode::BAD_GATEWAY, reason),
    }
}

/// The image with its canonical media type when it may be shown (see the module docs, 2 and
/// 3), else why it is refused.
fn checked(
    rendition: Rendition,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<(&'static str, Vec<u8>), &'static str> {
    let Some(media_type) = content_type.and_then(raster_type) else {
        tracing::warn!(?rendition, "refused a photo that is not a raster image");
        return Err("the photo service did not send a picture PhotoLink shows");
    };
    let limit = match rendition {
        Rendition::Thumbnail => THUMBNAIL_MAX_BYTES,
        Rendition::Image => IMAGE_MAX_BYTES,
    };
    if body.len() > limit {
        tracing::warn!(
            ?rendition,
            bytes = body.len(),
            limit,
            "refused a photo that is too large"
        );
        return Err("the photo is too large");
    }
    Ok((media_type, body))
}

/// The canonical name of `content_type` when it is one of [`RASTER_TYPES`] (parameters and
/// letter case aside).
fn raster_type(content_type: &str) -> Option<&'static str> {
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    RASTER_TYPES
        .into_iter()
        .find(|raster| raster.eq_ignore_ascii_case(media_type))
}

/// The id and rendition of a `/{id}/{rendition}` path: exactly that, with an id of the form
/// the index hands out, or nothing.
fn parse_path(path: &str) -> Option<(&str, Rendition)> {
    let (id, rendition) = path.strip_prefix('/')?.split_once('/')?;
    let rendition = Rendition::parse(rendition)?;
    index::is_id(id).then_some((id, rendition))
}

fn plain(status: StatusCode, text: &'static str) -> Response<Vec<u8>> {
    locked_down(status, "text/plain", text.as_bytes().to_vec())
}

/// A response with the headers every `photo:` answer carries (see the module docs).
fn locked_down(status: StatusCode, media_type: &'static str, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1024 * 1024;

    fn header(response: &Response<Vec<u8>>, name: &str) -> Option<String> {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    }

    fn request(method: &str, path: &str) -> Request<Vec<u8>> {
        Request::builder()
            .method(method)
            .uri(format!("photo://localhost{path}"))
            .body(Vec::new())
            .unwrap()
    }

    const ID: &str = "AAAAAAAAAAAAAAAAAAAA-_";

    #[test]
    fn paths_name_an_id_and_a_rendition() {
        assert_eq!(
            parse_path(&format!("/{ID}/thumbnail")),
            Some((ID, Rendition::Thumbnail))
        );
        assert_eq!(
            parse_path(&format!("/{ID}/image")),
            Some((ID, Rendition::Image))
        );
        for refused in [
            format!("/{ID}/original"),
            format!("/{ID}/image/more"),
            format!("/{ID}/image/"),
            format!("//{ID}/image"),
            format!("{ID}/image"),
            format!("/{ID}"),
            "/abc/image".to_owned(),
            "/../image".to_owned(),
            "/AAAAAAAAAAAAAAAAAAAA%2F/image".to_owned(),
        ] {
            assert_eq!(parse_path(&refused), None, "{refused}");
        }
    }

    mod properties {
        use proptest::prelude::*;
        use url::Url;

        use super::*;
        use crate::photos::index::{PhotoIndex, Sources};
        use crate::photos::source::Download;
        use crate::photos::source::tests::any_text;

        fn path() -> impl Strategy<Value = String> {
            prop_oneof![
                "/[A-Za-z0-9_-]{21,23}/(thumbnail|image)",
                "/[A-Za-z0-9_./%-]{0,30}/[a-z/]{0,12}",
                any_text(100),
                any_text(40).prop_map(|text| format!("/{text}/image")),
            ]
        }

        fn sources() -> Sources {
            let url = Download::WithToken(Url::parse("http://127.0.0.1:1/p").unwrap());
            Sources {
                thumbnail: url.clone(),
                image: url,
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn an_accepted_path_is_exactly_an_id_and_a_rendition(path in path()) {
                if let Some((id, rendition)) = parse_path(&path) {
                    prop_assert!(index::is_id(id), "{}", id);
                    prop_assert_eq!(format!("/{id}/{}", rendition.name()), path);
                }
            }

            #[test]
            fn an_accepted_path_names_only_a_photo_of_the_current_list(
                listed in 0..8usize,
                forgotten in 0..4usize,
                paths in proptest::collection::vec(path(), 1..16),
            ) {
                let index = PhotoIndex::default();
                let old: Vec<_> = (0..forgotten)
                    .map(|n| index.add(&n.to_string(), sources()))
                    .collect();
                index.clear();
                let ids: Vec<_> = (0..listed).map(|n| index.add(&n.to_string(), sources())).collect();
                for id in &ids {
                    for rendition in [Rendition::Thumbnail, Rendition::Image] {
                        let url = Url::parse(&index::url(id, rendition)).unwrap();
                        prop_assert_eq!(parse_path(url.path()), Some((id.as_str(), rendition)));
                    }
                }
                for id in &old {
                    let path = format!("/{id}/image");
                    prop_assert_eq!(parse_path(&path), Some((id.as_str(), Rendition::Image)));
                    prop_assert!(index.source(id, Rendition::Image).is_none(), "a forgotten photo");
                }
                for path in paths {
                    if let Some((id, rendition)) = parse_path(&path) {
                        prop_assert_eq!(
                            index.source(id, rendition).is_some(),
                            ids.iter().any(|listed| listed == id),
                            "{}", path
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn raster_images_are_passed_on_with_their_type() {
        for (given, served) in [
            ("image/png", "image/png"),
            ("image/jpeg", "image/jpeg"),
            ("image/gif", "image/gif"),
            ("image/webp", "image/webp"),
            ("image/avif", "image/avif"),
            ("image/bmp", "image/bmp"),
            ("Image/PNG; charset=binary", "image/png"),
        ] {
            let response = from_photo_api(Rendition::Image, Some(given), vec![1, 2, 3]);
            assert_eq!(response.status(), StatusCode::OK, "{given}");
            assert_eq!(header(&response, "content-type").as_deref(), Some(served));
            assert_eq!(response.body(), &[1, 2, 3]);
        }
    }

    #[test]
    fn svg_and_every_other_type_are_refused() {
        for given in [
            Some("image/svg+xml"),
            Some("image/svg+xml; charset=utf-8"),
            Some("image/png+xml"),
            Some("image/x-icon"),
            Some("image/"),
            Some("text/html"),
            Some("application/octet-stream"),
            Some(""),
            None,
        ] {
            let response = from_photo_api(Rendition::Thumbnail, given, b"<svg/>".to_vec());
            assert_eq!(response.status(), StatusCode::BAD_GATEWAY, "{given:?}");
            assert_ne!(response.body(), b"<svg/>", "{given:?}");
            assert_eq!(
                header(&response, "content-type").as_deref(),
                Some("text/plain")
            );
        }
    }

    #[test]
    fn thumbnails_over_two_mib_are_refused_but_full_images_may_be_larger() {
        let thumbnail =
            |size| from_photo_api(Rendition::Thumbnail, Some("image/jpeg"), vec![0; size]);
        assert_eq!(thumbnail(2 * MIB).status(), StatusCode::OK);
        assert_eq!(thumbnail(2 * MIB + 1).status(), StatusCode::BAD_GATEWAY);
        let image = from_photo_api(Rendition::Image, Some("image/jpeg"), vec![0; 2 * MIB + 1]);
        assert_eq!(image.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn requests_for_no_known_photo_are_refused() {
        let cache = PhotoCache::new(None);
        let (response, failure) = answer(None, &cache, &request("POST", "/x/image")).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(failure.is_none());
        let (response, failure) = answer(None, &cache, &request("GET", "/x/image")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(failure.is_none());
    }

    #[tokio::test]
    async fn every_response_forbids_sniffing_scripts_and_caching() {
        let cache = PhotoCache::new(None);
        let responses = [
            from_photo_api(Rendition::Image, Some("image/png"), vec![1]),
            from_photo_api(Rendition::Image, Some("image/svg+xml"), vec![1]),
            from_photo_api(Rendition::Thumbnail, Some("image/png"), vec![0; 3 * MIB]),
            answer(None, &cache, &request("GET", "/x/image")).await.0,
            answer(None, &cache, &request("GET", "/nothing")).await.0,
            answer(None, &cache, &request("PUT", "/x/image")).await.0,
        ];
        for response in &responses {
            let status = response.status();
            assert_eq!(
                header(response, "x-content-type-options").as_deref(),
                Some("nosniff"),
                "{status}"
            );
            assert_eq!(
                header(response, "content-security-policy").as_deref(),
                Some("sandbox"),
                "{status}"
            );
            assert_eq!(
                header(response, "cache-control").as_deref(),
                Some("no-store"),
                "{status}"
            );
        }
    }
}
