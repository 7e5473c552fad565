//! The `microsoft-graph` source: the photos in a person's OneDrive, through Microsoft Graph
//! v1.0. `photos_endpoint` is the Graph root, `https://graph.microsoft.com/v1.0`; the
//! delegated permission `Files.Read` is enough.
//!
//! # What is listed, and how
//!
//! Every image at any depth under two special folders
//! ([get a special folder](https://learn.microsoft.com/graph/api/drive-get-specialfolder)):
//! the Camera Roll (`cameraroll`, where the phone apps upload, usually into year and month
//! folders) and the Photos folder (`photos`, which usually holds the Camera Roll). Two ways:
//!
//! - **Through `delta`, on a personal OneDrive** ([`DeltaSource`]): the library reads each
//!   special folder's item (`GET {root}/me/drive/special/{name}`: its `id`, and
//!   `parentReference.driveType`), then, when the drive is `personal`, the folder's whole
//!   contents with [delta](https://learn.microsoft.com/graph/api/driveitem-delta)
//!   (`GET {root}/me/drive/items/{id}/delta?$expand=thumbnails&$top=1000`), page after page by
//!   `@odata.nextLink` to the page that names `@odata.deltaLink`, the link to the changes from
//!   then on. The Photos folder is read first; the Camera Roll is read only when the Photos
//!   folder's contents did not hold it. Items with the `deleted` facet, and files that are no
//!   image (any more), are removals; an image listed without `@microsoft.graph.downloadUrl` is
//!   left as it was; folders are kept for their place in the tree. Graph follows
//!   `delta` on a folder other than the root on a personal OneDrive only: another drive type
//!   makes the library walk the folders instead (below). What is done with the changes, and
//!   the documented 410 resync, is in [`delta`](super::delta). A photo whose saved links were
//!   refused is read again by its id (`GET {root}/me/drive/items/{id}?$expand=thumbnails`,
//!   [get an item](https://learn.microsoft.com/graph/api/driveitem-get)). Next and delta links
//!   are followed only under the Graph root and within [`MAX_NEXT_LINK_BYTES`]; item ids
//!   longer than [`MAX_ITEM_ID_BYTES`] are skipped.
//! - **A folder walk, elsewhere** ([`PhotoSource::page_url`]): the Camera Roll, then the
//!   Photos folder, as the rest of these docs describe.
//!
//! The walk is depth first; each folder is listed with
//! [list children](https://learn.microsoft.com/graph/api/driveitem-list-children):
//! `GET {root}/me/drive/special/{name}/children?$expand=thumbnails&$top=100` for the two
//! special folders, `GET {root}/me/drive/items/{id}/children?…` for the folders below them.
//! The answer is `{"value": [driveItem, ...], "@odata.nextLink"?}`; the rest of a folder is the
//! whole `@odata.nextLink` URL ([paging](https://learn.microsoft.com/graph/paging)), fetched
//! only when it is under the Graph root (a folder whose next link is not is listed no further).
//!
//! No photo twice: the items of the Camera Roll's first page name it in
//! `parentReference.id`, and the walk of the Photos folder skips that folder; a folder already
//! on the way down or waiting to be visited is not queued again. OneDrive is a tree, so those
//! are the only ways to meet a folder twice; should a server list one folder under two parents
//! anyway, its photos get the same ids in the library's index, and the window keeps one of each.
//! A missing Camera Roll, or a folder deleted while the walk was under way (404 or 410), is
//! skipped ([`PhotoSource::instead_of_missing`]); a missing Photos folder is an error.
//!
//! Photos are shown newest first by date taken either way: the library holds the whole of
//! a walk before showing its first page, as it holds what `delta` read
//! ([`library`](super::library)), since Graph's `$orderby` applies to one folder's children,
//! and not on every drive. The walk's own pages come in the order of the walk: the folders a
//! page lists are visited greatest name first (`2025` before `2024`, `12` before `01`);
//! within a folder, photos come in Graph's order.
//!
//! # The page token is the walk's cursor
//!
//! The source does no I/O and keeps no state between pages: everything the walk needs next
//! is in the page token, a [`Cursor`] in JSON: which special folder, the ids of the folders
//! from it down to the one being listed, that folder's next link, the folders still to visit
//! (with their depth), and the Camera Roll's id. So a page can be asked for again (the
//! window's retry, the offline cache keyed by page token) and gives the same walk, the library
//! keeps making every request and checking every token (only tokens it handed out are
//! fetched, the newest 256), and nothing grows with the library but the token, which is
//! capped. A hostile server can make PhotoLink hold no more than [`PAGE_TOKEN_MAX_BYTES`] per
//! token:
//!
//! | Cap | What happens beyond it |
//! | --- | --- |
//! | [`MAX_DEPTH`] folders below a special folder | deeper folders are not visited |
//! | [`MAX_PENDING_FOLDERS`] folders waiting, and the token within [`PAGE_TOKEN_MAX_BYTES`] | further folders found are not visited |
//! | a folder id of [`MAX_FOLDER_ID_BYTES`], printable ASCII | that folder is not visited |
//! | a next link of [`MAX_NEXT_LINK_BYTES`] | the rest of that folder is not listed |
//!
//! Each is logged (as a count, never the server's text), and the walk goes on with the
//! folders it holds. A real library stays far inside them: years of month folders below the
//! Camera Roll keep a few dozen folders waiting, three deep.
//!
//! # The items
//!
//! - A [driveItem](https://learn.microsoft.com/graph/api/resources/driveitem) with the `folder`
//!   facet is a folder to visit. One is kept as a photo when it is an image: it has the
//!   `image` facet, or a `file` facet whose `mimeType` is `image/…` (other files, and items
//!   shared from other drives, `remoteItem`, are skipped). Its `name` is the title,
//!   `image.width` and `image.height` the size in pixels, `size` the file's bytes,
//!   `photo.takenDateTime` (else `createdDateTime`) the date; each read strictly
//!   ([`details`](super::details)), so an unset `0001-01-01T00:00:00Z` is no date.
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
//!   retries 429 and 5xx on every request, of the walk and of `delta` alike, as its policy
//!   allows, refreshes once on a 401, and never quotes the body, so the server's `message` is
//!   shown nowhere.

