//! The seam between PhotoLink and a photo API: [`PhotoSource`] says how to ask for a page of
//! the account's photos, how to read the answer, and how each photo's renditions are fetched.
//! It does no I/O itself: the [`PhotoLibrary`](super::PhotoLibrary) makes every request, so
//! the rules about where the Bearer token may go are enforced in one place for every API.

use photolink_oauth::ResourceResponse;
use serde::{Deserialize, Serialize};
use url::{Origin, Url};

use super::details::{self, TakenAt};
use crate::error::AppError;

/// The longest page token handed out; a page naming a longer one is the last. A source whose
/// tokens carry state of its own keeps them within it.
pub const PAGE_TOKEN_MAX_BYTES: usize = 8 * 1024;

/// A photo API, as the [`PhotoLibrary`](super::PhotoLibrary) uses it.
pub trait PhotoSource: Send + Sync {
    /// The URL of the page `page_token` names, or of the first page for `None`. The library
    /// fetches it with the Bearer token, so it must be on the photos endpoint's origin; a
    /// token this source never handed out is an error.
    fn page_url(&self, page_token: Option<&str>) -> Result<Url, AppError>;

    /// The photos in the answer to the request for the page `page_token` names, and the next
    /// page's token.
    fn read_page(
        &self,
        page_token: Option<&str>,
        answer: &ResourceResponse,
    ) -> Result<SourcePage, AppError>;

    /// What to show instead when the page `page_token` names answered 404 or 410, or `None`
    /// when that is an error. A source whose list spans several collections skips one that went
    /// away (a folder deleted while it was being listed); a single list has nothing to skip to.
    fn instead_of_missing(&self, _page_token: Option<&str>) -> Option<SourcePage> {
        None
    }

    /// The origins besides the photo API's that the service documents as wanting the Bearer
    /// token for a photo's renditions (Google Drive's thumbnail links). The library sends the
    /// token for renditions there too, and for nothing else anywhere else.
    fn rendition_token_origins(&self) -> &[Origin] {
        &[]
    }

    /// How to follow the library's changes instead of listing it page by page, for a service
    /// that can say what changed since a link it handed out (Graph's `delta`); `None` for one
    /// that cannot.
    fn delta(&self) -> Option<&dyn DeltaSource> {
        None
    }
}

/// Where the Bearer token may go for a photo's renditions: the photo API's origin, and the
/// origins its source names ([`PhotoSource::rendition_token_origins`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOrigins {
    api: Origin,
    renditions: Vec<Origin>,
}

impl TokenOrigins {
    /// The photo API's origin only.
    pub fn api(api: &Origin) -> Self {
        Self {
            api: api.clone(),
            renditions: Vec::new(),
        }
    }

    /// These, and the renditions at `origins` too.
    pub fn with_renditions_at(mut self, origins: &[Origin]) -> Self {
        self.renditions.extend_from_slice(origins);
        self
    }

    /// Whether the token may go to `url` for a photo's rendition: on the photo API's origin or
    /// a rendition origin. (A page goes to the photo API's origin only: [`Self::is_api`].)
    pub fn take_rendition(&self, url: &Url) -> bool {
        let origin = url.origin();
        origin == self.api || self.renditions.contains(&origin)
    }

    /// The origins of renditions besides the photo API's.
    pub fn renditions(&self) -> &[Origin] {
        &self.renditions
    }

    /// Whether `url` is on the photo API's origin.
    pub fn is_api(&self, url: &Url) -> bool {
        url.origin() == self.api
    }
}

/// A photo API that can list a folder's whole contents, then only what changed since
/// (see [`SavedLibrary`](super::delta::SavedLibrary)). Like [`PhotoSource`], it does no I/O:
/// the library fetches every URL it names with the Bearer token, after checking its origin.
pub trait DeltaSource: Send + Sync {
    /// The folders whose changes are followed, each by the URL of its own item, in the order
    /// they are asked for. The first is required; a later one that answers 404 or 410 is not
    /// there, and skipped.
    fn folders(&self) -> Vec<Url>;

    /// What the answer for one of [`folders`](Self::folders) says of it.
    fn read_folder(&self, answer: &ResourceResponse) -> Result<DeltaFolder, AppError>;

    /// The first page of the folder `id`'s whole contents.
    fn delta_url(&self, id: &str) -> Result<Url, AppError>;

