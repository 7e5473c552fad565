//! A fixture of Microsoft Graph v1.0 as PhotoLink's `microsoft-graph` source uses it: a OneDrive
//! library of folders and photos under the Photos and Camera Roll special folders, their
//! thumbnails and pre-authenticated downloads. It is not Graph: it answers only what PhotoLink
//! asks, in the shapes Microsoft documents:
//!
//! - [Get a special folder](https://learn.microsoft.com/graph/api/drive-get-specialfolder) and
//!   [list children](https://learn.microsoft.com/graph/api/driveitem-list-children):
//!   `GET /v1.0/me/drive/special/{photos|cameraroll}/children` and
//!   `GET /v1.0/me/drive/items/{item-id}/children` answer `{"value": [driveItem…]}`, with
//!   `@odata.nextLink` (an absolute URL carrying `$skiptoken`) while more remain
//!   ([paging](https://learn.microsoft.com/graph/paging)); `$top` sets the page size and
//!   `$expand=thumbnails` adds each item's
//!   [thumbnailSet](https://learn.microsoft.com/graph/api/resources/thumbnailset)s. An unknown
//!   folder is 404 `itemNotFound`.
//! - A [driveItem](https://learn.microsoft.com/graph/api/resources/driveitem) has `id`, `name`,
//!   `createdDateTime`, `parentReference` (the parent folder's `id`), `size` (bytes), and either the `folder`
//!   facet (`childCount`) or the `file` (`mimeType`), `image` (`width`, `height`) and `photo`
//!   (`takenDateTime`) facets with `@microsoft.graph.downloadUrl`, a pre-authenticated URL
//!   ([download](https://learn.microsoft.com/graph/api/driveitem-get-content)) here served by
//!   the content server. Its links (and the thumbnails') carry a `tempauth` that
//!   [`Library::expire_download_links`] makes the content server refuse with 401, as expired
//!   links are.
//! - `GET /v1.0/me/drive/special/{photos|cameraroll}`: the special folder's driveItem, with
//!   `specialFolder` and `parentReference.driveType` (`personal`, or `business` for
//!   [`Library::business`]); `GET /v1.0/me/drive/items/{photo-id}`
//!   ([get an item](https://learn.microsoft.com/graph/api/driveitem-get)): a photo's driveItem
//!   with fresh links.
//! - [delta](https://learn.microsoft.com/graph/api/driveitem-delta):
//!   `GET /v1.0/me/drive/items/{folder-id}/delta`, without `token` every item below the folder
//!   (folders and photos, depth first), with `token=latest` none, with the `token` of a delta
//!   link the photos added or deleted below the folder since (deleted ones with the `deleted`
//!   facet); paged by `$top` (`@odata.nextLink`), the last page naming `@odata.deltaLink`. A
//!   link from before [`Library::expire_delta_links`] answers the documented 410 Gone
//!   (`resyncChangesApplyDifferences`, with a `Location` to start again). On a `business`
//!   drive (or [`Library::refusing_folder_delta`]), delta on any folder but the root answers
//!   400 `invalidRequest` (Graph documents delta on folders for personal OneDrive only, but not
//!   what others answer).
//!   [`Library::add_photo`] and [`Library::delete_photo`] make the changes
//!   ([`Fixture::change_graph`](crate::Fixture::change_graph)); every request is recorded
//!   ([`Fixture::seen`](crate::Fixture::seen)), so a test can count them.
//! - [Errors](https://learn.microsoft.com/graph/errors): `{"error": {"code", "message",
//!   "innerError"}}` with the status; 401 `InvalidAuthenticationToken` with a
//!   `WWW-Authenticate: Bearer` challenge that names no error; 429 `TooManyRequests` with
//!   `Retry-After` ([throttling](https://learn.microsoft.com/graph/throttling)).
//!
//! The library is a [`Library`]: [`Library::flat`] (what [`Fixture::start`](crate::Fixture::start)
//! serves: the Camera Roll in the Photos folder, holding an empty folder, then the photos `p1`,
//! `p2`, …) or
//! [`Library::nested`] (photos spread over folders nested as phones upload them), with the
//! Camera Roll in the Photos folder or, [`Library::camera_roll_elsewhere`], outside it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::pictures::{STORED, Size};
use crate::{ErrorBodies, SERVER_MESSAGE, Shared, target};