use photolink_oauth::ResourceResponse;
use serde::{Deserialize, Serialize};
use url::Url;

use super::api_root::ApiRoot;
use super::details::{self, TakenAt};
use super::source::{
    Change, DeltaFolder, DeltaNext, DeltaPage, DeltaSource, Download, PAGE_TOKEN_MAX_BYTES,
    PhotoSource, SourcePage, SourcePhoto, TokenOrigins,
};
use crate::error::AppError;

/// Items per page asked for (Graph's `$top`).
const PAGE_SIZE: &str = "100";
/// Items per page of a delta asked for: a whole library is read before its first page is
/// shown, so in as few requests as Graph allows.
const DELTA_PAGE_SIZE: &str = "1000";
/// The longest item id kept in the saved library (OneDrive's are about 20 to 40
/// characters); an item with a longer one is skipped.
const MAX_ITEM_ID_BYTES: usize = 256;
/// The deepest folder visited, counted from the special folder (whose children are 1).
const MAX_DEPTH: usize = 16;
/// The most folders waiting to be visited.
const MAX_PENDING_FOLDERS: usize = 64;
/// The longest folder id kept (OneDrive's are about 20 to 40 characters).
const MAX_FOLDER_ID_BYTES: usize = 64;
/// The longest next link kept (Graph's are a few hundred characters).
const MAX_NEXT_LINK_BYTES: usize = 2048;

/// OneDrive's photos through the Graph root `root`.
pub struct MicrosoftGraph {
    root: ApiRoot,
}

/// A special folder the walk starts at; the Camera Roll is walked first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Special {
    CameraRoll,
    Photos,
}

impl Special {
    /// Its name in `/me/drive/special/{name}`.
    fn name(self) -> &'static str {
        match self {
            Self::CameraRoll => "cameraroll",
            Self::Photos => "photos",
        }
    }

    /// The special folder walked after this one.
    fn next(self) -> Option<Self> {
        match self {
            Self::CameraRoll => Some(Self::Photos),
            Self::Photos => None,
        }
    }
}

/// Where the walk stands: the page to fetch, and everything left to visit. The page token is
/// its JSON (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor {
    special: Special,
    /// The ids of the folders from below the special folder down to the one being listed;
    /// empty while the special folder itself is.
    path: Vec<String>,
    /// The rest of that folder: its `@odata.nextLink`; `None` for its first page.
    next: Option<String>,
    /// Folders still to visit, each with its depth; the last is visited next.
    pending: Vec<(String, usize)>,
    /// The Camera Roll's id, once its children named it.
    camera_roll: Option<String>,
}

impl Cursor {
    /// The walk's first page: the Camera Roll's.
    fn start() -> Self {
        Self {
            special: Special::CameraRoll,
            path: Vec::new(),
            next: None,
            pending: Vec::new(),
            camera_roll: None,
        }
    }

    /// The cursor `page_token` carries (the start for `None`); an error for a token no walk
    /// hands out.
    fn from_token(page_token: Option<&str>, root: &ApiRoot) -> Result<Self, AppError> {
        let Some(token) = page_token else {
            return Ok(Self::start());
        };
        serde_json::from_str::<Self>(token)
            .ok()
            .filter(|cursor| cursor.is_within_caps(root))
            .ok_or(AppError::UnknownPageToken)
    }

    fn token(&self) -> String {
        serde_json::to_string(self).expect("a cursor is plain data")
    }

    /// Whether every cap holds and the next link is under the root, as for every cursor the
    /// walk makes.
    fn is_within_caps(&self, root: &ApiRoot) -> bool {
        let mut ids = self
            .path
            .iter()
            .chain(&self.camera_roll)
            .chain(self.pending.iter().map(|(id, _)| id));
        self.path.len() <= MAX_DEPTH
            && self.pending.len() <= MAX_PENDING_FOLDERS
            && self
                .pending
                .iter()
                .all(|(_, depth)| (1..=MAX_DEPTH).contains(depth))
            && ids.all(|id| is_folder_id(id))
            && self
                .next
                .as_deref()
                .is_none_or(|link| next_link(root, link).is_some())
            && self.token().len() <= PAGE_TOKEN_MAX_BYTES
    }

    /// The URL of the page the cursor names.
    fn page_url(&self, root: &ApiRoot) -> Result<Url, AppError> {
        if let Some(link) = &self.next {
            return next_link(root, link).ok_or(AppError::AddressRefused);
        }
        let mut url = match self.path.last() {
            Some(folder) => root.url_under(&["me", "drive", "items", folder.as_str(), "children"]),
            None => root.url_under(&["me", "drive", "special", self.special.name(), "children"]),
        };
        url.query_pairs_mut()
            .append_pair("$expand", "thumbnails")
            .append_pair("$top", PAGE_SIZE);
        Ok(url)
    }

    /// The cursor after a page of the current folder that listed `folders` and named `next`
    /// for its rest; `None` when the walk is over.
    fn after_page(mut self, folders: Vec<String>, next: Option<Url>) -> Option<Self> {
        let depth = self.path.len() + 1;
        self.next = next.map(String::from);
        // What the token holds already; each folder queued adds its id, its depth and JSON's
        // punctuation (`["id",16],`), at most 8 bytes besides the id.
        let mut bytes = self.token().len();
        let mut queued = Vec::new();
        let mut beyond_caps = 0_usize;
        for id in folders {
            let known = self.path.contains(&id)
                || self.pending.iter().any(|(pending, _)| *pending == id)
                || queued.contains(&id)
                || (self.special == Special::Photos && self.camera_roll.as_ref() == Some(&id));
            if known {
                continue;
            }
            let fits = depth <= MAX_DEPTH
                && is_folder_id(&id)
                && self.pending.len() + queued.len() < MAX_PENDING_FOLDERS
                && bytes + id.len() + 8 <= PAGE_TOKEN_MAX_BYTES;
            if fits {
                bytes += id.len() + 8;
                queued.push(id);
            } else {
                beyond_caps += 1;
            }
        }
        if beyond_caps > 0 {
            tracing::warn!(
                folders = beyond_caps,
                "folders beyond the walk's caps; their photos are not listed"
            );
        }
        // Last queued, first visited: a page's folders in the order listed.
        self.pending
            .extend(queued.into_iter().rev().map(|id| (id, depth)));
        if self.next.is_some() {
            Some(self)
        } else {
            self.next_folder()
        }
    }