    /// A link this source handed out (a next page, or a saved link to the changes), as a URL
    /// to fetch with the token; `None` for one it would not hand out.
    fn delta_link(&self, link: &str) -> Option<Url>;

    /// The changes in one page of a folder's contents or changes.
    fn read_delta(&self, answer: &ResourceResponse) -> Result<DeltaPage, AppError>;

    /// The URL of the photo `id` itself: how its renditions are fetched now, when the
    /// pre-authenticated links saved with it have expired.
    fn photo_url(&self, id: &str) -> Result<Url, AppError>;

    /// The photo in the answer for [`photo_url`](Self::photo_url); `None` when the item is no
    /// photo (any more).
    fn read_photo(&self, answer: &ResourceResponse) -> Result<Option<SourcePhoto>, AppError>;
}

/// One of the folders a [`DeltaSource`] follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaFolder {
    /// The service's id of the folder.
    pub id: String,
    /// Whether the service follows changes on it (Graph: only on a personal OneDrive).
    pub follows_changes: bool,
}

/// One page of a folder's contents or changes.
#[derive(Debug)]
pub struct DeltaPage {
    pub changes: Vec<Change>,
    pub next: DeltaNext,
}

/// What comes after a [`DeltaPage`].
#[derive(Debug, PartialEq, Eq)]
pub enum DeltaNext {
    /// The rest of the changes, at this URL (under the API's root).
    More(Url),
    /// No more for now; this link (under the API's root) gives the changes from here on.
    Done(Url),
}

/// One item of a [`DeltaPage`]: as it is now, or gone. The same item may come more than once;
/// the last one counts.
#[derive(Debug)]
pub enum Change {
    /// A photo, new or changed, in the folder `parent`.
    Photo {
        photo: Box<SourcePhoto>,
        parent: Option<String>,
    },
    /// A folder, new or changed (moved), in the folder `parent`.
    Folder { id: String, parent: Option<String> },
    /// An item deleted, or moved out of the folders followed: a photo, or a folder with all
    /// it held.
    Removed { id: String },
}

/// One page of the list, as a source read it (and as the cache saves it).
#[derive(Debug, Serialize, Deserialize)]
pub struct SourcePage {
    pub photos: Vec<SourcePhoto>,
    /// The token of the next page; `None` on the last page.
    pub next_page_token: Option<String>,
    /// The service lists the photos newest first, across pages (a list saved by an earlier
    /// PhotoLink says nothing of its order).
    #[serde(default)]
    pub newest_first: bool,
}

/// One photo, as a source read it. The title is the server's text, unchecked: the library
/// sanitises it before the window sees it. The date and sizes were read strictly
/// ([`details`](super::details)).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourcePhoto {
    /// The service's id of the photo; never shown to the window.
    pub id: String,
    pub title: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// When the photo was taken (or, failing that, created). A list saved by an earlier
    /// PhotoLink may hold a date written otherwise: it is read again, and no date if it is not
    /// one now.
    #[serde(default, deserialize_with = "details::saved_taken_at")]
    pub taken_at: Option<TakenAt>,
    /// The size of the full image's file, in bytes.
    #[serde(default)]
    pub bytes: Option<u64>,
    pub thumbnail: Download,
    pub image: Download,
}

/// How one rendition of a photo is fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Download {
    /// From the photo API itself, with the Bearer token. The library refuses such a URL
    /// unless it is on the photos endpoint's origin.
    WithToken(Url),
    /// A pre-authenticated URL the service handed out, fetched with no credentials at all.
    WithoutCredentials(Url),
}

impl Download {
    /// A URL the service listed for a rendition: fetched with the token where `token_origins`
    /// allow it, else taken for a pre-authenticated URL and fetched without credentials.
    pub fn listed(token_origins: &TokenOrigins, url: Url) -> Self {
        if token_origins.take_rendition(&url) {
            Self::WithToken(url)
        } else {
            Self::WithoutCredentials(url)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use photolink_oauth::ResourceResponse;
    use proptest::prelude::*;
    use url::{Origin, Url};

    use super::{Download, SourcePage, TokenOrigins};

    /// Any bytes, empty to past a page of a real list.
    pub(crate) fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..4096)
    }