/// Graph's page size when `$top` is not given.
const DEFAULT_TOP: usize = 200;
/// The Photos special folder's id.
const PHOTOS_FOLDER: &str = "photos-folder";
/// The drive's root folder's id (where an out-of-the-way Camera Roll lives).
const DRIVE_ROOT: &str = "drive-root";
/// The Camera Roll special folder's id.
const CAMERA_ROLL: &str = "folder-0";
/// Folders nest in twelves below the Camera Roll, as year and month folders do.
const SUBFOLDERS_PER_FOLDER: usize = 12;

/// A OneDrive library: which folder holds which items, and what changed since it was served.
#[derive(Debug, Clone)]
pub struct Library {
    /// A folder's id → its children, in listing order.
    children: HashMap<String, Vec<Child>>,
    /// The highest photo number handed out.
    photos: usize,
    /// `personal`, or `business`.
    drive_type: &'static str,
    /// Whether `delta` is refused on any folder but the root (as on a business drive).
    refuses_folder_delta: bool,
    /// Every change made since the library was served, oldest first; a delta token is a
    /// position in it.
    changes: Vec<Change>,
    /// Delta tokens carry it; [`expire_delta_links`](Self::expire_delta_links) bumps it.
    generation: usize,
    /// Pre-authenticated links carry it; [`expire_download_links`](Self::expire_download_links)
    /// bumps it.
    links_generation: usize,
}

/// One change: a photo added to or deleted from a folder.
#[derive(Debug, Clone)]
struct Change {
    folder: String,
    photo: usize,
    deleted: bool,
}

#[derive(Debug, Clone)]
enum Child {
    Folder {
        id: String,
        name: String,
    },
    /// The photo `p{n}`.
    Photo(usize),
}

impl Library {
    /// The Photos folder holds the Camera Roll, which holds an empty folder ("Screenshots",
    /// `folder-1`), then the photos `p1` … `p{photos}`.
    pub fn flat(photos: usize) -> Self {
        let mut library = Self::empty(photos);
        library.add_folder(PHOTOS_FOLDER, CAMERA_ROLL, "Camera Roll");
        library.add_folder(CAMERA_ROLL, "folder-1", "Screenshots");
        library
            .children
            .get_mut(CAMERA_ROLL)
            .expect("the Camera Roll exists")
            .extend((1..=photos).map(Child::Photo));
        library
    }

    /// `photos` photos over the Photos folder and `folders` folders: the first folder is the
    /// Camera Roll, in the Photos folder; each next folder goes into the first one holding
    /// fewer than twelve (so 500 folders are the Camera Roll, 12 year folders, 144 month
    /// folders and 343 below those). Photo `n` is in folder `n mod (folders + 1)`, the last
    /// slot being the Photos folder itself; each folder lists its subfolders first.
    pub fn nested(photos: usize, folders: usize) -> Self {
        let mut library = Self::empty(photos);
        for folder in 0..folders {
            let id = format!("folder-{folder}");
            if folder == 0 {
                library.add_folder(PHOTOS_FOLDER, &id, "Camera Roll");
            } else {
                let parent = format!("folder-{}", (folder - 1) / SUBFOLDERS_PER_FOLDER);
                library.add_folder(&parent, &id, &format!("{:02}", folder));
            }
        }
        for photo in 1..=photos {
            let slot = photo % (folders + 1);
            let folder = if slot == folders {
                PHOTOS_FOLDER.to_owned()
            } else {
                format!("folder-{slot}")
            };
            library
                .children
                .get_mut(&folder)
                .expect("the folder exists")
                .push(Child::Photo(photo));
        }
        library
    }