    /// The cursor at the first page of the next folder to visit once the current one is done;
    /// `None` when none is left.
    fn next_folder(mut self) -> Option<Self> {
        self.next = None;
        if let Some((folder, depth)) = self.pending.pop() {
            self.path.truncate(depth - 1);
            self.path.push(folder);
            return Some(self);
        }
        Some(Self {
            special: self.special.next()?,
            camera_roll: self.camera_roll,
            ..Self::start()
        })
    }
}

/// Whether `id` can be a folder's id in a cursor: printable ASCII that JSON writes as it is
/// (no `"` or `\`), not empty, at most [`MAX_FOLDER_ID_BYTES`].
fn is_folder_id(id: &str) -> bool {
    (1..=MAX_FOLDER_ID_BYTES).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_graphic() && byte != b'"' && byte != b'\\')
}

/// `link` as a page to fetch: under the Graph root, and at most [`MAX_NEXT_LINK_BYTES`].
fn next_link(root: &ApiRoot, link: &str) -> Option<Url> {
    Url::parse(link)
        .ok()
        .filter(|url| url.as_str().len() <= MAX_NEXT_LINK_BYTES && root.contains(url))
}

impl MicrosoftGraph {
    pub fn new(root: Url) -> Self {
        Self {
            root: ApiRoot::new(root),
        }
    }

    fn photo(&self, item: DriveItem) -> Option<SourcePhoto> {
        if !item.is_image() || item.folder.is_some() {
            return None;
        }
        let image = Download::WithoutCredentials(Url::parse(item.download_url.as_deref()?).ok()?);
        let thumbnail = item
            .thumbnails
            .into_iter()
            .next()
            .and_then(|set| set.medium.or(set.large).or(set.small))
            .and_then(|thumbnail| Url::parse(&thumbnail.url?).ok())
            .map(|url| Download::listed(&TokenOrigins::api(self.root.origin()), url))
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
                .as_deref()
                .and_then(TakenAt::rfc3339)
                .or_else(|| item.created_date_time.as_deref().and_then(TakenAt::rfc3339)),
            bytes: item.size,
            thumbnail,
            image,
        })
    }
}

impl DeltaSource for MicrosoftGraph {
    /// The Photos folder, then the Camera Roll (skipped when the Photos folder holds it).
    fn folders(&self) -> Vec<Url> {
        [Special::Photos, Special::CameraRoll]
            .into_iter()
            .map(|special| {
                self.root
                    .url_under(&["me", "drive", "special", special.name()])
            })
            .collect()
    }

    fn read_folder(&self, answer: &ResourceResponse) -> Result<DeltaFolder, AppError> {
        let item: DriveItem = answer.json()?;
        if item.id.is_empty() || item.id.len() > MAX_ITEM_ID_BYTES {
            return Err(AppError::UnusableAnswer(
                "a special folder without a usable id",
            ));
        }
        let drive_type = item
            .parent_reference
            .and_then(|parent| parent.drive_type)
            .unwrap_or_default();
        Ok(DeltaFolder {
            id: item.id,
            follows_changes: drive_type == "personal",
        })
    }

    fn delta_url(&self, id: &str) -> Result<Url, AppError> {
        if id.is_empty() || id.len() > MAX_ITEM_ID_BYTES {
            return Err(AppError::UnusableAnswer("a folder id too long to follow"));
        }
        let mut url = self.root.url_under(&["me", "drive", "items", id, "delta"]);
        url.query_pairs_mut()
            .append_pair("$expand", "thumbnails")
            .append_pair("$top", DELTA_PAGE_SIZE);
        Ok(url)
    }

    fn delta_link(&self, link: &str) -> Option<Url> {
        next_link(&self.root, link)
    }

    fn read_delta(&self, answer: &ResourceResponse) -> Result<DeltaPage, AppError> {
        let page: Collection = answer.json()?;
        let link = |link: Option<String>| {
            link.and_then(|link| next_link(&self.root, &link))
                .ok_or(AppError::UnusableAnswer(
                    "a delta page without a next or delta link under the Graph root",
                ))
        };
        let next = match page.next_link {
            Some(next) => DeltaNext::More(link(Some(next))?),
            None => DeltaNext::Done(link(page.delta_link)?),
        };
        let mut beyond_cap = 0_usize;
        let mut without_download = 0_usize;
        let mut changes = Vec::with_capacity(page.value.len());
        for item in page.value {
            if item.id.is_empty() || item.id.len() > MAX_ITEM_ID_BYTES {
                beyond_cap += 1;
                continue;
            }
            let parent = item
                .parent_reference
                .as_ref()
                .and_then(|parent| parent.id.clone())
                .filter(|id| id.len() <= MAX_ITEM_ID_BYTES);
            changes.push(if item.deleted.is_some() {
                Change::Removed { id: item.id }
            } else if item.folder.is_some() {
                Change::Folder {
                    id: item.id,
                    parent,
                }
            } else if !item.is_image() {
                // A file that is not a photo (any more) is gone from the library.
                Change::Removed { id: item.id }
            } else {
                match self.photo(item) {
                    Some(photo) => Change::Photo {
                        photo: Box::new(photo),
                        parent,
                    },
                    // Listed without a link to its content: left as it was, not removed.
                    None => {
                        without_download += 1;
                        continue;
                    }
                }
            });
        }
        if beyond_cap > 0 {
            tracing::warn!(
                items = beyond_cap,
                "items with ids beyond the cap; not listed"
            );
        }
        if without_download > 0 {
            tracing::warn!(
                items = without_download,
                "images listed without a download link; not changed"
            );
        }
        Ok(DeltaPage { changes, next })
    }