    /// Any text: every Unicode scalar value, with control and invisible characters and URL
    /// punctuation made likely, up to `max_chars` characters.
    pub(crate) fn any_text(max_chars: usize) -> impl Strategy<Value = String> {
        let char = prop_oneof![
            3 => any::<char>(),
            1 => proptest::sample::select(vec![
                '\0', '\n', '\t', '\u{7f}', '\u{85}', '\u{200B}', '\u{202E}', '\u{2066}',
                '\u{FEFF}', ' ', '/', '.', '%', '?', '#', '@', ':', '\\',
            ]),
        ];
        proptest::collection::vec(char, 0..=max_chars).prop_map(String::from_iter)
    }

    /// A URL-ish string: absolute on one of a few origins (the API's among them), relative,
    /// or any text.
    pub(crate) fn any_link(api_origin: &'static str) -> impl Strategy<Value = String> {
        prop_oneof![
            (
                proptest::sample::select(vec![
                    api_origin,
                    "https://evil.example",
                    "http://127.0.0.1:1",
                    "https://dl.example",
                ]),
                "[a-zA-Z0-9/._%?&=$~-]{0,40}",
            )
                .prop_map(|(origin, path)| format!("{origin}/{path}")),
            "[a-zA-Z0-9/._%?&=$~-]{0,40}",
            any_text(60),
        ]
    }

    /// Whether every rendition of `page` fetched with the token stays on `api_origin`.
    pub(crate) fn tokens_stay_on(page: &SourcePage, api_origin: &Origin) -> bool {
        tokens_stay_within(page, &TokenOrigins::api(api_origin))
    }

    /// Whether every rendition of `page` fetched with the token goes where `origins` allow.
    pub(crate) fn tokens_stay_within(page: &SourcePage, origins: &TokenOrigins) -> bool {
        page.photos.iter().all(|photo| {
            [&photo.thumbnail, &photo.image]
                .into_iter()
                .all(|download| match download {
                    Download::WithToken(url) => origins.take_rendition(url),
                    Download::WithoutCredentials(_) => true,
                })
        })
    }

    /// A 200 answer of any bytes, typed as JSON.
    pub(crate) fn answer_of(body: Vec<u8>) -> ResourceResponse {
        ResourceResponse {
            status: 200,
            content_type: Some("application/json".into()),
            body,
        }
    }

    /// `url`'s origin.
    pub(crate) fn origin(url: &str) -> Origin {
        Url::parse(url).unwrap().origin()
    }

    /// A photo's date taken, width, height and bytes, as a source read them.
    pub(crate) type Details<'a> = (Option<&'a str>, Option<u32>, Option<u32>, Option<u64>);

    /// What a source read of each photo of `page` besides its renditions.
    pub(crate) fn details_read(page: &SourcePage) -> Vec<Details<'_>> {
        page.photos
            .iter()
            .map(|photo| {
                let taken_at = photo.taken_at.as_ref().map(|taken| taken.as_str());
                (taken_at, photo.width, photo.height, photo.bytes)
            })
            .collect()
    }

    #[test]
    fn the_token_goes_to_a_rendition_origin_for_renditions_only() {
        let origins = TokenOrigins::api(&origin("https://api.example"))
            .with_renditions_at(&[origin("https://thumbs.example")]);
        let url = |text: &str| Url::parse(text).unwrap();
        assert!(origins.is_api(&url("https://api.example/v1/list")));
        assert!(origins.take_rendition(&url("https://api.example/v1/p/1")));
        assert!(origins.take_rendition(&url("https://thumbs.example/p1=s220")));
        assert!(
            !origins.is_api(&url("https://thumbs.example/v1/list")),
            "a page only on the API's origin"
        );
        for elsewhere in [
            "http://thumbs.example/p1",
            "https://thumbs.example:8443/p1",
            "https://thumbs.example.evil.example/p1",
            "https://evil.example/thumbs.example/p1",
        ] {
            assert!(!origins.take_rendition(&url(elsewhere)), "{elsewhere}");
            assert_eq!(
                Download::listed(&origins, url(elsewhere)),
                Download::WithoutCredentials(url(elsewhere))
            );
        }
    }

    /// A photo API's 200 JSON answer, as the adapters' tests read pages from it.
    pub(crate) fn answer(json: &str) -> ResourceResponse {
        ResourceResponse {
            status: 200,
            content_type: Some("application/json".into()),
            body: json.as_bytes().to_vec(),
        }
    }
}