    /// The same library with the Camera Roll moved from the Photos folder to the drive's root,
    /// so that only the Camera Roll special folder leads to it.
    pub fn camera_roll_elsewhere(mut self) -> Self {
        let in_photos = self
            .children
            .get_mut(PHOTOS_FOLDER)
            .expect("the Photos folder exists");
        let roll = in_photos
            .iter()
            .position(|child| matches!(child, Child::Folder { id, .. } if id == CAMERA_ROLL));
        if let Some(roll) = roll {
            let roll = in_photos.remove(roll);
            self.children
                .get_mut(DRIVE_ROOT)
                .expect("the drive's root exists")
                .push(roll);
        }
        self
    }

    /// The same library on a work or school drive: its special folders' `parentReference`
    /// says `driveType: business`, and `delta` on a folder other than the root answers 400
    /// `invalidRequest` (delta on folders is documented for personal OneDrive only; which
    /// error a business drive gives is not documented, so this is the fixture's choice).
    pub fn business(mut self) -> Self {
        self.drive_type = "business";
        self.refuses_folder_delta = true;
        self
    }

    /// The same library on a drive that says it is `personal` yet answers `delta` on a folder
    /// as a business drive does (400): not a documented case, but one a client must survive.
    pub fn refusing_folder_delta(mut self) -> Self {
        self.refuses_folder_delta = true;
        self
    }

    /// How many photos the library held at the start, plus those added since.
    pub fn photos(&self) -> usize {
        self.photos
    }

    /// Whether the library has a folder `id`.
    pub fn has_folder(&self, id: &str) -> bool {
        self.children.contains_key(id)
    }

    /// Adds a new photo at the end of `folder`; its id (`p{n}`, `n` one past the highest).
    pub fn add_photo(&mut self, folder: &str) -> String {
        self.photos += 1;
        let photo = self.photos;
        self.children
            .get_mut(folder)
            .expect("the folder exists")
            .push(Child::Photo(photo));
        self.changes.push(Change {
            folder: folder.to_owned(),
            photo,
            deleted: false,
        });
        format!("p{photo}")
    }

    /// Deletes the photo `id` (`p{n}`) from the folder holding it; whether it was there.
    pub fn delete_photo(&mut self, id: &str) -> bool {
        let Some(photo) = id.strip_prefix('p').and_then(|n| n.parse::<usize>().ok()) else {
            return false;
        };
        for (folder, children) in &mut self.children {
            if let Some(at) = children
                .iter()
                .position(|child| matches!(child, Child::Photo(n) if *n == photo))
            {
                children.remove(at);
                self.changes.push(Change {
                    folder: folder.clone(),
                    photo,
                    deleted: true,
                });
                return true;
            }
        }
        false
    }

    /// Every delta link handed out so far answers 410 Gone (the documented resync answer)
    /// from now on.
    pub fn expire_delta_links(&mut self) {
        self.generation += 1;
    }

    /// Every pre-authenticated link (downloads and thumbnails) handed out so far answers 401
    /// from now on, as they do once they expire; the API hands out new ones.
    pub fn expire_download_links(&mut self) {
        self.links_generation += 1;
    }

    /// The folder holding the photo `n`, if it is there.
    fn folder_of(&self, photo: usize) -> Option<&str> {
        self.children.iter().find_map(|(folder, children)| {
            children
                .iter()
                .any(|child| matches!(child, Child::Photo(n) if *n == photo))
                .then_some(folder.as_str())
        })
    }

    /// The folder's id → its parent's id, for every folder.
    fn parents(&self) -> HashMap<&str, &str> {
        self.children
            .iter()
            .flat_map(|(parent, children)| {
                children.iter().filter_map(move |child| match child {
                    Child::Folder { id, .. } => Some((id.as_str(), parent.as_str())),
                    Child::Photo(_) => None,
                })
            })
            .collect()
    }

