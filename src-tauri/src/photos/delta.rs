//! The saved library: for a photo API that can say what changed ([`DeltaSource`]), the
//! metadata of every photo in the folders it follows, newest first, with the links to their
//! changes, kept in the account's cache folder between runs.
//!
//! # How it is kept
//!
//! The first time, the [`PhotoLibrary`](super::PhotoLibrary) reads each folder's whole
//! contents ([`DeltaSource::delta_url`], page after page) into a [`SavedLibrary`], sorts it,
//! and the [`PhotoCache`](super::PhotoCache) saves it; the window's pages are then cut from it
//! without a request. On a later start, the saved library is read back and only the changes
//! since its links are fetched and applied: new and changed photos replace their entry, a
//! removed photo goes, a removed folder takes every photo below it that no later change moved
//! elsewhere. A link the service no longer follows (Graph's 410 Gone, or 404) starts the whole
//! reading again, as do a saved library that cannot be read and one of another format.
//!
//! # What it holds, and its caps
//!
//! Per photo what the window is shown and how its renditions are fetched, as the source read
//! it ([`SourcePhoto`]), and the id of its folder; per folder its parent's id; per folder
//! followed its id and link. Never a token: a pre-authenticated link the service listed is
//! kept like any saved page of the list (see the cache's rules). At most [`MAX_PHOTOS`]
//! photos and [`MAX_FOLDERS`] folders are kept (more are not listed, and logged as a count),
//! and a reading stops after [`MAX_PAGES`] pages.
//!
//! # Newest first
//!
//! By the date taken (else created) to the second, as written (a photo without a date last,
//! ties by id): OneDrive writes every date in UTC, so the text orders as the time does.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::source::{Change, SourcePhoto};

/// The saved format; a saved library of another is read again from the service.
const FORMAT: u32 = 1;
/// The most photos kept.
pub const MAX_PHOTOS: usize = 200_000;
/// The most folders kept.
pub const MAX_FOLDERS: usize = 50_000;
/// The most pages of contents or changes read in one start.
pub const MAX_PAGES: usize = 2_000;

/// The library as last read (see the module docs).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SavedLibrary {
    format: u32,
    /// The folders followed, in order, each with the link to its changes.
    pub followed: Vec<Followed>,
    /// The photos by the service's id.
    photos: HashMap<String, Kept>,
    /// Every folder met below those followed: its id → its parent's.
    folders: HashMap<String, Option<String>>,
    /// The photos' ids, newest first; made by [`sort`](Self::sort), not saved.
    #[serde(skip)]
    order: Vec<String>,
}

/// A folder followed, and where its changes are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Followed {
    pub id: String,
    pub link: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kept {
    photo: SourcePhoto,
    parent: Option<String>,
}

impl SavedLibrary {
    /// An empty library, to read from the start.
    pub fn new() -> Self {
        Self {
            format: FORMAT,
            ..Self::default()
        }
    }

    /// The library saved as `bytes`, sorted; `None` when they are not one of this format.
    pub fn read(bytes: &[u8]) -> Option<Self> {
        let mut library: Self = match serde_json::from_slice(bytes) {
            Ok(library) => library,
            Err(error) => {
                tracing::warn!(%error, "the saved library is unreadable; reading it again");
                return None;
            }
        };
        if library.format != FORMAT || library.followed.is_empty() {
            return None;
        }
        library.sort();
        Some(library)
    }

