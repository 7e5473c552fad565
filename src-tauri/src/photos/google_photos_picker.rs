//! The `google-photos-picker` source: the photos a person chose for PhotoLink in Google Photos,
//! through the Google Photos Picker API v1. PhotoLink sees only those photos, never the rest of
//! the library. `photos_endpoint` is the API's root, `https://photospicker.googleapis.com/v1`;
//! the scope is `https://www.googleapis.com/auth/photospicker.mediaitems.readonly`.
//!
//! The shapes used, as Google documents them
//! ([get started](https://developers.google.com/photos/picker/guides/get-started-picker),
//! [sessions](https://developers.google.com/photos/picker/guides/sessions),
//! [media items](https://developers.google.com/photos/picker/guides/media-items)):
//!
//! - A [`PickingSession`](https://developers.google.com/photos/picker/reference/rest/v1/sessions#PickingSession)
//!   (`POST {root}/sessions`, `GET`/`DELETE {root}/sessions/{id}`) is read by the picking flow
//!   (`picking`), not here: this module lists the items of one session once
//!   the person has picked.
//! - The list is [`mediaItems.list`](https://developers.google.com/photos/picker/reference/rest/v1/mediaItems/list):
//!   `GET {root}/mediaItems?sessionId={id}&pageSize=100[&pageToken=…]` (100 is the most a page
//!   holds), answering `{"mediaItems": [PickedMediaItem…], "nextPageToken"?}`. The list belongs
//!   to a session, so this source's page tokens carry the session: the first page of session
//!   `id` is [`GooglePhotosPicker::first_page`], and each next page's token names the session
//!   and the API's `nextPageToken`. There is no list without a session. The items come in the
//!   order the person picked them, which is no date order.
//! - A [`PickedMediaItem`](https://developers.google.com/photos/picker/reference/rest/v1/mediaItems#PickedMediaItem)
//!   is `{"id", "createTime", "type", "mediaFile": {"baseUrl", "mimeType", "filename",
//!   "mediaFileMetadata": {"width", "height", …}}}`: `filename` is the title, `width`/`height`
//!   the size in pixels, `createTime` (RFC 3339) the date; each read strictly
//!   ([`details`](super::details)). Only items of `type` `PHOTO` are listed (a video's
//!   `baseUrl` gives stills only).
//! - The renditions come from the item's `baseUrl` with the
//!   [size parameters](https://developers.google.com/photos/picker/guides/media-items#base-urls)
//!   appended: `=w{W}-h{H}` for the thumbnail ([`THUMBNAIL_PARAMETERS`]), `=d` for the full
//!   image as stored. Google documents that base URL requests need the OAuth token in the
//!   `Authorization` header, and shows them on `https://lh3.googleusercontent.com`
//!   ([`BASE_URL_ORIGIN`]): the one origin besides the API root's that this source's token
//!   goes to, and only for a photo's renditions. A base URL anywhere else is fetched without
//!   credentials (and will be refused). Base URLs last 60 minutes: the photos chosen are saved
//!   with their thumbnails so that the gallery still shows them afterwards (`picking`).
//! - Errors are `{"error": {"code", "message", "status"}}` with the HTTP status; a list asked
//!   for before the person picked is 400 `FAILED_PRECONDITION`. The body is never quoted.

use photolink_oauth::ResourceResponse;
use serde::Deserialize;
use url::{Origin, Url};

use super::api_root::ApiRoot;
use super::details::{self, TakenAt};
use super::source::{
    Download, PAGE_TOKEN_MAX_BYTES, PhotoSource, SourcePage, SourcePhoto, TokenOrigins,
};
use crate::error::AppError;

/// Items per page asked for (`pageSize`): the most `mediaItems.list` serves.
const PAGE_SIZE: &str = "100";
/// The size parameters of a thumbnail: fitted within 512 × 512 pixels, twice the largest
/// tile the gallery draws.
pub const THUMBNAIL_PARAMETERS: &str = "=w512-h512";
/// The size parameter of the full image: the file as stored, with its metadata.
pub const IMAGE_PARAMETERS: &str = "=d";
/// The origin of the Picker's base URLs, which take the Bearer token.
pub const BASE_URL_ORIGIN: &str = "https://lh3.googleusercontent.com";