    /// Whether `folder` is `root` or below it.
    fn is_within(parents: &HashMap<&str, &str>, folder: &str, root: &str) -> bool {
        let mut at = folder;
        for _ in 0..=parents.len() {
            if at == root {
                return true;
            }
            match parents.get(at) {
                Some(parent) => at = parent,
                None => return false,
            }
        }
        false
    }

    /// Everything below `root`, depth first, each with the folder holding it.
    fn descendants<'a>(&'a self, root: &'a str) -> Vec<(&'a str, &'a Child)> {
        let mut listed = Vec::new();
        let mut folders = vec![root];
        while let Some(folder) = folders.pop() {
            for child in self.children.get(folder).into_iter().flatten() {
                listed.push((folder, child));
                if let Child::Folder { id, .. } = child {
                    folders.push(id);
                }
            }
        }
        listed
    }

    fn empty(photos: usize) -> Self {
        let children = [(PHOTOS_FOLDER, Vec::new()), (DRIVE_ROOT, Vec::new())]
            .into_iter()
            .map(|(id, children)| (id.to_owned(), children))
            .collect();
        Self {
            children,
            photos,
            drive_type: "personal",
            refuses_folder_delta: false,
            changes: Vec::new(),
            generation: 0,
            links_generation: 0,
        }
    }

    fn add_folder(&mut self, parent: &str, id: &str, name: &str) {
        self.children
            .get_mut(parent)
            .expect("the parent folder exists")
            .push(Child::Folder {
                id: id.to_owned(),
                name: name.to_owned(),
            });
        self.children.insert(id.to_owned(), Vec::new());
    }
}

pub(crate) fn api_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/v1.0/me/drive/special/{name}/children",
            get(special_children),
        )
        .route("/v1.0/me/drive/items/{id}/children", get(item_children))
        .route("/v1.0/me/drive/special/{name}", get(special_folder))
        .route("/v1.0/me/drive/items/{id}/delta", get(delta))
        .route("/v1.0/me/drive/items/{id}", get(photo_item))
        .fallback(not_found)
}

pub(crate) fn content_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/download/{id}", get(download))
        .route("/thumbnail/{id}/{size}", get(thumbnail))
}

struct Graph;

impl ErrorBodies for Graph {
    fn unauthorized(&self) -> Response {
        let mut response = error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
            ),
        );
        response
    }

    fn throttled(&self) -> Response {
        error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests")
    }

    fn refused(&self, status: u16) -> Response {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = match status.as_u16() {
            400 => "invalidRequest",
            403 => "accessDenied",
            404 => "itemNotFound",
            503 => "serviceNotAvailable",
            _ => "generalException",
        };
        error(status, code)
    }
}

fn error(status: StatusCode, code: &str) -> Response {
    let body = json!({
        "error": {
            "code": code,
            "message": SERVER_MESSAGE,
            "innerError": {"date": "2026-01-01T00:00:00", "request-id": "fixture"},
        }
    });
    (status, axum::Json(body)).into_response()
}

async fn not_found() -> Response {
    Graph.refused(404)
}

async fn special_children(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let folder = match name.as_str() {
        "photos" => Some(PHOTOS_FOLDER),
        "cameraroll" => Some(CAMERA_ROLL),
        _ => None,
    };
    children(&state, &uri, &headers, folder, &query)
}

async fn item_children(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    children(&state, &uri, &headers, Some(&id), &query)
}

/// What a collection request asks for: `$top` items (Graph's default without it) from the
/// `$skiptoken`th, with thumbnails when `$expand` names them.
struct Paging {
    top: usize,
    skip: usize,
    thumbnails: bool,
}