    /// The bytes to save.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a saved library is plain data")
    }

    /// Whether the folder `id` is met below the folders followed.
    pub fn holds_folder(&self, id: &str) -> bool {
        self.folders.contains_key(id)
    }

    /// How many photos it holds.
    pub fn len(&self) -> usize {
        self.photos.len()
    }

    /// Applies one reading's changes, in order (the last word on an item counts). A removed
    /// folder takes the photos and folders below it that are still there once every change
    /// is applied (one moved elsewhere by a later change stays).
    pub fn apply(&mut self, changes: Vec<Change>) {
        let mut removed_folders = HashSet::new();
        let mut beyond_caps = 0_usize;
        for change in changes {
            match change {
                Change::Photo { photo, parent } => {
                    if self.photos.len() >= MAX_PHOTOS && !self.photos.contains_key(&photo.id) {
                        beyond_caps += 1;
                        continue;
                    }
                    self.photos.insert(
                        photo.id.clone(),
                        Kept {
                            photo: *photo,
                            parent,
                        },
                    );
                }
                Change::Folder { id, parent } => {
                    if self.folders.len() >= MAX_FOLDERS && !self.folders.contains_key(&id) {
                        beyond_caps += 1;
                        continue;
                    }
                    removed_folders.remove(&id);
                    self.folders.insert(id, parent);
                }
                Change::Removed { id } => {
                    self.photos.remove(&id);
                    if self.folders.remove(&id).is_some() {
                        removed_folders.insert(id);
                    }
                }
            }
        }
        if beyond_caps > 0 {
            tracing::warn!(
                items = beyond_caps,
                "items beyond the saved library's caps; not listed"
            );
        }
        self.remove_below(removed_folders);
    }

    /// Removes every folder and photo below the `removed` folders.
    fn remove_below(&mut self, mut removed: HashSet<String>) {
        if removed.is_empty() {
            return;
        }
        // Down one level a round, until no folder left has a removed parent.
        loop {
            let below: Vec<String> = self
                .folders
                .iter()
                .filter(|(_, parent)| parent.as_ref().is_some_and(|p| removed.contains(p)))
                .map(|(id, _)| id.clone())
                .collect();
            if below.is_empty() {
                break;
            }
            for id in below {
                self.folders.remove(&id);
                removed.insert(id);
            }
        }
        self.photos.retain(|_, kept| {
            kept.parent
                .as_ref()
                .is_none_or(|parent| !removed.contains(parent))
        });
    }

    /// Keeps `photo` as read afresh (its links renewed), if it is held; whether it was.
    pub fn renew(&mut self, photo: SourcePhoto) -> bool {
        match self.photos.get_mut(&photo.id) {
            Some(kept) => {
                kept.photo = photo;
                true
            }
            None => false,
        }
    }

    /// Orders the photos newest first (see the module docs).
    pub fn sort(&mut self) {
        let mut order: Vec<(&str, &str)> = self
            .photos
            .iter()
            .map(|(id, kept)| {
                let taken = kept
                    .photo
                    .taken_at
                    .as_ref()
                    .map_or("", |taken| taken.as_str());
                // To the second: `YYYY-MM-DDTHH:MM:SS`.
                (taken.get(..19).unwrap_or(taken), id.as_str())
            })
            .collect();
        order.sort_unstable_by(|(a_taken, a_id), (b_taken, b_id)| {
            b_taken.cmp(a_taken).then_with(|| a_id.cmp(b_id))
        });
        self.order = order.into_iter().map(|(_, id)| id.to_owned()).collect();
    }

    /// Up to `count` photos from the `offset`th newest, and the offset of the rest (`None`
    /// when none is left).
    pub fn page(&self, offset: usize, count: usize) -> (Vec<SourcePhoto>, Option<usize>) {
        let end = offset.saturating_add(count).min(self.order.len());
        let photos = self
            .order
            .get(offset..end)
            .unwrap_or_default()
            .iter()
            .filter_map(|id| self.photos.get(id))
            .map(|kept| kept.photo.clone())
            .collect();
        (photos, (end < self.order.len()).then_some(end))
    }
}

