//! The `google-drive` source: the images in a person's Google Drive, through the Drive API v3.
//! `photos_endpoint` is the API root, `https://www.googleapis.com/drive/v3`; the scope
//! `https://www.googleapis.com/auth/drive.readonly` is needed for the image content (the
//! metadata-only scopes leave `thumbnailLink` out and refuse `alt=media`).
//!
//! The shapes used, as Google documents them:
//!
//! - The list is [`files.list`](https://developers.google.com/drive/api/reference/rest/v3/files/list):
//!   `GET {root}/files?q=mimeType contains 'image/' and trashed=false&spaces=drive&orderBy=createdTime desc&pageSize=100&fields=nextPageToken,files(id,name,mimeType,thumbnailLink,size,imageMediaMetadata(width,height,time),createdTime)`
//!   ([search for files](https://developers.google.com/drive/api/guides/search-files),
//!   [return specific fields](https://developers.google.com/drive/api/guides/fields-parameter)).
//!   The answer is `{"files": [file, ...], "nextPageToken"?}`; the next page repeats the request
//!   with `pageToken`.
//!   The order is newest first by `createdTime` (when the file reached Drive): `orderBy` offers
//!   no date taken, so a photo uploaded long after it was taken comes among its upload's time.
//! - A [file](https://developers.google.com/drive/api/reference/rest/v3/files)'s `name` is the
//!   title, `imageMediaMetadata.width`/`height` the size in pixels, `size` the file's bytes (an
//!   int64, written as a decimal string), `imageMediaMetadata.time` (EXIF
//!   `YYYY:MM:DD HH:MM:SS`, a local time, shown as `YYYY-MM-DDTHH:MM:SS`) else `createdTime`
//!   (RFC 3339) the date; each read strictly ([`details`](super::details)).
//! - The full image is `GET {root}/files/{id}?alt=media`, with the Bearer token
//!   ([download files](https://developers.google.com/drive/api/guides/manage-downloads)).
//! - The thumbnail is `thumbnailLink`, a short-lived URL on another origin. Google documents
//!   that the link of a file not shared publicly "must be fetched using a credentialed
//!   request", so a link on the thumbnail host, [`THUMBNAIL_ORIGIN`]
//!   (`https://lh3.googleusercontent.com`, where Drive's answers put them:
//!   `…/drive-storage/…=s220`; the reference names no host), is fetched with the Bearer
//!   token: the one origin besides the API root's that Drive's token goes to, and only for a
//!   photo's renditions. A link anywhere else is fetched without credentials, and when it is
//!   refused the library shows the full image instead (see [`library`](super::library)); so
//!   does a file without a `thumbnailLink`.
//! - Errors are `{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}`
//!   with the HTTP status ([resolve errors](https://developers.google.com/drive/api/guides/handle-errors)):
//!   401 `authError` (the core refreshes once), 429 `rateLimitExceeded` and 5xx (retried by the
//!   core, honouring `Retry-After`), 403 `userRateLimitExceeded` (not retried: a 403 is a
//!   refusal to the core). The body is never quoted.

use photolink_oauth::ResourceResponse;
use serde::Deserialize;
use url::{Origin, Url};

use super::api_root::ApiRoot;
use super::details::{self, TakenAt};
use super::source::{Download, PhotoSource, SourcePage, SourcePhoto, TokenOrigins};
use crate::error::AppError;

/// The `q` of `files.list`: images not in the trash.
const QUERY: &str = "mimeType contains 'image/' and trashed=false";
/// The `fields` of `files.list`: what PhotoLink reads, nothing more.
const FIELDS: &str = "nextPageToken,files(id,name,mimeType,thumbnailLink,size,imageMediaMetadata(width,height,time),createdTime)";
/// Files per page asked for (`pageSize`).
const PAGE_SIZE: &str = "100";

/// The origin of Drive's thumbnail links, which take the Bearer token.
pub const THUMBNAIL_ORIGIN: &str = "https://lh3.googleusercontent.com";

/// The images in Google Drive through the Drive API root `root`.
pub struct GoogleDrive {
    root: ApiRoot,
    /// The API root's origin and the thumbnail host's.
    token_origins: TokenOrigins,
}

impl GoogleDrive {
    pub fn new(root: Url) -> Self {
        let thumbnails = Url::parse(THUMBNAIL_ORIGIN).expect("a URL").origin();
        Self::with_thumbnails_at(root, thumbnails)
    }