impl Paging {
    /// The paging `query` asks for; `None` for a `$top` or `$skiptoken` that is no count.
    fn of(query: &HashMap<String, String>) -> Option<Self> {
        let top = match query.get("$top").map(|top| top.parse::<usize>()) {
            None => DEFAULT_TOP,
            Some(Ok(top)) if top > 0 => top,
            Some(_) => return None,
        };
        let skip = match query.get("$skiptoken").map(|skip| skip.parse::<usize>()) {
            None => 0,
            Some(Ok(skip)) => skip,
            Some(Err(_)) => return None,
        };
        Some(Self {
            top,
            skip,
            thumbnails: expands_thumbnails(query),
        })
    }
}

/// Whether `$expand` names `thumbnails`.
fn expands_thumbnails(query: &HashMap<String, String>) -> bool {
    query
        .get("$expand")
        .is_some_and(|expand| expand.split(',').any(|name| name.trim() == "thumbnails"))
}

/// A page of `folder`'s children (`None`: a special folder Graph does not know).
fn children(
    state: &Shared,
    uri: &Uri,
    headers: &HeaderMap,
    folder: Option<&str>,
    query: &HashMap<String, String>,
) -> Response {
    if let Some(refusal) = state.check_api_request(target(uri), headers, &Graph) {
        return refusal;
    }
    let library = crate::lock(&state.graph);
    let Some((folder, listed)) = folder.and_then(|folder| library.children.get_key_value(folder))
    else {
        return Graph.refused(404);
    };
    let Some(Paging {
        top,
        skip,
        thumbnails,
    }) = Paging::of(query)
    else {
        return Graph.refused(400);
    };
    let end = (skip + top).min(listed.len());
    let value: Vec<Value> = listed
        .get(skip..end)
        .unwrap_or_default()
        .iter()
        .map(|child| item(&library, state, folder, child, thumbnails))
        .collect();
    let mut body = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(driveItem)",
        "value": value,
    });
    if end < listed.len() {
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        if thumbnails {
            next.append_pair("$expand", "thumbnails");
        }
        next.append_pair("$top", &top.to_string())
            .append_pair("$skiptoken", &end.to_string());
        body["@odata.nextLink"] = json!(format!(
            "{}{}?{}",
            state.api_base,
            uri.path(),
            next.finish()
        ));
    }
    axum::Json(body).into_response()
}

/// The driveItem of `child`, listed in the folder `parent`.
fn item(library: &Library, state: &Shared, parent: &str, child: &Child, thumbnails: bool) -> Value {
    let parent_reference =
        json!({"driveId": "fixture-drive", "driveType": library.drive_type, "id": parent});
    let index = match child {
        Child::Folder { id, name } => {
            let count = library.children.get(id).map_or(0, Vec::len);
            return json!({
                "id": id,
                "name": name,
                "createdDateTime": "2024-01-01T00:00:00Z",
                "parentReference": parent_reference,
                "folder": {"childCount": count},
            });
        }
        Child::Photo(index) => *index,
    };
    let id = format!("p{index}");
    let content = &state.content_base;
    let links = library.links_generation;
    let mut item = json!({
        "id": id,
        "name": format!("Photo {index}.jpg"),
        "createdDateTime": "2024-02-01T00:00:00Z",
        "size": 2_000_000 + index,
        "parentReference": parent_reference,
        "file": {"mimeType": "image/jpeg"},
        "image": {"width": STORED.0, "height": STORED.1},
        "photo": {"takenDateTime": format!("2024-01-{:02}T10:00:00Z", index % 28 + 1)},
        "@microsoft.graph.downloadUrl": format!("{content}/download/{id}?tempauth=fixture-{links}-{index}"),
    });
    if thumbnails {
        let size = |name: &str, width: u32, height: u32| json!({"url": format!("{content}/thumbnail/{id}/{name}?tempauth=fixture-{links}"), "width": width, "height": height});
        item["thumbnails"] = json!([{
            "id": "0",
            "small": size("small", 48, 48),
            "medium": size("medium", 176, 132),
            "large": size("large", 800, 600),
        }]);
    }
    item
}