#[cfg(test)]
mod against_the_graph_fixture;
#[cfg(test)]
mod figures;

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;
    use crate::photos::details::TakenAt;
    use crate::photos::source::Download;

    fn photo(id: &str, taken: Option<&str>) -> SourcePhoto {
        let url = Url::parse(&format!("https://dl.example/{id}")).unwrap();
        SourcePhoto {
            id: id.into(),
            title: Some(id.into()),
            width: None,
            height: None,
            taken_at: taken.and_then(TakenAt::rfc3339),
            bytes: None,
            thumbnail: Download::WithoutCredentials(url.clone()),
            image: Download::WithoutCredentials(url),
        }
    }

    fn put(id: &str, taken: &str, parent: &str) -> Change {
        Change::Photo {
            photo: Box::new(photo(id, Some(taken))),
            parent: Some(parent.into()),
        }
    }

    fn folder(id: &str, parent: &str) -> Change {
        Change::Folder {
            id: id.into(),
            parent: Some(parent.into()),
        }
    }

    fn removed(id: &str) -> Change {
        Change::Removed { id: id.into() }
    }

    fn ids(library: &SavedLibrary) -> Vec<String> {
        let (photos, _) = library.page(0, usize::MAX);
        photos.into_iter().map(|photo| photo.id).collect()
    }

    fn with(changes: Vec<Change>) -> SavedLibrary {
        let mut library = SavedLibrary::new();
        library.followed.push(Followed {
            id: "root".into(),
            link: "https://graph.example/v1.0/delta?token=1".into(),
        });
        library.apply(changes);
        library.sort();
        library
    }

    #[test]
    fn photos_are_newest_first_across_folders_undated_last_ties_by_id() {
        let mut library = with(vec![
            folder("2023", "root"),
            folder("2024", "root"),
            put("old", "2023-05-01T10:00:00Z", "2023"),
            put("new", "2024-06-01T10:00:00Z", "2024"),
            put("b", "2024-01-01T10:00:00Z", "2023"),
            put("a", "2024-01-01T10:00:00Z", "2024"),
            put("mid", "2024-03-01T10:00:00Z", "root"),
        ]);
        library.apply(vec![Change::Photo {
            photo: Box::new(photo("undated", None)),
            parent: Some("root".into()),
        }]);
        library.sort();
        assert_eq!(ids(&library), ["new", "mid", "a", "b", "old", "undated"]);
    }

    #[test]
    fn pages_are_cut_from_the_order_until_none_is_left() {
        let library = with(
            (0..5)
                .map(|n| {
                    put(
                        &format!("p{n}"),
                        &format!("2024-01-0{}T00:00:00Z", n + 1),
                        "root",
                    )
                })
                .collect(),
        );
        let (first, next) = library.page(0, 2);
        assert_eq!(
            first.iter().map(|p| &*p.id).collect::<Vec<_>>(),
            ["p4", "p3"]
        );
        assert_eq!(next, Some(2));
        let (last, next) = library.page(4, 2);
        assert_eq!(last.len(), 1);
        assert_eq!(next, None);
        let (beyond, next) = library.page(99, 2);
        assert!(beyond.is_empty() && next.is_none());
    }

    #[test]
    fn a_change_replaces_a_photo_and_a_removal_takes_it_away() {
        let mut library = with(vec![
            put("a", "2024-01-01T00:00:00Z", "root"),
            put("b", "2024-01-02T00:00:00Z", "root"),
        ]);
        library.apply(vec![
            put("a", "2025-01-01T00:00:00Z", "root"),
            removed("b"),
            removed("never-seen"),
        ]);
        library.sort();
        assert_eq!(ids(&library), ["a"]);
        let (photos, _) = library.page(0, 1);
        assert_eq!(
            photos[0].taken_at.as_ref().unwrap().as_str(),
            "2025-01-01T00:00:00Z"
        );
    }

    #[test]
    fn a_removed_folder_takes_everything_below_it_but_what_moved_away() {
        let mut library = with(vec![
            folder("year", "root"),
            folder("month", "year"),
            folder("day", "month"),
            put("in-year", "2024-01-01T00:00:00Z", "year"),
            put("in-day", "2024-01-02T00:00:00Z", "day"),
            put("moved", "2024-01-03T00:00:00Z", "month"),
            put("elsewhere", "2024-01-04T00:00:00Z", "root"),
        ]);
        library.apply(vec![
            removed("year"),
            put("moved", "2024-01-03T00:00:00Z", "root"),
        ]);
        library.sort();
        assert_eq!(ids(&library), ["elsewhere", "moved"]);
        assert!(!library.holds_folder("day"));
    }

    #[test]
    fn the_last_word_on_an_item_counts() {
        let mut library = with(vec![put("a", "2024-01-01T00:00:00Z", "root")]);
        library.apply(vec![removed("a"), put("a", "2024-01-01T00:00:00Z", "root")]);
        library.apply(vec![put("b", "2024-01-01T00:00:00Z", "root"), removed("b")]);
        library.sort();
        assert_eq!(ids(&library), ["a"]);
    }

    #[test]
    fn a_saved_library_round_trips_and_anything_else_is_read_again() {
        let library = with(vec![
            put("a", "2024-01-01T00:00:00Z", "root"),
            put("b", "2024-02-01T00:00:00Z", "root"),
        ]);
        let bytes = library.to_bytes();
        let read = SavedLibrary::read(&bytes).unwrap();
        assert_eq!(ids(&read), ["b", "a"]);
        assert_eq!(read.followed, library.followed);
        assert!(SavedLibrary::read(b"not json").is_none());
        let other_format = String::from_utf8(bytes)
            .unwrap()
            .replace("\"format\":1", "\"format\":99");
        assert!(SavedLibrary::read(other_format.as_bytes()).is_none());
        assert!(
            SavedLibrary::read(&SavedLibrary::new().to_bytes()).is_none(),
            "a library that follows no folder was never read whole"
        );
    }

    #[test]
    fn no_more_than_the_cap_of_photos_is_kept() {
        let mut library = SavedLibrary::new();
        library.apply(
            (0..MAX_PHOTOS + 3)
                .map(|n| put(&n.to_string(), "2024-01-01T00:00:00Z", "root"))
                .collect(),
        );
        assert_eq!(library.len(), MAX_PHOTOS);
        library.apply(vec![put("0", "2025-01-01T00:00:00Z", "root")]);
        library.sort();
        assert_eq!(
            library.page(0, 1).0[0].id,
            "0",
            "a kept photo still changes"
        );
    }
}