    /// Drive at `root`, whose thumbnail links at `thumbnails` take the token.
    fn with_thumbnails_at(root: Url, thumbnails: Origin) -> Self {
        let root = ApiRoot::new(root);
        let token_origins = TokenOrigins::api(root.origin()).with_renditions_at(&[thumbnails]);
        Self {
            root,
            token_origins,
        }
    }

    /// Drive at a fixture's `root`, whose thumbnail links at `thumbnails` take the token, as
    /// the real thumbnail host's do.
    #[cfg(test)]
    pub(crate) fn with_fixture_thumbnails_at(root: Url, thumbnails: Origin) -> Self {
        Self::with_thumbnails_at(root, thumbnails)
    }

    /// The photo `file` is; `None` for an id that is no path segment (empty, `.` or `..`),
    /// whose content could not be asked for.
    fn photo(&self, file: File) -> Option<SourcePhoto> {
        if matches!(file.id.as_str(), "" | "." | "..") {
            return None;
        }
        let mut content = self.root.url_under(&["files", &file.id]);
        content.query_pairs_mut().append_pair("alt", "media");
        let image = Download::WithToken(content);
        let thumbnail = file
            .thumbnail_link
            .as_deref()
            .and_then(|link| Url::parse(link).ok())
            .map(|url| Download::listed(&self.token_origins, url))
            .unwrap_or_else(|| image.clone());
        let metadata = file.image_media_metadata.unwrap_or_default();
        Some(SourcePhoto {
            id: file.id,
            title: file.name,
            width: metadata.width,
            height: metadata.height,
            taken_at: metadata
                .time
                .as_deref()
                .and_then(TakenAt::exif)
                .or_else(|| file.created_time.as_deref().and_then(TakenAt::rfc3339)),
            bytes: file.size,
            thumbnail,
            image,
        })
    }
}

/// A `files.list` answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileList {
    #[serde(default)]
    files: Vec<File>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    thumbnail_link: Option<String>,
    #[serde(default)]
    image_media_metadata: Option<ImageMediaMetadata>,
    #[serde(default, deserialize_with = "details::text")]
    created_time: Option<String>,
    /// The file's size in bytes, an int64 written as a decimal string.
    #[serde(default, deserialize_with = "details::bytes")]
    size: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct ImageMediaMetadata {
    #[serde(default, deserialize_with = "details::pixels")]
    width: Option<u32>,
    #[serde(default, deserialize_with = "details::pixels")]
    height: Option<u32>,
    #[serde(default, deserialize_with = "details::text")]
    time: Option<String>,
}