/// `GET /me/drive/special/{name}`: the special folder's driveItem, with the `specialFolder`
/// facet and the drive's type in `parentReference`.
async fn special_folder(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    if let Some(refusal) = state.check_api_request(target(&uri), &headers, &Graph) {
        return refusal;
    }
    let library = crate::lock(&state.graph);
    let (id, facet) = match name.as_str() {
        "photos" => (PHOTOS_FOLDER, "photos"),
        "cameraroll" => (CAMERA_ROLL, "cameraRoll"),
        _ => return Graph.refused(404),
    };
    let Some(children) = library.children.get(id) else {
        return Graph.refused(404);
    };
    let parent = library
        .parents()
        .get(id)
        .map_or(DRIVE_ROOT, |parent| parent);
    axum::Json(json!({
        "id": id,
        "name": name,
        "createdDateTime": "2024-01-01T00:00:00Z",
        "folder": {"childCount": children.len()},
        "specialFolder": {"name": facet},
        "parentReference": {"driveId": "fixture-drive", "driveType": library.drive_type, "id": parent},
    }))
    .into_response()
}

/// `GET /me/drive/items/{id}/delta`
/// ([delta](https://learn.microsoft.com/graph/api/driveitem-delta)): without `token`, every
/// item below the folder, depth first; with `token=latest`, nothing; with a token of a
/// delta link, the photos added or deleted below the folder since (each once, as it is now;
/// a deleted one with the `deleted` facet). Paged by `$top` with `@odata.nextLink`; the last
/// page has `@odata.deltaLink`, whose `token` is `{generation}.{changes}`. A token of an
/// earlier generation answers 410 `resyncChangesApplyDifferences` with a `Location` to start
/// again.
async fn delta(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = state.check_api_request(target(&uri), &headers, &Graph) {
        return refusal;
    }
    let library = crate::lock(&state.graph);
    if !library.children.contains_key(&id) {
        return Graph.refused(404);
    }
    if library.refuses_folder_delta && id != DRIVE_ROOT {
        return Graph.refused(400);
    }
    let Some(Paging {
        top,
        skip,
        thumbnails,
    }) = Paging::of(&query)
    else {
        return Graph.refused(400);
    };
    let base = format!("{}{}", state.api_base, uri.path());
    let link = |pairs: &[(&str, String)]| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if thumbnails {
            query.append_pair("$expand", "thumbnails");
        }
        query.append_pair("$top", &top.to_string());
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
        format!("{base}?{}", query.finish())
    };
    let token = query.get("token");
    // Each item below the folder with the folder holding it, or a deleted photo's change; only
    // the page asked for is written out.
    let listed: Vec<(&str, Listed)> = match token.map(String::as_str) {
        None => library
            .descendants(&id)
            .into_iter()
            .map(|(parent, child)| (parent, Listed::Now(child.clone())))
            .collect(),
        Some("latest") => Vec::new(),
        Some(token) => {
            let since = token
                .split_once('.')
                .and_then(|(generation, at)| {
                    Some((generation.parse::<usize>().ok()?, at.parse::<usize>().ok()?))
                })
                .filter(|(generation, at)| {
                    *generation == library.generation && *at <= library.changes.len()
                });
            let Some((_, since)) = since else {
                let mut response = resync();
                if let Ok(location) = header::HeaderValue::from_str(&link(&[])) {
                    response.headers_mut().insert(header::LOCATION, location);
                }
                return response;
            };
            let parents = library.parents();
            let mut latest: Vec<&Change> = Vec::new();
            for change in &library.changes[since..] {
                latest.retain(|earlier| earlier.photo != change.photo);
                if Library::is_within(&parents, &change.folder, &id) {
                    latest.push(change);
                }
            }
            latest
                .into_iter()
                .map(|change| {
                    let listed = if change.deleted {
                        Listed::Deleted(change.photo)
                    } else {
                        Listed::Now(Child::Photo(change.photo))
                    };
                    (change.folder.as_str(), listed)
                })
                .collect()
        }
    };
    let end = (skip + top).min(listed.len());
    let items: Vec<Value> = listed
        .get(skip..end)
        .unwrap_or_default()
        .iter()
        .map(|(parent, listed)| match listed {
            Listed::Now(child) => item(&library, &state, parent, child, thumbnails),
            Listed::Deleted(photo) => json!({
                "id": format!("p{photo}"),
                "name": format!("Photo {photo}.jpg"),
                "parentReference": {"driveId": "fixture-drive", "driveType": library.drive_type, "id": parent},
                "deleted": {"state": "deleted"},
            }),
        })
        .collect();
    let mut body = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(driveItem)",
        "value": items,
    });
    if end < listed.len() {
        let mut pairs = vec![("$skiptoken", end.to_string())];
        if let Some(token) = token {
            pairs.push(("token", token.clone()));
        }
        body["@odata.nextLink"] = json!(link(&pairs));
    } else {
        let now = format!("{}.{}", library.generation, library.changes.len());
        body["@odata.deltaLink"] = json!(link(&[("token", now)]));
    }
    axum::Json(body).into_response()
}