    fn photo_url(&self, id: &str) -> Result<Url, AppError> {
        if id.is_empty() || id.len() > MAX_ITEM_ID_BYTES {
            return Err(AppError::UnusableAnswer("a photo id too long to ask for"));
        }
        let mut url = self.root.url_under(&["me", "drive", "items", id]);
        url.query_pairs_mut().append_pair("$expand", "thumbnails");
        Ok(url)
    }

    fn read_photo(&self, answer: &ResourceResponse) -> Result<Option<SourcePhoto>, AppError> {
        let item: DriveItem = answer.json()?;
        Ok(if item.deleted.is_some() {
            None
        } else {
            self.photo(item)
        })
    }
}

/// A page of a driveItem collection (children, or a delta).
#[derive(Debug, Deserialize)]
struct Collection {
    value: Vec<DriveItem>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink", default)]
    delta_link: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DriveItem {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "details::text")]
    created_date_time: Option<String>,
    /// The file's size in bytes.
    #[serde(default, deserialize_with = "details::bytes")]
    size: Option<u64>,
    #[serde(default)]
    parent_reference: Option<ItemReference>,
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
    /// In a delta: the item was deleted (or moved out of the folder followed).
    #[serde(default)]
    deleted: Option<serde_json::Value>,
}

impl DriveItem {
    /// Whether it is an image: the `image` facet, or a `file` facet whose `mimeType` is
    /// `image/…`.
    fn is_image(&self) -> bool {
        self.image.is_some()
            || self
                .file
                .as_ref()
                .and_then(|file| file.mime_type.as_deref())
                .is_some_and(|mime| mime.to_ascii_lowercase().starts_with("image/"))
    }
}