impl PhotoSource for GoogleDrive {
    fn page_url(&self, page_token: Option<&str>) -> Result<Url, AppError> {
        let mut url = self.root.url_under(&["files"]);
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("q", QUERY)
                .append_pair("spaces", "drive")
                .append_pair("orderBy", "createdTime desc")
                .append_pair("pageSize", PAGE_SIZE)
                .append_pair("fields", FIELDS);
            if let Some(token) = page_token {
                query.append_pair("pageToken", token);
            }
        }
        Ok(url)
    }

    fn read_page(
        &self,
        _page_token: Option<&str>,
        answer: &ResourceResponse,
    ) -> Result<SourcePage, AppError> {
        let list: FileList = answer.json().map_err(AppError::UnreadableList)?;
        Ok(SourcePage {
            photos: list
                .files
                .into_iter()
                .filter_map(|file| self.photo(file))
                .collect(),
            next_page_token: list.next_page_token.filter(|t| !t.is_empty()),
            // `orderBy=createdTime desc`: newest first, by when the files reached Drive.
            newest_first: true,
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

    fn drive() -> GoogleDrive {
        GoogleDrive::new(Url::parse("https://drive.example/drive/v3").unwrap())
    }

    fn query(url: &Url, name: &str) -> Option<String> {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    #[test]
    fn pages_ask_for_images_not_in_the_trash_with_only_the_fields_read() {
        let first = drive().page_url(None).unwrap();
        assert_eq!(first.path(), "/drive/v3/files");
        assert_eq!(query(&first, "q").as_deref(), Some(QUERY));
        assert_eq!(query(&first, "fields").as_deref(), Some(FIELDS));
        assert_eq!(query(&first, "pageSize").as_deref(), Some("100"));
        assert_eq!(query(&first, "pageToken"), None);
        let next = drive().page_url(Some("t&2")).unwrap();
        assert_eq!(query(&next, "pageToken").as_deref(), Some("t&2"));
        assert_eq!(query(&next, "q").as_deref(), Some(QUERY));
    }

    #[test]
    fn the_image_comes_with_the_token_and_the_thumbnail_link_without() {
        let page = drive()
            .read_page(
                None,
                &answer(
                    r#"{"files":[
                {"id":"a/1","name":"Sea.jpg","mimeType":"image/jpeg",
                 "thumbnailLink":"https://thumbs.example/a1=s220",
                 "imageMediaMetadata":{"width":4000,"height":3000,"time":"2019:03:14 10:00:00"},
                 "createdTime":"2024-01-01T00:00:00.000Z"},
                {"id":"b","name":"Hill.png","mimeType":"image/png",
                 "imageMediaMetadata":{"time":"sometime"},
                 "createdTime":"2024-01-02T00:00:00.000Z"}
                ],"nextPageToken":"p2"}"#,
                ),
            )
            .unwrap();
        let url = |text: &str| Url::parse(text).unwrap();
        let sea = &page.photos[0];
        assert_eq!(
            sea.image,
            Download::WithToken(url("https://drive.example/drive/v3/files/a%2F1?alt=media"))
        );
        assert_eq!(
            sea.thumbnail,
            Download::WithoutCredentials(url("https://thumbs.example/a1=s220"))
        );
        assert_eq!((sea.width, sea.height), (Some(4000), Some(3000)));
        assert_eq!(
            sea.taken_at.as_ref().map(TakenAt::as_str),
            Some("2019-03-14T10:00:00")
        );
        let hill = &page.photos[1];
        assert_eq!(hill.thumbnail, hill.image, "no thumbnail link: the image");
        assert_eq!(
            hill.taken_at.as_ref().map(TakenAt::as_str),
            Some("2024-01-02T00:00:00Z"),
            "no EXIF time: the creation time"
        );
        assert_eq!(page.next_page_token.as_deref(), Some("p2"));
    }

    #[test]
    fn only_a_thumbnail_link_on_the_thumbnail_host_takes_the_token() {
        let links = [
            (
                "https://lh3.googleusercontent.com/drive-storage/AJQ=s220",
                true,
            ),
            (
                "https://lh3.googleusercontent.com:443/drive-storage/a=s220",
                true,
            ),
            (
                "http://lh3.googleusercontent.com/drive-storage/a=s220",
                false,
            ),
            (
                "https://lh3.googleusercontent.com:8443/drive-storage/a=s220",
                false,
            ),
            (
                "https://lh3.googleusercontent.com.evil.example/a=s220",
                false,
            ),
            ("https://lh4.googleusercontent.com/a=s220", false),
            (
                "https://evil.example/lh3.googleusercontent.com/a=s220",
                false,
            ),
        ];
        for (link, with_token) in links {
            let body = format!(r#"{{"files":[{{"id":"a","thumbnailLink":"{link}"}}]}}"#);
            let page = drive().read_page(None, &answer(&body)).unwrap();
            let url = Url::parse(link).unwrap();
            let expected = if with_token {
                Download::WithToken(url)
            } else {
                Download::WithoutCredentials(url)
            };
            assert_eq!(page.photos[0].thumbnail, expected, "{link}");
        }
        assert_eq!(
            drive().rendition_token_origins(),
            [Url::parse(THUMBNAIL_ORIGIN).unwrap().origin()]
        );
    }

    #[test]
    fn a_file_whose_id_is_no_path_segment_is_skipped() {
        let page = drive()
            .read_page(
                None,
                &answer(r#"{"files":[{"id":".."},{"id":"."},{"id":""},{"id":"ok"}]}"#),
            )
            .unwrap();
        let ids: Vec<_> = page.photos.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["ok"], "`..` would make the image the list itself");
    }

    #[test]
    fn the_date_is_the_exif_time_else_the_creation_time_and_sizes_are_read_strictly() {
        // A file resource in the shapes Google documents: `size` an int64 as a decimal string,
        // `imageMediaMetadata.time` EXIF's `YYYY:MM:DD HH:MM:SS`, `createdTime` RFC 3339.
        let page = drive()
            .read_page(
                None,
                &answer(
                    r#"{"files":[
                {"id":"a","name":"Lake.jpg","mimeType":"image/jpeg","size":"2495381",
                 "imageMediaMetadata":{"width":4032,"height":3024,"time":"2023:07:14 18:22:05"},
                 "createdTime":"2023-07-15T09:12:44.123Z"},
                {"id":"b","name":"Scan.png","mimeType":"image/png","size":"0",
                 "imageMediaMetadata":{"width":-1,"height":"3024","time":"0000:00:00 00:00:00"},
                 "createdTime":"2023-02-30T09:12:44.123Z"},
                {"id":"c","name":"Old.png","mimeType":"image/png","size":12,
                 "imageMediaMetadata":{"time":"2023:02:30 10:00:00"},
                 "createdTime":"2021-06-01T08:00:00Z"}
                ]}"#,
                ),
            )
            .unwrap();
        assert_eq!(
            details_read(&page),
            [
                (
                    Some("2023-07-14T18:22:05"),
                    Some(4032),
                    Some(3024),
                    Some(2_495_381)
                ),
                (None, None, None, None),
                (Some("2021-06-01T08:00:00Z"), None, None, Some(12)),
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

        const API: &str = "https://drive.example";

        fn file() -> impl Strategy<Value = serde_json::Value> {
            (
                prop_oneof![
                    4 => any_text(40),
                    1 => proptest::sample::select(vec!["", ".", "..", "a/b", "%2e%2e"]).prop_map(str::to_owned),
                ],
                proptest::option::of(any_text(300)),
                proptest::option::of(any_link(API)),
                proptest::option::of(prop_oneof![exif(), any_text(30)]),
                proptest::option::of(any_text(40)),
            )
                .prop_map(|(id, name, thumbnail, time, created)| {
                    json!({"id": id, "name": name, "thumbnailLink": thumbnail,
                           "imageMediaMetadata": {"width": 3, "time": time},
                           "createdTime": created})
                })
        }

        fn exif() -> impl Strategy<Value = String> {
            "[0-9]{4}:[0-9]{2}:[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_bytes_are_read_or_refused_as_an_unusable_answer(body in any_bytes()) {
                let drive = drive();
                match drive.read_page(None, &answer_of(body)) {
                    Ok(page) => prop_assert!(tokens_stay_within(&page, &drive.token_origins)),
                    Err(error) => prop_assert!(
                        matches!(error, AppError::UnreadableList(OAuthError::UnexpectedResponse { status: 200, .. })),
                        "{error:?}"
                    ),
                }
            }

            #[test]
            fn every_file_is_kept_and_its_image_is_its_own_content_under_the_root(
                files in proptest::collection::vec(file(), 0..12),
                next in proptest::option::of(any_text(100)),
            ) {
                let body = json!({"files": files, "nextPageToken": next}).to_string();
                let drive = drive();
                let page = drive.read_page(None, &answer_of(body.into_bytes())).unwrap();
                let addressable = files
                    .iter()
                    .filter(|file| !matches!(file["id"].as_str(), Some("" | "." | "..")))
                    .count();
                prop_assert_eq!(page.photos.len(), addressable);
                prop_assert!(tokens_stay_within(&page, &drive.token_origins));
                for photo in &page.photos {
                    let Download::WithToken(image) = &photo.image else {
                        return Err(TestCaseError::fail("the image is fetched with the token"));
                    };
                    let segments: Vec<_> = image.path_segments().unwrap().collect();
                    prop_assert_eq!(segments.len(), 4, "{}", image);
                    prop_assert_eq!(&segments[..3], &["drive", "v3", "files"]);
                    prop_assert_eq!(image.query(), Some("alt=media"));
                }
                prop_assert_eq!(page.next_page_token, next.filter(|token| !token.is_empty()));
            }

            #[test]
            fn a_page_token_only_ever_fills_the_page_token_parameter(token in any_text(300)) {
                let url = drive().page_url(Some(&token)).unwrap();
                prop_assert_eq!(url.origin(), origin(API));
                prop_assert_eq!(url.path(), "/drive/v3/files");
                let tokens: Vec<_> = url.query_pairs().filter(|(key, _)| key == "pageToken").map(|(_, value)| value.into_owned()).collect();
                prop_assert_eq!(tokens, vec![token]);
            }
        }
    }
}