/// An item of a delta: as it is now, or a photo deleted.
enum Listed {
    Now(Child),
    Deleted(usize),
}

/// The documented answer to a delta token the service can no longer follow.
fn resync() -> Response {
    error(StatusCode::GONE, "resyncChangesApplyDifferences")
}

/// `GET /me/drive/items/{id}` of a photo
/// ([get an item](https://learn.microsoft.com/graph/api/driveitem-get)): its driveItem, with
/// new pre-authenticated links; 404 `itemNotFound` for one not there.
async fn photo_item(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refusal) = state.check_api_request(target(&uri), &headers, &Graph) {
        return refusal;
    }
    let library = crate::lock(&state.graph);
    let thumbnails = expands_thumbnails(&query);
    let photo = id.strip_prefix('p').and_then(|n| n.parse::<usize>().ok());
    match photo.and_then(|photo| Some((photo, library.folder_of(photo)?))) {
        Some((photo, folder)) => axum::Json(item(
            &library,
            &state,
            folder,
            &Child::Photo(photo),
            thumbnails,
        ))
        .into_response(),
        None => Graph.refused(404),
    }
}

/// Whether a pre-authenticated link's `tempauth` is of the links handed out now.
fn is_current_link(state: &Shared, uri: &Uri) -> bool {
    let generation = crate::lock(&state.graph).links_generation;
    let tempauth = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "tempauth")
        .map(|(_, value)| value.into_owned());
    tempauth.is_some_and(|tempauth| {
        tempauth
            .strip_prefix("fixture-")
            .and_then(|rest| rest.split('-').next())
            .is_some_and(|links| links == generation.to_string())
    })
}

async fn download(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refusal) = state.check_content_request(target(&uri), &headers) {
        return refusal;
    }
    if !is_current_link(&state, &uri) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    state.picture(&id, Size::Stored)
}

async fn thumbnail(
    State(state): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    Path((id, size)): Path<(String, String)>,
) -> Response {
    if let Some(refusal) = state.check_content_request(target(&uri), &headers) {
        return refusal;
    }
    if !is_current_link(&state, &uri) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match thumbnail_size(&size) {
        Some(size) => state.picture(&id, size),
        None => Graph.refused(404),
    }
}

/// The pixels of a named thumbnail, as [Graph documents them](https://learn.microsoft.com/graph/api/driveitem-list-thumbnails):
/// `small` cropped to a square, `medium` and `large` fitted within 176 and 800 pixels.
fn thumbnail_size(name: &str) -> Option<Size> {
    match name {
        "small" => Some(Size::Exactly(48, 48)),
        "medium" => Some(Size::Within(176, 176)),
        "large" => Some(Size::Within(800, 800)),
        _ => None,
    }
}
