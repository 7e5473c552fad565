//! The `microsoft-graph` source: the photos in a person's OneDrive, through Microsoft Graph
//! v1.0. `photos_endpoint` is the Graph root, `https://graph.microsoft.com/v1.0`; the
//! delegated permission `Files.Read` is enough.
//!
//! The shapes used, as Microsoft documents them:
//!
//! - The list is the children of the Photos special folder, with their thumbnails:
//!   `GET {root}/me/drive/special/photos/children?$expand=thumbnails&$top=100`
//!   ([get a special folder](https://learn.microsoft.com/graph/api/drive-get-specialfolder),
//!   [list children](https://learn.microsoft.com/graph/api/driveitem-list-children)). The answer
//!   is `{"value": [driveItem, ...], "@odata.nextLink"?}`; the next page is the whole
//!   `@odata.nextLink` URL ([paging](https://learn.microsoft.com/graph/paging)), which is the
//!   page token the window passes back. The library fetches only page tokens it handed out
//!   (see [`library`](super::library)); a next link that is not under the Graph root is not
//!   handed out, and such a token is refused here too.
//! - A [driveItem](https://learn.microsoft.com/graph/api/resources/driveitem) is kept when it is
//!   an image: it has the `image` facet, or a `file` facet whose `mimeType` is `image/…`
//!   (folders and other files are skipped). Its `name` is the title, `image.width` and
//!   `image.height` the size, `photo.takenDateTime` (else `createdDateTime`) the date.
//! - The full image is `@microsoft.graph.downloadUrl`, a short-lived pre-authenticated URL:
//!   fetched **without** the Bearer token ([download](https://learn.microsoft.com/graph/api/driveitem-get-content)).
//!   An item listed without one is skipped.
//! - The thumbnail is the `medium` (176 px), else `large`, else `small` of the first
//!   [thumbnailSet](https://learn.microsoft.com/graph/api/resources/thumbnailset) in
//!   `thumbnails`; its `url` is fetched with the token only when it is on the Graph root's
//!   origin. An item without thumbnails shows its full image.
//! - Errors are `{"error": {"code", "message"}}` with the HTTP status
//!   ([errors](https://learn.microsoft.com/graph/errors)); throttling is a 429 with
//!   `Retry-After` ([throttling](https://learn.microsoft.com/graph/throttling)). The core
//!   retries 429 and 5xx as its policy allows, refreshes once on a 401, and never quotes the
//!   body, so the server's `message` is shown nowhere.

use photolink_oauth::ResourceResponse;
use serde::Deserialize;
use url::Url;

use super::api_root::ApiRoot;
use super::source::{Download, PhotoSource, SourcePage, SourcePhoto};
use crate::error::AppError;

/// Items per page asked for (Graph's `$top`).
const PAGE_SIZE: &str = "100";

/// OneDrive's Photos folder through the Graph root `root`.
pub struct MicrosoftGraph {
    root: ApiRoot,
}

impl MicrosoftGraph {
    pub fn new(root: Url) -> Self {
        Self {
            root: ApiRoot::new(root),
        }
    }

    fn photo(&self, item: DriveItem) -> Option<SourcePhoto> {
        let is_image = item.image.is_some()
            || item
                .file
                .as_ref()
                .and_then(|file| file.mime_type.as_deref())
                .is_some_and(|mime| mime.to_ascii_lowercase().starts_with("image/"));
        if !is_image || item.folder.is_some() {
            return None;
        }
        let image = Download::WithoutCredentials(Url::parse(item.download_url.as_deref()?).ok()?);
        let thumbnail = item
            .thumbnails
            .into_iter()
            .next()
            .and_then(|set| set.medium.or(set.large).or(set.small))
            .and_then(|thumbnail| Url::parse(&thumbnail.url?).ok())
            .map(|url| Download::listed(self.root.origin(), url))
            .unwrap_or_else(|| image.clone());
        let size = item.image.unwrap_or_default();
        Some(SourcePhoto {
            id: item.id,
            title: item.name,
            width: size.width,
            height: size.height,
            taken_at: item
                .photo
                .and_then(|photo| photo.taken_date_time)
                .or(item.created_date_time),
            thumbnail,
            image,
        })
    }
}

