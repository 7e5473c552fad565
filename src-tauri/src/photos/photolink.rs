//! The `photolink` source: PhotoLink's own list format, as the demo provider serves it.
//!
//! `GET {photos_endpoint}[?page_token=…]` with the Bearer token answers
//! `{"photos": [{"id", "title"?, "url"?, "thumbnail_url"?, "width"?, "height"?, "taken_at"?,
//! "size"?}], "next_page_token"?, "order"?}`. `width` and `height` are the full image's pixels,
//! `size` its file's bytes, `taken_at` an ISO 8601 date and time with its time zone (RFC 3339)
//! or without one (a local time); a value out of shape is ignored, not an error. `order:
//! "newest_first"` says the server lists newest `taken_at` first across its pages (the window
//! says so); without it the order is the server's, unclaimed. Both renditions are fetched with the Bearer token: from the listed
//! URLs when they are on the endpoint's origin, else from `{photos_endpoint}/{id}/image` and
//! `{photos_endpoint}/{id}/thumbnail`.

use photolink_oauth::ResourceResponse;
use serde::Deserialize;
use url::Url;

use super::api_root::ApiRoot;
use super::details::{self, TakenAt};
use super::index::Rendition;
use super::source::{Download, PhotoSource, SourcePage, SourcePhoto};
use crate::error::AppError;

/// PhotoLink's list at one URL.
pub struct PhotoLinkList {
    endpoint: ApiRoot,
}

impl PhotoLinkList {
    pub fn new(endpoint: Url) -> Self {
        Self {
            endpoint: ApiRoot::new(endpoint),
        }
    }

    /// The listed URL when it is on the endpoint's origin, else the conventional one under the
    /// endpoint (the Bearer token must not travel anywhere else).
    fn download(&self, id: &str, given: Option<&str>, rendition: Rendition) -> Download {
        let url = given
            .and_then(|given| self.endpoint.url().join(given).ok())
            .filter(|url| url.origin() == *self.endpoint.origin())
            .unwrap_or_else(|| self.endpoint.url_under(&[id, rendition.name()]));
        Download::WithToken(url)
    }
}

/// The list answer: `{"photos": [...], "next_page_token": "...", "order": "newest_first"}`.
#[derive(Debug, Deserialize)]
struct ListAnswer {
    photos: Vec<ListedPhoto>,
    #[serde(default)]
    next_page_token: Option<String>,
    /// `newest_first` when the server lists the photos newest taken first across its pages;
    /// anything else claims no order.
    #[serde(default, deserialize_with = "details::text")]
    order: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ListedPhoto {
    id: String,
    #[serde(default)]
    title: Option<String>,
    /// The full-size image.
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    thumbnail_url: Option<String>,
    #[serde(default, deserialize_with = "details::pixels")]
    width: Option<u32>,
    #[serde(default, deserialize_with = "details::pixels")]
    height: Option<u32>,
    #[serde(default, deserialize_with = "details::text")]
    taken_at: Option<String>,
    /// The full image's file size in bytes.
    #[serde(default, deserialize_with = "details::bytes")]
    size: Option<u64>,
}

impl PhotoSource for PhotoLinkList {
    fn page_url(&self, page_token: Option<&str>) -> Result<Url, AppError> {
        let mut url = self.endpoint.url().clone();
        if let Some(token) = page_token.filter(|t| !t.is_empty()) {
            url.query_pairs_mut().append_pair("page_token", token);
        }
        Ok(url)
    }