/// The photos picked in Google Photos, through the Picker API root `root`.
pub struct GooglePhotosPicker {
    root: ApiRoot,
    /// The API root's origin and the base URLs' host.
    token_origins: TokenOrigins,
}

/// Where in the picked items of a session a page starts: this source's page token.
#[derive(Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
struct PageToken {
    session: String,
    /// The API's `nextPageToken`; `None` for the session's first page.
    #[serde(default)]
    next: Option<String>,
}

impl PageToken {
    fn read(token: &str) -> Option<Self> {
        serde_json::from_str(token).ok()
    }

    fn write(&self) -> String {
        serde_json::to_string(self).expect("strings serialise")
    }
}

impl GooglePhotosPicker {
    pub fn new(root: Url) -> Self {
        let base_urls = Url::parse(BASE_URL_ORIGIN).expect("a URL").origin();
        Self::with_base_urls_at(root, base_urls)
    }

    /// The Picker at `root`, whose base URLs at `base_urls` take the token.
    fn with_base_urls_at(root: Url, base_urls: Origin) -> Self {
        let root = ApiRoot::new(root);
        let token_origins = TokenOrigins::api(root.origin()).with_renditions_at(&[base_urls]);
        Self {
            root,
            token_origins,
        }
    }

    /// The Picker at a fixture's `root`, whose base URLs at `base_urls` take the token, as
    /// the real base URL host does.
    #[cfg(test)]
    pub(crate) fn with_fixture_base_urls_at(root: Url, base_urls: Origin) -> Self {
        Self::with_base_urls_at(root, base_urls)
    }

    /// The page token of the first page of the items picked in session `session`.
    pub fn first_page(session: &str) -> String {
        PageToken {
            session: session.into(),
            next: None,
        }
        .write()
    }

    /// The photo `item` is, if it is a photo with a base URL.
    fn photo(&self, item: PickedMediaItem) -> Option<SourcePhoto> {
        let id = item.id.filter(|id| !id.is_empty())?;
        if item.kind.as_deref() != Some("PHOTO") {
            return None;
        }
        let file = item.media_file?;
        // The parameters follow the base URL's path: a base URL with a query or fragment, or
        // without a path, has no place for them.
        let base = file
            .base_url
            .and_then(|base| Url::parse(&base).ok())
            .filter(|base| base.query().is_none() && base.fragment().is_none())
            .filter(|base| base.path() != "/")?;
        let rendition = |parameters: &str| {
            Url::parse(&format!("{base}{parameters}"))
                .ok()
                .filter(|url| url.origin() == base.origin())
                .map(|url| Download::listed(&self.token_origins, url))
        };
        let thumbnail = rendition(THUMBNAIL_PARAMETERS)?;
        let image = rendition(IMAGE_PARAMETERS)?;
        let metadata = file.media_file_metadata.unwrap_or_default();
        Some(SourcePhoto {
            id,
            title: file.filename,
            width: metadata.width,
            height: metadata.height,
            taken_at: item.create_time.as_deref().and_then(TakenAt::rfc3339),
            bytes: None,
            thumbnail,
            image,
        })
    }
}

/// A `mediaItems.list` answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaItemList {
    #[serde(default)]
    media_items: Vec<PickedMediaItem>,
    #[serde(default, deserialize_with = "details::text")]
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PickedMediaItem {
    #[serde(default, deserialize_with = "details::text")]
    id: Option<String>,
    #[serde(default, deserialize_with = "details::text")]
    create_time: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "details::text")]
    kind: Option<String>,
    #[serde(default)]
    media_file: Option<MediaFile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaFile {
    #[serde(default, deserialize_with = "details::text")]
    base_url: Option<String>,
    #[serde(default, deserialize_with = "details::text")]
    filename: Option<String>,
    #[serde(default)]
    media_file_metadata: Option<MediaFileMetadata>,
}