/// An [itemReference](https://learn.microsoft.com/graph/api/resources/itemreference): here, the
/// parent folder, and the drive's type.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemReference {
    #[serde(default)]
    id: Option<String>,
    /// `personal`, `business` or `documentLibrary`.
    #[serde(default)]
    drive_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileFacet {
    #[serde(default)]
    mime_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ImageFacet {
    #[serde(default, deserialize_with = "details::pixels")]
    width: Option<u32>,
    #[serde(default, deserialize_with = "details::pixels")]
    height: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhotoFacet {
    #[serde(default, deserialize_with = "details::text")]
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
        Cursor::from_token(page_token, &self.root)?.page_url(&self.root)
    }

    fn read_page(
        &self,
        page_token: Option<&str>,
        answer: &ResourceResponse,
    ) -> Result<SourcePage, AppError> {
        let mut cursor = Cursor::from_token(page_token, &self.root)?;
        let page: Collection = answer.json().map_err(AppError::UnreadableList)?;
        if cursor.special == Special::CameraRoll && cursor.path.is_empty() {
            let named = page
                .value
                .iter()
                .find_map(|item| item.parent_reference.as_ref()?.id.clone())
                .filter(|id| is_folder_id(id));
            cursor.camera_roll = cursor.camera_roll.or(named);
        }
        let next = page.next_link.and_then(|link| {
            let next = next_link(&self.root, &link);
            if next.is_none() {
                tracing::warn!("a next link outside the caps; the rest of a folder is not listed");
            }
            next
        });
        let mut folders = Vec::new();
        let mut photos = Vec::new();
        for item in page.value {
            if item.folder.is_some() {
                folders.push((item.name, item.id));
            } else if let Some(photo) = self.photo(item) {
                photos.push(photo);
            }
        }
        // The greatest name first: year and month folders newest first.
        folders.sort_by(|(a, _), (b, _)| b.cmp(a));
        let folders = folders.into_iter().map(|(_, id)| id).collect();
        Ok(SourcePage {
            photos,
            next_page_token: cursor
                .after_page(folders, next)
                .map(|cursor| cursor.token()),
            // The walk's order: by folder, not by date (see the module docs).
            newest_first: false,
        })
    }

    /// The Camera Roll (which an account may not have) and the folders below either special
    /// folder are skipped when missing; the Photos folder is not.
    fn instead_of_missing(&self, page_token: Option<&str>) -> Option<SourcePage> {
        let cursor = Cursor::from_token(page_token, &self.root).ok()?;
        let skippable = cursor.special == Special::CameraRoll || !cursor.path.is_empty();
        skippable.then(|| SourcePage {
            photos: Vec::new(),
            next_page_token: cursor.next_folder().map(|cursor| cursor.token()),
            newest_first: false,
        })
    }

    fn delta(&self) -> Option<&dyn DeltaSource> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::photos::source::tests::{answer, details_read};

    fn graph() -> MicrosoftGraph {
        MicrosoftGraph::new(Url::parse("https://graph.example/v1.0").unwrap())
    }

    /// The cursor a page token carries.
    fn cursor(token: &str) -> Cursor {
        Cursor::from_token(Some(token), &graph().root).unwrap()
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    /// The changes a delta page reads, as `(kind, id, parent)`.
    fn changes(page: &DeltaPage) -> Vec<(&'static str, &str, Option<&str>)> {
        page.changes
            .iter()
            .map(|change| match change {
                Change::Photo { photo, parent } => ("photo", photo.id.as_str(), parent.as_deref()),
                Change::Folder { id, parent } => ("folder", id.as_str(), parent.as_deref()),
                Change::Removed { id } => ("removed", id.as_str(), None),
            })
            .collect()
    }

    #[test]
    fn delta_starts_at_a_folder_with_thumbnails_a_thousand_at_a_time() {
        assert_eq!(
            graph().delta_url("F1").unwrap().as_str(),
            "https://graph.example/v1.0/me/drive/items/F1/delta?%24expand=thumbnails&%24top=1000"
        );
        assert_eq!(
            graph().photo_url("P!1").unwrap().as_str(),
            "https://graph.example/v1.0/me/drive/items/P!1?%24expand=thumbnails"
        );
        assert!(
            graph()
                .delta_url(&"x".repeat(MAX_ITEM_ID_BYTES + 1))
                .is_err()
        );
        let folders: Vec<_> = graph().folders().iter().map(Url::to_string).collect();
        assert_eq!(
            folders,
            [
                "https://graph.example/v1.0/me/drive/special/photos",
                "https://graph.example/v1.0/me/drive/special/cameraroll"
            ],
            "the Photos folder first, so that a Camera Roll inside it is read once"
        );
    }

    #[test]
    fn a_delta_page_reads_photos_folders_and_deleted_items_then_its_next_link() {
        let page = graph()
            .read_delta(&answer(
                r#"{"value": [
                    {"id": "F", "name": "2024", "folder": {"childCount": 2}, "parentReference": {"id": "ROOT"}},
                    {"id": "A", "name": "a.jpg", "image": {}, "parentReference": {"id": "F"},
                     "photo": {"takenDateTime": "2024-05-01T10:00:00Z"},
                     "@microsoft.graph.downloadUrl": "https://dl.example/A"},
                    {"id": "GONE", "name": "gone.jpg", "deleted": {"state": "deleted"}},
                    {"id": "DOC", "name": "notes.txt", "file": {"mimeType": "text/plain"}},
                    {"id": "", "name": "no id", "image": {}},
                    {"id": "NO-LINK", "name": "b.jpg", "image": {}, "parentReference": {"id": "F"}},
                    {"id": "GONE-FOLDER", "folder": {}, "deleted": {}}
                ],
                "@odata.nextLink": "https://graph.example/v1.0/me/drive/items/ROOT/delta?token=abc"}"#,
            ))
            .unwrap();
        assert_eq!(
            changes(&page),
            [
                ("folder", "F", Some("ROOT")),
                ("photo", "A", Some("F")),
                ("removed", "GONE", None),
                ("removed", "DOC", None),
                ("removed", "GONE-FOLDER", None),
            ],
            "a file that is no photo is gone from the library; an item without an id, or an image without a download link, is left as it was"
        );
        assert_eq!(
            page.next,
            DeltaNext::More(url(
                "https://graph.example/v1.0/me/drive/items/ROOT/delta?token=abc"
            ))
        );
    }

    #[test]
    fn the_last_delta_page_names_its_delta_link_under_the_root_or_is_refused() {
        let last = graph()
            .read_delta(&answer(
                r#"{"value": [], "@odata.deltaLink": "https://graph.example/v1.0/me/drive/items/ROOT/delta?token=latest1"}"#,
            ))
            .unwrap();
        assert!(last.changes.is_empty());
        assert_eq!(
            last.next,
            DeltaNext::Done(url(
                "https://graph.example/v1.0/me/drive/items/ROOT/delta?token=latest1"
            ))
        );
        for body in [
            r#"{"value": []}"#,
            r#"{"value": [], "@odata.deltaLink": "https://evil.example/v1.0/delta?token=1"}"#,
            r#"{"value": [], "@odata.nextLink": "https://graph.example/elsewhere/delta"}"#,
        ] {
            assert!(
                graph().read_delta(&answer(body)).is_err(),
                "a delta page with no link to follow under the root: {body}"
            );
        }
        assert!(
            graph()
                .delta_link("https://graph.example/v1.0/me/drive/items/R/delta?token=1")
                .is_some()
        );
        assert!(
            graph()
                .delta_link("https://evil.example/v1.0/me/drive/items/R/delta?token=1")
                .is_none()
        );
    }

    #[test]
    fn a_special_folder_says_whether_its_drive_follows_changes() {
        let read = |drive_type: &str| {
            graph()
                .read_folder(&answer(&format!(
                    r#"{{"id": "F1", "folder": {{}}, "specialFolder": {{"name": "photos"}},
                        "parentReference": {{"driveType": "{drive_type}", "id": "ROOT"}}}}"#
                )))
                .unwrap()
        };
        assert_eq!(
            read("personal"),
            DeltaFolder {
                id: "F1".into(),
                follows_changes: true
            }
        );
        assert!(!read("business").follows_changes);
        assert!(!read("documentLibrary").follows_changes);
        let unknown = graph()
            .read_folder(&answer(r#"{"id": "F1", "folder": {}}"#))
            .unwrap();
        assert!(
            !unknown.follows_changes,
            "a drive of unknown type is walked"
        );
        assert!(graph().read_folder(&answer(r#"{"id": ""}"#)).is_err());
    }

    #[test]
    fn a_photo_read_afresh_has_its_new_links_and_a_deleted_one_is_none() {
        let photo = graph()
            .read_photo(&answer(
                r#"{"id": "A", "name": "a.jpg", "image": {},
                    "@microsoft.graph.downloadUrl": "https://dl.example/A?tempauth=new"}"#,
            ))
            .unwrap()
            .unwrap();
        assert_eq!(
            photo.image,
            Download::WithoutCredentials(url("https://dl.example/A?tempauth=new"))
        );
        assert!(
            graph()
                .read_photo(&answer(r#"{"id": "A", "deleted": {}}"#))
                .unwrap()
                .is_none()
        );
        assert!(
            graph()
                .read_photo(&answer(r#"{"id": "A", "folder": {}}"#))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn the_first_page_is_the_camera_rolls_children_with_thumbnails() {
        assert_eq!(
            graph().page_url(None).unwrap().as_str(),
            "https://graph.example/v1.0/me/drive/special/cameraroll/children?%24expand=thumbnails&%24top=100"
        );
    }

    #[test]
    fn a_next_page_must_be_under_the_graph_root() {
        let next = "https://graph.example/v1.0/me/drive/items/F/children?$skiptoken=x";
        let at = |link: &str| {
            Cursor {
                next: Some(link.into()),
                ..Cursor::start()
            }
            .token()
        };
        assert_eq!(graph().page_url(Some(&at(next))).unwrap().as_str(), next);
        for foreign in [
            "https://evil.example/v1.0/me/drive/special/photos/children",
            "http://graph.example/v1.0/me/drive",
            "https://graph.example/v1.0evil/me",
            "https://graph.example/beta/me/drive",
            "not a url",
            next,
        ] {
            let token = if foreign == next {
                // A next link as Graph writes it is not a page token of the walk.
                foreign.to_owned()
            } else {
                at(foreign)
            };
            assert!(graph().page_url(Some(&token)).is_err(), "{foreign}");
        }
        let page = graph()
            .read_page(
                None,
                &answer(r#"{"value":[],"@odata.nextLink":"https://evil.example/v1.0/next"}"#),
            )
            .unwrap();
        let after = cursor(page.next_page_token.as_deref().unwrap());
        assert_eq!(
            (after.special, after.next),
            (Special::Photos, None),
            "the rest of the Camera Roll is not listed; the walk goes on"
        );
    }

    #[test]
    fn images_are_kept_and_downloads_go_without_the_token() {
        let page = graph()
            .read_page(None, &answer(
                r#"{"value":[
                {"id":"F","name":"2024","folder":{"childCount":3}},
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
        assert_eq!(
            sea.taken_at.as_ref().map(TakenAt::as_str),
            Some("2024-05-01T10:00:00Z")
        );
        let hill = &page.photos[1];
        assert_eq!(hill.thumbnail, hill.image, "no thumbnail: the image");
        assert_eq!(
            hill.taken_at.as_ref().map(TakenAt::as_str),
            Some("2024-06-02T00:00:00Z")
        );
        let next = cursor(page.next_page_token.as_deref().unwrap());
        assert_eq!(
            next.next.as_deref(),
            Some("https://graph.example/v1.0/me/drive/special/photos/children?$skiptoken=2")
        );
        assert_eq!(
            next.pending,
            [("F".to_owned(), 1)],
            "the folder waits its turn"
        );
    }

    #[test]
    fn the_date_is_the_photo_facets_else_the_files_and_sizes_are_read_strictly() {
        // driveItems in the shapes Microsoft documents: `size` an Int64, `image.width` and
        // `height` Int32, `photo.takenDateTime` and `createdDateTime` DateTimeOffsets. An unset
        // takenDateTime can come as `0001-01-01T00:00:00Z`.
        let page = graph()
            .read_page(
                None,
                &answer(
                    r#"{"value":[
                {"id":"A","name":"IMG_0001.JPG","size":3518417,
                 "createdDateTime":"2024-06-01T09:30:12.877Z",
                 "file":{"mimeType":"image/jpeg"},"image":{"width":4032,"height":3024},
                 "photo":{"takenDateTime":"2024-05-31T18:04:55Z","cameraMake":"Apple"},
                 "@microsoft.graph.downloadUrl":"https://dl.example/A"},
                {"id":"B","name":"Scan.png","size":-3,
                 "createdDateTime":"2023-11-05T07:00:00Z",
                 "image":{"width":0,"height":4.5},
                 "photo":{"takenDateTime":"0001-01-01T00:00:00Z"},
                 "@microsoft.graph.downloadUrl":"https://dl.example/B"},
                {"id":"C","name":"Odd.jpg","size":"12",
                 "createdDateTime":"2023-13-05T07:00:00Z",
                 "image":{"width":"4000"},
                 "photo":{"takenDateTime":1700000000},
                 "@microsoft.graph.downloadUrl":"https://dl.example/C"}
                ]}"#,
                ),
            )
            .unwrap();
        assert_eq!(
            details_read(&page),
            [
                (
                    Some("2024-05-31T18:04:55Z"),
                    Some(4032),
                    Some(3024),
                    Some(3_518_417)
                ),
                (Some("2023-11-05T07:00:00Z"), None, None, None),
                (None, None, None, Some(12)),
            ]
        );
    }

    #[test]
    fn a_thumbnail_on_another_origin_is_fetched_without_the_token() {
        let page = graph()
            .read_page(
                None,
                &answer(
                    r#"{"value":[{"id":"A","image":{},
                 "@microsoft.graph.downloadUrl":"https://dl.example/A",
                 "thumbnails":[{"id":"0","large":{"url":"https://th.example/A/l"}}]}]}"#,
                ),
            )
            .unwrap();
        assert_eq!(
            page.photos[0].thumbnail,
            Download::WithoutCredentials(Url::parse("https://th.example/A/l").unwrap())
        );
    }

    /// A drive to walk without a server: each folder's id and children (`+id` a folder, any
    /// other a photo), and the ids of the Camera Roll and the Photos folder (`None`: missing).
    struct Drive {
        folders: Vec<(&'static str, Vec<&'static str>)>,
        camera_roll: Option<&'static str>,
        photos: Option<&'static str>,
    }

    /// What a walk of a [`Drive`] listed: every photo in order, and every folder whose first
    /// page was asked for.
    #[derive(Debug, Default)]
    struct Walked {
        photos: Vec<String>,
        folders: Vec<String>,
        tokens: Vec<String>,
    }

    /// Walks `drive` to the end as the library would, two items a page; `Err` when a page the
    /// source could not skip was missing.
    fn walk(drive: &Drive) -> Result<Walked, String> {
        let graph = graph();
        let mut walked = Walked::default();
        let mut token: Option<String> = None;
        for _ in 0..10_000 {
            let url = graph.page_url(token.as_deref()).unwrap();
            assert!(graph.root.contains(&url), "{url}");
            let path = url.path().strip_prefix("/v1.0/me/drive/").unwrap();
            let path = path.strip_suffix("/children").unwrap();
            let folder = match path.split_once('/').unwrap() {
                ("special", "cameraroll") => drive.camera_roll,
                ("special", "photos") => drive.photos,
                ("items", id) => drive
                    .folders
                    .iter()
                    .map(|(folder, _)| *folder)
                    .find(|folder| *folder == id),
                _ => panic!("{url}"),
            };
            let skip: usize = url
                .query_pairs()
                .find(|(name, _)| name == "$skiptoken")
                .map_or(0, |(_, skip)| skip.parse().unwrap());
            if skip == 0 {
                walked.folders.push(folder.unwrap_or("missing").to_owned());
            }
            let children = folder.and_then(|folder| {
                drive
                    .folders
                    .iter()
                    .find(|(id, _)| *id == folder)
                    .map(|(_, children)| children)
            });
            let page = match children {
                None => graph
                    .instead_of_missing(token.as_deref())
                    .ok_or_else(|| format!("{url} is missing"))?,
                Some(children) => {
                    let items: Vec<_> = children
                        .iter()
                        .skip(skip)
                        .take(2)
                        .map(|child| {
                            let parent = serde_json::json!({"id": folder});
                            match child.strip_prefix('+') {
                                Some(id) => serde_json::json!({"id": id, "name": id,
                                    "folder": {"childCount": 1}, "parentReference": parent}),
                                None => serde_json::json!({"id": child, "image": {},
                                    "@microsoft.graph.downloadUrl": format!("https://dl.example/{child}"),
                                    "parentReference": parent}),
                            }
                        })
                        .collect();
                    let mut body = serde_json::json!({"value": items});
                    if skip + 2 < children.len() {
                        let mut next = url.clone();
                        next.query_pairs_mut()
                            .clear()
                            .append_pair("$skiptoken", &(skip + 2).to_string());
                        body["@odata.nextLink"] = next.as_str().into();
                    }
                    graph
                        .read_page(token.as_deref(), &answer(&body.to_string()))
                        .unwrap()
                }
            };
            walked
                .photos
                .extend(page.photos.into_iter().map(|photo| photo.id));
            match page.next_page_token {
                Some(next) => {
                    assert!(next.len() <= PAGE_TOKEN_MAX_BYTES);
                    walked.tokens.push(next.clone());
                    token = Some(next);
                }
                None => return Ok(walked),
            }
        }
        panic!("the walk never ends");
    }

    #[test]
    fn the_walk_lists_every_photo_at_any_depth_once_camera_roll_first() {
        let drive = Drive {
            folders: vec![
                ("P", vec!["+R", "p1", "+Other", "p2", "p3"]),
                ("R", vec!["+2023", "+2024", "r1"]),
                ("2023", vec!["+01", "+02", "a", "b", "c"]),
                ("01", vec!["d"]),
                ("02", vec![]),
                ("2024", vec!["+01b", "e"]),
                ("01b", vec!["f", "g"]),
                ("Other", vec!["+Deep"]),
                ("Deep", vec!["h"]),
            ],
            camera_roll: Some("R"),
            photos: Some("P"),
        };
        let walked = walk(&drive).unwrap();
        assert_eq!(
            walked.photos,
            [
                "r1", "e", "f", "g", "a", "b", "c", "d", "p1", "p2", "p3", "h"
            ]
        );
        assert_eq!(
            walked.folders,
            ["R", "2024", "01b", "2023", "02", "01", "P", "Other", "Deep"],
            "newest folders first; the Camera Roll walked once, though the Photos folder holds it"
        );
        for token in &walked.tokens {
            assert_eq!(cursor(token).token(), *token, "the token round-trips");
        }
    }

    #[test]
    fn a_camera_roll_outside_the_photos_folder_is_walked_too() {
        let drive = Drive {
            folders: vec![("P", vec!["p1", "+A"]), ("A", vec!["a"]), ("R", vec!["r1"])],
            camera_roll: Some("R"),
            photos: Some("P"),
        };
        assert_eq!(walk(&drive).unwrap().photos, ["r1", "p1", "a"]);
    }

    #[test]
    fn a_missing_camera_roll_or_folder_is_skipped_but_not_a_missing_photos_folder() {
        let drive = Drive {
            folders: vec![("P", vec!["p1", "+Gone", "+A"]), ("A", vec!["a"])],
            camera_roll: None,
            photos: Some("P"),
        };
        let walked = walk(&drive).unwrap();
        assert_eq!(walked.photos, ["p1", "a"]);
        assert_eq!(walked.folders, ["missing", "P", "A", "missing"]);
        let no_photos = Drive {
            folders: vec![("R", vec!["r1"])],
            camera_roll: Some("R"),
            photos: None,
        };
        assert!(walk(&no_photos).is_err());
    }

    #[test]
    fn a_folder_listed_inside_itself_or_twice_is_visited_once() {
        let drive = Drive {
            folders: vec![
                ("P", vec!["+A", "+A", "+B"]),
                ("A", vec!["+A", "a"]),
                ("B", vec!["+A", "+B", "b"]),
                ("R", vec![]),
            ],
            camera_roll: Some("R"),
            photos: Some("P"),
        };
        let walked = walk(&drive).unwrap();
        assert_eq!(walked.folders, ["R", "P", "B", "A"]);
        assert_eq!(walked.photos, ["b", "a"]);
    }

    #[test]
    fn folders_deeper_than_the_cap_are_not_visited() {
        let names: Vec<&'static str> = (0..MAX_DEPTH + 4)
            .map(|depth| &*format!("d{depth}").leak())
            .collect();
        let mut folders: Vec<_> = names
            .iter()
            .zip(names.iter().skip(1))
            .map(|(folder, child)| (*folder, vec![*folder, &*format!("+{child}").leak()]))
            .collect();
        folders.push(("P", vec!["+d0"]));
        let drive = Drive {
            folders,
            camera_roll: None,
            photos: Some("P"),
        };
        let walked = walk(&drive).unwrap();
        assert_eq!(walked.photos, names[..MAX_DEPTH]);
    }

    #[test]
    fn folders_beyond_the_pending_cap_are_not_visited() {
        let names: Vec<&'static str> = (0..MAX_PENDING_FOLDERS + 20)
            .map(|n| &*format!("f{n}").leak())
            .collect();
        let mut folders: Vec<_> = names.iter().map(|name| (*name, vec![*name])).collect();
        let children = names
            .iter()
            .map(|name| &*format!("+{name}").leak())
            .collect();
        folders.push(("P", children));
        let drive = Drive {
            folders,
            camera_roll: None,
            photos: Some("P"),
        };
        let mut photos = walk(&drive).unwrap().photos;
        photos.sort_by_key(|photo| photo[1..].parse::<usize>().unwrap());
        assert_eq!(photos, names[..MAX_PENDING_FOLDERS]);
    }

    #[test]
    fn a_token_at_every_cap_fits_what_the_library_hands_out() {
        let long_id = |n: usize| format!("{n:0>width$}", width = MAX_FOLDER_ID_BYTES);
        let link = format!(
            "https://graph.example/v1.0/me/drive/items/x/children?$skiptoken={}",
            "\\".repeat(MAX_NEXT_LINK_BYTES)
        );
        let link = &link[..MAX_NEXT_LINK_BYTES];
        let next = Url::parse(link).unwrap();
        assert!(
            next_link(&graph().root, link).is_some(),
            "a link at the cap is kept"
        );
        let cursor = Cursor {
            path: (0..MAX_DEPTH - 1).map(long_id).collect(),
            camera_roll: Some(long_id(99_999)),
            ..Cursor::start()
        };
        let folders = (0..2 * MAX_PENDING_FOLDERS)
            .map(|n| long_id(n + 100))
            .collect();
        let after = cursor.after_page(folders, Some(next)).unwrap();
        let token = after.token();
        assert!(token.len() <= PAGE_TOKEN_MAX_BYTES, "{} bytes", token.len());
        assert!(!after.pending.is_empty());
        assert_eq!(
            Cursor::from_token(Some(&token), &graph().root).unwrap(),
            after
        );
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
                match graph().read_page(None, &answer_of(body)) {
                    Ok(page) => prop_assert!(tokens_stay_on(&page, &origin(API))),
                    Err(error) => prop_assert!(
                        matches!(error, AppError::UnreadableList(OAuthError::UnexpectedResponse { status: 200, .. })),
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
                let page = graph.read_page(None, &answer_of(body.into_bytes())).unwrap();
                prop_assert!(tokens_stay_on(&page, &origin(API)));
                prop_assert!(page.photos.len() <= items.len());
                for photo in &page.photos {
                    prop_assert!(matches!(photo.image, Download::WithoutCredentials(_)));
                }
                let token = page.next_page_token.expect("the Photos folder is still to walk");
                prop_assert!(graph.root.contains(&graph.page_url(Some(&token)).unwrap()), "{token}");
            }

            #[test]
            fn a_page_token_outside_the_root_is_never_a_page_url(token in any_link(API)) {
                let graph = graph();
                if let Ok(url) = graph.page_url(Some(&token)) {
                    prop_assert!(graph.root.contains(&url), "{token}");
                }
            }

            #[test]
            fn any_bytes_are_a_delta_page_or_refused_and_its_links_stay_under_the_root(body in any_bytes()) {
                let graph = graph();
                if let Ok(page) = graph.read_delta(&answer_of(body)) {
                    let (DeltaNext::More(link) | DeltaNext::Done(link)) = &page.next;
                    prop_assert!(graph.root.contains(link));
                }
            }

            #[test]
            fn a_delta_page_keeps_images_with_a_download_and_its_links_stay_under_the_root(
                items in proptest::collection::vec(drive_item(), 0..12),
                next in any_link(API),
                last in any::<bool>(),
            ) {
                let name = if last { "@odata.deltaLink" } else { "@odata.nextLink" };
                let body = json!({"value": items, name: next}).to_string();
                let graph = graph();
                match graph.read_delta(&answer_of(body.into_bytes())) {
                    Ok(page) => {
                        let (DeltaNext::More(link) | DeltaNext::Done(link)) = &page.next;
                        prop_assert!(graph.root.contains(link));
                        prop_assert!(page.changes.len() <= items.len());
                        for change in &page.changes {
                            if let Change::Photo { photo, .. } = change {
                                prop_assert!(matches!(photo.image, Download::WithoutCredentials(_)));
                                prop_assert!(!photo.id.is_empty() && photo.id.len() <= MAX_ITEM_ID_BYTES);
                            }
                        }
                    }
                    Err(_) => prop_assert!(graph.delta_link(&next).is_none(), "{next}"),
                }
            }
        }

        proptest! {
            // A walk of up to 30 pages is slower than one page: fewer cases.
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn every_token_of_any_walk_fits_round_trips_and_names_a_page_under_the_root(
                steps in proptest::collection::vec(
                    (
                        proptest::collection::vec(
                            prop_oneof![
                                3 => "[A-Za-z0-9!]{1,70}",
                                1 => any_text(80),
                            ],
                            0..40,
                        ),
                        proptest::option::of(prop_oneof![
                            any_link(API),
                            // Up to past the cap, and backslashes, which JSON doubles.
                            (0..3000_usize, proptest::sample::select(vec!["a", "\\\\"])).prop_map(|(count, text)| {
                                format!("{API}/v1.0/me/drive/items/x/children?$skiptoken={}", text.repeat(count))
                            }),
                        ]),
                    ),
                    1..30,
                ),
            ) {
                let graph = graph();
                let mut cursor = Cursor::start();
                for (folders, next) in steps {
                    let next = next.and_then(|link| next_link(&graph.root, &link));
                    let Some(after) = cursor.after_page(folders, next) else {
                        break;
                    };
                    let token = after.token();
                    prop_assert!(token.len() <= PAGE_TOKEN_MAX_BYTES, "{} bytes", token.len());
                    prop_assert_eq!(&Cursor::from_token(Some(&token), &graph.root).unwrap(), &after);
                    prop_assert!(graph.root.contains(&graph.page_url(Some(&token)).unwrap()));
                    prop_assert!(after.path.len() <= MAX_DEPTH);
                    prop_assert!(after.pending.len() <= MAX_PENDING_FOLDERS);
                    cursor = after;
                }
            }
        }
    }
}