    fn read_page(
        &self,
        _page_token: Option<&str>,
        answer: &ResourceResponse,
    ) -> Result<SourcePage, AppError> {
        let answer: ListAnswer = answer.json().map_err(AppError::UnreadableList)?;
        let photos = answer
            .photos
            .into_iter()
            .map(|listed| SourcePhoto {
                thumbnail: self.download(
                    &listed.id,
                    listed.thumbnail_url.as_deref(),
                    Rendition::Thumbnail,
                ),
                image: self.download(&listed.id, listed.url.as_deref(), Rendition::Image),
                id: listed.id,
                title: listed.title,
                width: listed.width,
                height: listed.height,
                taken_at: listed.taken_at.as_deref().and_then(TakenAt::iso8601),
                bytes: listed.size,
            })
            .collect();
        Ok(SourcePage {
            photos,
            next_page_token: answer.next_page_token.filter(|t| !t.is_empty()),
            newest_first: answer.order.as_deref() == Some("newest_first"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::photos::source::tests::{answer, details_read};

    #[test]
    fn images_stay_on_the_photo_apis_origin() {
        let list = PhotoLinkList::new(Url::parse("https://api.example/v1/photos").unwrap());
        let page = list
            .read_page(None, &answer(
                r#"{"photos":[
                    {"id":"a","url":"https://api.example/img/a.jpg","thumbnail_url":"/thumbs/a.jpg"},
                    {"id":"a b/c","url":"https://evil.example/a.jpg"}
                ]}"#,
            ))
            .unwrap();
        let (same, foreign) = (&page.photos[0], &page.photos[1]);
        let with_token = |url: &str| Download::WithToken(Url::parse(url).unwrap());
        assert_eq!(same.image, with_token("https://api.example/img/a.jpg"));
        assert_eq!(
            same.thumbnail,
            with_token("https://api.example/thumbs/a.jpg")
        );
        assert_eq!(
            foreign.image,
            with_token("https://api.example/v1/photos/a%20b%2Fc/image")
        );
        assert_eq!(
            foreign.thumbnail,
            with_token("https://api.example/v1/photos/a%20b%2Fc/thumbnail")
        );
    }

    #[test]
    fn the_page_token_goes_in_the_query_and_an_empty_next_token_ends_the_list() {
        let list = PhotoLinkList::new(Url::parse("http://127.0.0.1:1/photos?size=9").unwrap());
        assert_eq!(
            list.page_url(None).unwrap().as_str(),
            "http://127.0.0.1:1/photos?size=9"
        );
        assert_eq!(
            list.page_url(Some("a&b")).unwrap().as_str(),
            "http://127.0.0.1:1/photos?size=9&page_token=a%26b"
        );
        let page = list
            .read_page(
                None,
                &answer(r#"{"photos":[{"id":"x"}],"next_page_token":""}"#),
            )
            .unwrap();
        assert_eq!(page.next_page_token, None);
        assert_eq!(page.photos[0].id, "x");
        let page = list
            .read_page(None, &answer(r#"{"photos":[],"next_page_token":"n2"}"#))
            .unwrap();
        assert_eq!(page.next_page_token.as_deref(), Some("n2"));
    }

    #[test]
    fn dates_and_sizes_are_read_strictly_and_a_list_without_them_still_works() {
        let list = PhotoLinkList::new(Url::parse("http://127.0.0.1:1/photos").unwrap());
        let page = list
            .read_page(
                None,
                &answer(
                    r#"{"photos":[
                {"id":"a","width":1200,"height":800,"size":245760,"taken_at":"2026-11-28T15:42:00Z"},
                {"id":"b","taken_at":"2024-02-29T08:15:00.250"},
                {"id":"c","width":"wide","height":-800,"size":1.5,"taken_at":"2023-02-29T08:15:00Z"},
                {"id":"d","taken_at":["2024"]},
                {"id":"e"}
                ]}"#,
                ),
            )
            .unwrap();
        assert_eq!(
            details_read(&page),
            [
                (
                    Some("2026-11-28T15:42:00Z"),
                    Some(1200),
                    Some(800),
                    Some(245_760)
                ),
                (Some("2024-02-29T08:15:00"), None, None, None),
                (None, None, None, None),
                (None, None, None, None),
                (None, None, None, None),
            ]
        );
    }

    #[test]
    fn only_an_order_of_newest_first_is_claimed() {
        let list = PhotoLinkList::new(Url::parse("http://127.0.0.1:1/photos").unwrap());
        let claimed = |body: &str| list.read_page(None, &answer(body)).unwrap().newest_first;
        assert!(claimed(r#"{"photos":[],"order":"newest_first"}"#));
        for body in [
            r#"{"photos":[]}"#,
            r#"{"photos":[],"order":"oldest_first"}"#,
            r#"{"photos":[],"order":"Newest_First"}"#,
            r#"{"photos":[],"order":true}"#,
        ] {
            assert!(!claimed(body), "{body}");
        }
    }

    #[test]
    fn an_answer_without_a_photo_list_is_an_error_that_quotes_nothing() {
        let list = PhotoLinkList::new(Url::parse("http://127.0.0.1:1/photos").unwrap());
        for body in [r#"{"items":["secret-value"]}"#, "<html>", r#"{"photos":"#] {
            let error = list.read_page(None, &answer(body)).unwrap_err().to_string();
            assert!(!error.contains("secret-value"), "{error}");
            assert!(!error.contains("items"), "{error}");
        }
    }

    mod properties {
        use photolink_oauth::Error as OAuthError;
        use proptest::prelude::*;
        use serde_json::json;

        use super::*;
        use crate::photos::source::tests::{
            answer_of, any_bytes, any_link, any_text, origin, tokens_stay_on,
        };

        const API: &str = "https://api.example";

        fn list() -> PhotoLinkList {
            PhotoLinkList::new(Url::parse("https://api.example/v1/photos").unwrap())
        }

        fn listed_photo() -> impl Strategy<Value = serde_json::Value> {
            (
                any_text(40),
                proptest::option::of(any_text(300)),
                proptest::option::of(any_link(API)),
                proptest::option::of(any_link(API)),
                proptest::option::of(any::<u32>()),
                proptest::option::of(any_text(60)),
            )
                .prop_map(|(id, title, url, thumbnail_url, width, taken_at)| {
                    json!({"id": id, "title": title, "url": url,
                           "thumbnail_url": thumbnail_url, "width": width, "taken_at": taken_at})
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_bytes_are_read_or_refused_as_an_unusable_answer(body in any_bytes()) {
                match list().read_page(None, &answer_of(body)) {
                    Ok(page) => prop_assert!(tokens_stay_on(&page, &origin(API))),
                    Err(error) => prop_assert!(
                        matches!(error, AppError::UnreadableList(OAuthError::UnexpectedResponse { status: 200, .. })),
                        "{error:?}"
                    ),
                }
            }

            #[test]
            fn every_listed_photo_is_kept_and_fetched_with_the_token_only_from_the_api(
                photos in proptest::collection::vec(listed_photo(), 0..12),
                next in proptest::option::of(any_text(100)),
            ) {
                let body = json!({"photos": photos, "next_page_token": next}).to_string();
                let page = list().read_page(None, &answer_of(body.into_bytes())).unwrap();
                prop_assert_eq!(page.photos.len(), photos.len());
                prop_assert!(tokens_stay_on(&page, &origin(API)));
                prop_assert_eq!(page.next_page_token, next.filter(|token| !token.is_empty()));
            }
        }
    }
}