#[derive(Debug, Default, Deserialize)]
struct MediaFileMetadata {
    #[serde(default, deserialize_with = "details::pixels")]
    width: Option<u32>,
    #[serde(default, deserialize_with = "details::pixels")]
    height: Option<u32>,
}

impl PhotoSource for GooglePhotosPicker {
    fn page_url(&self, page_token: Option<&str>) -> Result<Url, AppError> {
        let token = page_token
            .and_then(PageToken::read)
            .ok_or(AppError::UnknownPageToken)?;
        let mut url = self.root.url_under(&["mediaItems"]);
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("sessionId", &token.session)
                .append_pair("pageSize", PAGE_SIZE);
            if let Some(next) = &token.next {
                query.append_pair("pageToken", next);
            }
        }
        Ok(url)
    }

    fn read_page(
        &self,
        page_token: Option<&str>,
        answer: &ResourceResponse,
    ) -> Result<SourcePage, AppError> {
        let token = page_token
            .and_then(PageToken::read)
            .ok_or(AppError::UnknownPageToken)?;
        let list: MediaItemList = answer.json()?;
        let next_page_token = list
            .next_page_token
            .filter(|next| !next.is_empty())
            .map(|next| {
                PageToken {
                    session: token.session,
                    next: Some(next),
                }
                .write()
            })
            // A token too long to hand out ends the list rather than naming a page wrongly.
            .filter(|next| next.len() <= PAGE_TOKEN_MAX_BYTES);
        Ok(SourcePage {
            photos: list
                .media_items
                .into_iter()
                .filter_map(|item| self.photo(item))
                .collect(),
            next_page_token,
            // In the order picked.
            newest_first: false,
        })
    }

    fn rendition_token_origins(&self) -> &[Origin] {
        self.token_origins.renditions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::photos::source::tests::{answer, details_read};

    fn picker() -> GooglePhotosPicker {
        GooglePhotosPicker::new(Url::parse("https://picker.example/v1").unwrap())
    }

    fn query(url: &Url, name: &str) -> Vec<String> {
        url.query_pairs()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .collect()
    }

    /// A `PickedMediaItem` of `kind` with base URL `base`, as Google documents one.
    fn item(id: &str, kind: &str, base: &str) -> String {
        format!(
            r#"{{"id":"{id}","createTime":"2023-07-14T18:22:05Z","type":"{kind}",
                "mediaFile":{{"baseUrl":"{base}","mimeType":"image/jpeg","filename":"{id}.jpg",
                "mediaFileMetadata":{{"width":4032,"height":3024,"cameraMake":"Make"}}}}}}"#
        )
    }

    #[test]
    fn a_page_of_a_session_asks_for_its_items_100_at_a_time() {
        let first = GooglePhotosPicker::first_page("s 1&x");
        let url = picker().page_url(Some(&first)).unwrap();
        assert_eq!(url.path(), "/v1/mediaItems");
        assert_eq!(query(&url, "sessionId"), ["s 1&x"]);
        assert_eq!(query(&url, "pageSize"), ["100"]);
        assert!(query(&url, "pageToken").is_empty());

        let body = format!(
            r#"{{"mediaItems":[{}],"nextPageToken":"n&2"}}"#,
            item("a", "PHOTO", "https://lh3.googleusercontent.com/a")
        );
        let page = picker().read_page(Some(&first), &answer(&body)).unwrap();
        let next = page.next_page_token.unwrap();
        let url = picker().page_url(Some(&next)).unwrap();
        assert_eq!(query(&url, "sessionId"), ["s 1&x"]);
        assert_eq!(query(&url, "pageToken"), ["n&2"]);
        assert!(!page.newest_first, "in the order picked");
    }

    #[test]
    fn there_is_no_list_without_a_session() {
        assert!(matches!(
            picker().page_url(None),
            Err(AppError::UnknownPageToken)
        ));
        assert!(matches!(
            picker().page_url(Some("p2")),
            Err(AppError::UnknownPageToken)
        ));
        assert!(matches!(
            picker().read_page(None, &answer(r#"{"mediaItems":[]}"#)),
            Err(AppError::UnknownPageToken)
        ));
    }

    #[test]
    fn renditions_are_the_base_url_with_size_parameters_and_take_the_token_on_its_host() {
        let body = format!(
            r#"{{"mediaItems":[{},{}]}}"#,
            item("a", "PHOTO", "https://lh3.googleusercontent.com/pp/AF1Q"),
            item("b", "PHOTO", "https://elsewhere.example/pp/B")
        );
        let first = GooglePhotosPicker::first_page("s");
        let page = picker().read_page(Some(&first), &answer(&body)).unwrap();
        let url = |text: &str| Url::parse(text).unwrap();
        let a = &page.photos[0];
        assert_eq!(
            a.thumbnail,
            Download::WithToken(url("https://lh3.googleusercontent.com/pp/AF1Q=w512-h512"))
        );
        assert_eq!(
            a.image,
            Download::WithToken(url("https://lh3.googleusercontent.com/pp/AF1Q=d"))
        );
        assert_eq!(a.title.as_deref(), Some("a.jpg"));
        let b = &page.photos[1];
        assert_eq!(
            b.image,
            Download::WithoutCredentials(url("https://elsewhere.example/pp/B=d")),
            "the token goes to the base URL host only"
        );
        assert_eq!(page.next_page_token, None);
        assert_eq!(
            picker().rendition_token_origins(),
            [Url::parse(BASE_URL_ORIGIN).unwrap().origin()]
        );
    }

    #[test]
    fn only_photos_with_an_id_and_a_base_url_that_takes_parameters_are_listed() {
        let body = format!(
            r#"{{"mediaItems":[{},{},{},{},{},{},{{"id":"nofile","type":"PHOTO"}},{}]}}"#,
            item("video", "VIDEO", "https://lh3.googleusercontent.com/v"),
            item(
                "unknown",
                "TYPE_UNSPECIFIED",
                "https://lh3.googleusercontent.com/u"
            ),
            item("", "PHOTO", "https://lh3.googleusercontent.com/e"),
            item("query", "PHOTO", "https://lh3.googleusercontent.com/q?x=1"),
            item("bare", "PHOTO", "https://lh3.googleusercontent.com"),
            item("text", "PHOTO", "not a url"),
            item("ok", "PHOTO", "https://lh3.googleusercontent.com/ok"),
        );
        let first = GooglePhotosPicker::first_page("s");
        let page = picker().read_page(Some(&first), &answer(&body)).unwrap();
        let ids: Vec<_> = page.photos.iter().map(|photo| photo.id.as_str()).collect();
        assert_eq!(ids, ["ok"]);
    }

    #[test]
    fn the_date_is_the_create_time_and_sizes_are_read_strictly() {
        let body = r#"{"mediaItems":[
            {"id":"a","createTime":"2023-07-14T18:22:05.123Z","type":"PHOTO",
             "mediaFile":{"baseUrl":"https://lh3.googleusercontent.com/a",
              "mediaFileMetadata":{"width":4032,"height":3024}}},
            {"id":"b","createTime":"2023-02-30T09:12:44Z","type":"PHOTO",
             "mediaFile":{"baseUrl":"https://lh3.googleusercontent.com/b",
              "mediaFileMetadata":{"width":-1,"height":"3024"}}},
            {"id":"c","createTime":12,"type":"PHOTO",
             "mediaFile":{"baseUrl":"https://lh3.googleusercontent.com/c"}}
        ]}"#;
        let first = GooglePhotosPicker::first_page("s");
        let page = picker().read_page(Some(&first), &answer(body)).unwrap();
        assert_eq!(
            details_read(&page),
            [
                (Some("2023-07-14T18:22:05Z"), Some(4032), Some(3024), None),
                (None, None, None, None),
                (None, None, None, None),
            ]
        );
    }

    mod properties {
        use photolink_oauth::Error as OAuthError;
        use proptest::prelude::*;
        use serde_json::json;

        use super::*;
        use crate::photos::source::tests::{
            answer_of, any_bytes, any_link, any_text, origin, tokens_stay_within,
        };

        const API: &str = "https://picker.example";

        fn item() -> impl Strategy<Value = serde_json::Value> {
            (
                any_text(40),
                proptest::sample::select(vec!["PHOTO", "VIDEO", "TYPE_UNSPECIFIED", ""]),
                proptest::option::of(prop_oneof![any_link(API), any_link(BASE_URL_ORIGIN),]),
                proptest::option::of(any_text(300)),
                proptest::option::of(any_text(40)),
            )
                .prop_map(|(id, kind, base, filename, created)| {
                    json!({"id": id, "type": kind, "createTime": created,
                           "mediaFile": {"baseUrl": base, "filename": filename,
                                         "mediaFileMetadata": {"width": 3}}})
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_bytes_are_read_or_refused_as_an_unusable_answer(body in any_bytes()) {
                let picker = picker();
                let first = GooglePhotosPicker::first_page("s");
                match picker.read_page(Some(&first), &answer_of(body)) {
                    Ok(page) => prop_assert!(tokens_stay_within(&page, &picker.token_origins)),
                    Err(error) => prop_assert!(
                        matches!(error, AppError::OAuth(OAuthError::UnexpectedResponse { status: 200, .. })),
                        "{error:?}"
                    ),
                }
            }

            #[test]
            fn every_photo_listed_has_both_renditions_from_its_base_url(
                items in proptest::collection::vec(item(), 0..12),
                next in proptest::option::of(any_text(100)),
                session in any_text(60),
            ) {
                let body = json!({"mediaItems": items, "nextPageToken": next}).to_string();
                let picker = picker();
                let first = GooglePhotosPicker::first_page(&session);
                let page = picker.read_page(Some(&first), &answer_of(body.into_bytes())).unwrap();
                prop_assert!(page.photos.len() <= items.len());
                prop_assert!(tokens_stay_within(&page, &picker.token_origins));
                for photo in &page.photos {
                    let listed = items.iter().find(|item| item["id"] == photo.id.as_str()).unwrap();
                    prop_assert_eq!(listed["type"].as_str(), Some("PHOTO"));
                    let base = listed["mediaFile"]["baseUrl"].as_str().unwrap();
                    let (Download::WithToken(thumbnail) | Download::WithoutCredentials(thumbnail)) = &photo.thumbnail;
                    let (Download::WithToken(image) | Download::WithoutCredentials(image)) = &photo.image;
                    prop_assert!(thumbnail.as_str().ends_with(THUMBNAIL_PARAMETERS), "{}", thumbnail);
                    prop_assert!(image.as_str().ends_with(IMAGE_PARAMETERS), "{}", image);
                    prop_assert_eq!(image.origin(), Url::parse(base).unwrap().origin());
                }
                match page.next_page_token {
                    Some(token) => {
                        let url = picker.page_url(Some(&token)).unwrap();
                        prop_assert_eq!(query(&url, "sessionId"), vec![session]);
                        prop_assert_eq!(query(&url, "pageToken"), vec![next.unwrap()]);
                    }
                    None => prop_assert!(next.is_none_or(|next| next.is_empty())),
                }
            }

            #[test]
            fn a_session_only_ever_fills_the_session_parameter(session in any_text(300)) {
                let url = picker().page_url(Some(&GooglePhotosPicker::first_page(&session))).unwrap();
                prop_assert_eq!(url.origin(), origin(API));
                prop_assert_eq!(url.path(), "/v1/mediaItems");
                prop_assert_eq!(query(&url, "sessionId"), vec![session]);
                prop_assert_eq!(query(&url, "pageSize"), vec!["100".to_owned()]);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod against_the_fixture;