/// A page of a driveItem collection.
#[derive(Debug, Deserialize)]
struct Collection {
    value: Vec<DriveItem>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DriveItem {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    created_date_time: Option<String>,
    #[serde(default)]
    file: Option<FileFacet>,
    #[serde(default)]
    folder: Option<serde_json::Value>,
    #[serde(default)]
    image: Option<ImageFacet>,
    #[serde(default)]
    photo: Option<PhotoFacet>,
    #[serde(default)]
    thumbnails: Vec<ThumbnailSet>,
    #[serde(rename = "@microsoft.graph.downloadUrl", default)]
    download_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileFacet {
    #[serde(default)]
    mime_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ImageFacet {
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    height: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhotoFacet {
    #[serde(default)]
    taken_date_time: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ThumbnailSet {
    #[serde(default)]
    small: Option<Thumbnail>,
    #[serde(default)]
    medium: Option<Thumbnail>,
    #[serde(default)]
    large: Option<Thumbnail>,
}

#[derive(Debug, Deserialize)]
struct Thumbnail {
    #[serde(default)]
    url: Option<String>,
}

impl PhotoSource for MicrosoftGraph {
    fn page_url(&self, page_token: Option<&str>) -> Result<Url, AppError> {
        match page_token {
            None => {
                let mut url = self
                    .root
                    .url_under(&["me", "drive", "special", "photos", "children"]);
                url.query_pairs_mut()
                    .append_pair("$expand", "thumbnails")
                    .append_pair("$top", PAGE_SIZE);
                Ok(url)
            }
            Some(next_link) => Url::parse(next_link)
                .ok()
                .filter(|url| self.root.contains(url))
                .ok_or_else(|| {
                    AppError::PhotoList("a next page that is not under the Graph root".into())
                }),
        }
    }

    fn read_page(&self, answer: &ResourceResponse) -> Result<SourcePage, AppError> {
        let page: Collection = answer.json()?;
        let next_page_token = page
            .next_link
            .filter(|link| Url::parse(link).is_ok_and(|url| self.root.contains(&url)));
        Ok(SourcePage {
            photos: page
                .value
                .into_iter()
                .filter_map(|item| self.photo(item))
                .collect(),
            next_page_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::photos::source::tests::answer;

    fn graph() -> MicrosoftGraph {
        MicrosoftGraph::new(Url::parse("https://graph.example/v1.0").unwrap())
    }

    #[test]
    fn the_first_page_is_the_photos_folders_children_with_thumbnails() {
        assert_eq!(
            graph().page_url(None).unwrap().as_str(),
            "https://graph.example/v1.0/me/drive/special/photos/children?%24expand=thumbnails&%24top=100"
        );
    }

    #[test]
    fn a_next_page_must_be_under_the_graph_root() {
        let next = "https://graph.example/v1.0/me/drive/special/photos/children?$skiptoken=x";
        assert_eq!(graph().page_url(Some(next)).unwrap().as_str(), next);
        for foreign in [
            "https://evil.example/v1.0/me/drive/special/photos/children",
            "http://graph.example/v1.0/me/drive",
            "https://graph.example/v1.0evil/me",
            "https://graph.example/beta/me/drive",
            "not a url",
        ] {
            assert!(graph().page_url(Some(foreign)).is_err(), "{foreign}");
        }
        let page = graph()
            .read_page(&answer(
                r#"{"value":[],"@odata.nextLink":"https://evil.example/v1.0/next"}"#,
            ))
            .unwrap();
        assert_eq!(page.next_page_token, None);
    }

    #[test]
    fn images_are_kept_and_downloads_go_without_the_token() {
        let page = graph()
            .read_page(&answer(
                r#"{"value":[
                {"id":"F","name":"Camera Roll","folder":{"childCount":3}},
                {"id":"D","name":"notes.txt","file":{"mimeType":"text/plain"},
                 "@microsoft.graph.downloadUrl":"https://dl.example/D"},
                {"id":"N","name":"no-url.jpg","file":{"mimeType":"image/jpeg"}},
                {"id":"A","name":"Sea.jpg","file":{"mimeType":"image/jpeg"},
                 "image":{"width":4000,"height":3000},
                 "photo":{"takenDateTime":"2024-05-01T10:00:00Z"},
                 "createdDateTime":"2024-06-01T00:00:00Z",
                 "@microsoft.graph.downloadUrl":"https://dl.example/A?tempauth=t",
                 "thumbnails":[{"id":"0",
                   "small":{"url":"https://th.example/A/s","width":48,"height":48},
                   "medium":{"url":"https://graph.example/v1.0/A/m","width":176,"height":132}}]},
                {"id":"B","name":"Hill.png","image":{},
                 "createdDateTime":"2024-06-02T00:00:00Z",
                 "@microsoft.graph.downloadUrl":"https://dl.example/B",
                 "thumbnails":[]}
                ],"@odata.nextLink":"https://graph.example/v1.0/me/drive/special/photos/children?$skiptoken=2"}"#,
            ))
            .unwrap();
        let ids: Vec<_> = page.photos.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["A", "B"]);
        let url = |text: &str| Url::parse(text).unwrap();
        let sea = &page.photos[0];
        assert_eq!(
            sea.image,
            Download::WithoutCredentials(url("https://dl.example/A?tempauth=t"))
        );
        assert_eq!(
            sea.thumbnail,
            Download::WithToken(url("https://graph.example/v1.0/A/m"))
        );
        assert_eq!((sea.width, sea.height), (Some(4000), Some(3000)));
        assert_eq!(sea.taken_at.as_deref(), Some("2024-05-01T10:00:00Z"));
        let hill = &page.photos[1];
        assert_eq!(hill.thumbnail, hill.image, "no thumbnail: the image");
        assert_eq!(hill.taken_at.as_deref(), Some("2024-06-02T00:00:00Z"));
        assert_eq!(
            page.next_page_token.as_deref(),
            Some("https://graph.example/v1.0/me/drive/special/photos/children?$skiptoken=2")
        );
    }

    #[test]
    fn a_thumbnail_on_another_origin_is_fetched_without_the_token() {
        let page = graph()
            .read_page(&answer(
                r#"{"value":[{"id":"A","image":{},
                 "@microsoft.graph.downloadUrl":"https://dl.example/A",
                 "thumbnails":[{"id":"0","large":{"url":"https://th.example/A/l"}}]}]}"#,
            ))
            .unwrap();
        assert_eq!(
            page.photos[0].thumbnail,
            Download::WithoutCredentials(Url::parse("https://th.example/A/l").unwrap())
        );
        assert_eq!(page.next_page_token, None);
    }

    mod properties {
        use photolink_oauth::Error as OAuthError;
        use proptest::prelude::*;
        use serde_json::json;

        use super::*;
        use crate::photos::source::tests::{
            answer_of, any_bytes, any_link, any_text, origin, tokens_stay_on,
        };

        const API: &str = "https://graph.example";

        fn thumbnail() -> impl Strategy<Value = serde_json::Value> {
            proptest::option::of(any_link(API)).prop_map(|url| json!({"url": url}))
        }

        fn drive_item() -> impl Strategy<Value = serde_json::Value> {
            (
                (any_text(40), proptest::option::of(any_text(300))),
                proptest::option::of(prop_oneof![
                    Just("image/jpeg".to_owned()),
                    Just("IMAGE/PNG".to_owned()),
                    any_text(20),
                ]),
                any::<(bool, bool)>(),
                proptest::option::of(any_link(API)),
                proptest::collection::vec(
                    (thumbnail(), thumbnail(), thumbnail()),
                    0..3,
                ),
                proptest::option::of(any_text(60)),
            )
                .prop_map(|((id, name), mime, (image, folder), download, sets, taken)| {
                    let mut item = json!({"id": id, "name": name,
                        "thumbnails": sets.into_iter().map(|(small, medium, large)|
                            json!({"small": small, "medium": medium, "large": large})).collect::<Vec<_>>(),
                        "photo": {"takenDateTime": taken},
                        "@microsoft.graph.downloadUrl": download});
                    if let Some(mime) = mime {
                        item["file"] = json!({"mimeType": mime});
                    }
                    if image {
                        item["image"] = json!({"width": 1, "height": 2});
                    }
                    if folder {
                        item["folder"] = json!({"childCount": 1});
                    }
                    item
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_bytes_are_read_or_refused_as_an_unusable_answer(body in any_bytes()) {
                match graph().read_page(&answer_of(body)) {
                    Ok(page) => prop_assert!(tokens_stay_on(&page, &origin(API))),
                    Err(error) => prop_assert!(
                        matches!(error, AppError::OAuth(OAuthError::UnexpectedResponse { status: 200, .. })),
                        "{error:?}"
                    ),
                }
            }

            #[test]
            fn only_images_with_a_download_are_kept_and_the_next_page_stays_under_the_root(
                items in proptest::collection::vec(drive_item(), 0..12),
                next in any_link(API),
            ) {
                let body = json!({"value": items, "@odata.nextLink": next}).to_string();
                let graph = graph();
                let page = graph.read_page(&answer_of(body.into_bytes())).unwrap();
                prop_assert!(tokens_stay_on(&page, &origin(API)));
                prop_assert!(page.photos.len() <= items.len());
                for photo in &page.photos {
                    prop_assert!(matches!(photo.image, Download::WithoutCredentials(_)));
                }
                if let Some(token) = &page.next_page_token {
                    prop_assert!(graph.root.contains(&Url::parse(token).unwrap()), "{token}");
                    prop_assert_eq!(graph.page_url(Some(token)).unwrap(), Url::parse(token).unwrap());
                }
            }

            #[test]
            fn a_page_token_outside_the_root_is_never_a_page_url(token in any_link(API)) {
                let graph = graph();
                if let Ok(url) = graph.page_url(Some(&token)) {
                    prop_assert!(graph.root.contains(&url), "{token}");
                }
            }
        }
    }
}
