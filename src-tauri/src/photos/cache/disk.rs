//! The disk cache of one account: a private folder of entry files, bounded in bytes, least
//! recently used out first.
//!
//! # Files
//!
//! | Name | What it holds |
//! | --- | --- |
//! | `t-{sha256 of the provider's photo id, hex}` | One thumbnail. |
//! | `l-{sha256 of the page token, hex}` | One page of the photo list (the first page: of the empty token). |
//! | `.tmp-{random}` | An entry being written; renamed into place when complete. |
//!
//! Names are hashes, so they say nothing of the photos and are safe on any file system
//! (lower-case hex, no case folding issues). The folder is `0700` and the files `0600` on unix.
//!
//! # Rules
//!
//! - **Atomic**: an entry is written to a temporary file and renamed over its name, so a reader
//!   sees the old entry or the new one. Files are not synced to disk: a crash may leave a torn
//!   entry, which the checks below turn into a miss (this is a cache; nothing is lost).
//! - **Checked on every read**, in this order: (1) the file is at least a header long and starts
//!   with [`MAGIC`]; (2) the media type's length and characters are sane; (3) the body length
//!   is exactly what remains; (4) the SHA-256 digest over header and body matches. A file that
//!   fails any check is a miss, and is removed.
//! - **Bounded**: the entries take at most the budget, counted in file bytes. Each read marks its
//!   file as used (its modification time), so the order survives a restart: [`DiskCache::open`]
//!   orders the files by that time, removes temporary leftovers and unknown files, and evicts
//!   down to the budget.
//! - **Never through a link**: the folder (and `photos/` above it) must be a real folder of this
//!   user; a link or a file in its place is removed, never its target, and a folder made
//!   instead ([`private_folder`]), so no other folder is ever chmodded or emptied.
//! - **Closed for good**: after [`DiskCache::close`] (the account went away) nothing is written
//!   any more, so a download that finishes late cannot put an entry back.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use rand::Rng;
use sha2::{Digest, Sha256};

use super::CachedBody;
use super::lru::Lru;
use crate::sync::lock;

/// First bytes of every entry file (format version 1).
pub const MAGIC: &[u8; 4] = b"PLC1";
/// The longest media type an entry may name.
const MAX_MEDIA_TYPE: usize = 100;
/// Magic, media type length, body length, digest.
const FIXED_HEADER: usize = MAGIC.len() + 1 + 8 + 32;
const TEMPORARY_PREFIX: &str = ".tmp-";

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskKey {
    /// The thumbnail of the photo the provider calls this.
    Thumbnail(String),
    /// The page of the list at this page token (`None`: the first page).
    ListPage(Option<String>),
    /// The library as read through the source's changes
    /// ([`SavedLibrary`](crate::photos::delta::SavedLibrary)).
    SavedLibrary,
}

impl DiskKey {
    fn file_name(&self) -> String {
        let (prefix, key) = match self {
            Self::Thumbnail(provider_id) => ("t-", provider_id.as_str()),
            Self::ListPage(token) => ("l-", token.as_deref().unwrap_or_default()),
            Self::SavedLibrary => ("s-", "library"),
        };
        format!("{prefix}{}", hex(&Sha256::digest(key.as_bytes())))
    }
}

/// One account's folder of entries.
pub struct DiskCache {
    folder: PathBuf,
    inner: Mutex<State>,
}

struct State {
    /// Entries by file name.
    lru: Lru<String>,
    closed: bool,
}

impl DiskCache {
    /// Opens (creating it if needed) the private `folder`, holding at most `budget` bytes:
    /// removes leftovers and files it does not know, and evicts down to the budget.
    pub fn open(folder: PathBuf, budget: u64) -> io::Result<Self> {
        private_folder(&folder)?;
        let mut found = Vec::new();
        for item in fs::read_dir(&folder)?.flatten() {
            let name = item.file_name().to_string_lossy().into_owned();
            let Ok(metadata) = item.metadata() else {
                continue;
            };
            if metadata.is_file() && is_entry_name(&name) {
                let used = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                found.push((used, name, metadata.len()));
            } else {
                remove_any(&item.path());
            }
        }
        found.sort();
        let mut lru = Lru::new(budget);
        for (_, name, bytes) in found {
            for evicted in lru.insert(name, bytes) {
                remove_any(&folder.join(evicted));
            }
        }
        Ok(Self {
            folder,
            inner: Mutex::new(State { lru, closed: false }),
        })
    }

    /// The folder of this account.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The entry under `key`, if it is there and intact (a damaged one is removed).
    pub fn get(&self, key: &DiskKey) -> Option<CachedBody> {
        let name = key.file_name();
        {
            let mut state = self.lock();
            if state.closed || !state.lru.touch(&name) {
                return None;
            }
        }
        let path = self.folder.join(&name);
        let read = fs::read(&path);
        match read.as_deref().ok().and_then(decode) {
            Some(body) => {
                mark_used(&path);
                Some(body)
            }
            None => {
                tracing::warn!(entry = %name, "removed a damaged or missing cache entry");
                let mut state = self.lock();
                remove_any(&path);
                state.lru.remove(&name);
                None
            }
        }
    }

    /// Keeps `body` under `key`, evicting the least recently used entries as needed. An entry
    /// larger than the whole budget is not kept.
    pub fn put(&self, key: &DiskKey, body: &CachedBody) -> io::Result<()> {
        let name = key.file_name();
        let encoded = encode(body);
        let bytes = encoded.len() as u64;
        {
            let state = self.lock();
            if state.closed || !state.lru.fits(bytes) {
                return Ok(());
            }
        }
        let temporary = self.folder.join(format!(
            "{TEMPORARY_PREFIX}{}",
            hex(&rand::rng().random::<[u8; 8]>())
        ));
        if let Err(error) = write_private(&temporary, &encoded) {
            remove_any(&temporary);
            // Closed meanwhile: its folder may be gone already.
            return if self.lock().closed {
                Ok(())
            } else {
                Err(error)
            };
        }
        let mut state = self.lock();
        if state.closed {
            remove_any(&temporary);
            return Ok(());
        }
        if let Err(error) = fs::rename(&temporary, self.folder.join(&name)) {
            remove_any(&temporary);
            return Err(error);
        }
        for evicted in state.lru.insert(name, bytes) {
            remove_any(&self.folder.join(evicted));
        }
        Ok(())
    }

    /// Stops all writing and reading, for good.
    pub fn close(&self) {
        self.lock().closed = true;
    }

    /// The bytes the entries take together.
    #[cfg(test)]
    pub fn bytes(&self) -> u64 {
        self.lock().lru.total()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.inner)
    }
}

/// The entry file for `body` (see the module docs for the checks [`decode`] makes).
fn encode(body: &CachedBody) -> Vec<u8> {
    let media_type = body.media_type.as_bytes();
    let mut file = Vec::with_capacity(FIXED_HEADER + media_type.len() + body.bytes.len());
    file.extend_from_slice(MAGIC);
    file.push(media_type.len() as u8);
    file.extend_from_slice(media_type);
    file.extend_from_slice(&(body.bytes.len() as u64).to_le_bytes());
    let digest = Sha256::new()
        .chain_update(&file)
        .chain_update(&body.bytes[..])
        .finalize();
    file.extend_from_slice(&digest);
    file.extend_from_slice(&body.bytes);
    file
}

/// The body in an entry file, or `None` when the file fails a check.
fn decode(file: &[u8]) -> Option<CachedBody> {
    // 1. Long enough for a header, and ours.
    if file.len() < FIXED_HEADER || !file.starts_with(MAGIC) {
        return None;
    }
    // 2. A sane media type.
    let type_length = usize::from(file[MAGIC.len()]);
    let type_start = MAGIC.len() + 1;
    let type_end = type_start + type_length;
    if type_length == 0 || type_length > MAX_MEDIA_TYPE || file.len() < FIXED_HEADER + type_length {
        return None;
    }
    let media_type = std::str::from_utf8(&file[type_start..type_end]).ok()?;
    if !media_type.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    // 3. The body is exactly what remains.
    let length = u64::from_le_bytes(file[type_end..type_end + 8].try_into().ok()?);
    let digest_start = type_end + 8;
    let body_start = digest_start + 32;
    if u64::try_from(file.len() - body_start).ok()? != length {
        return None;
    }
    // 4. The digest matches.
    let digest = Sha256::new()
        .chain_update(&file[..digest_start])
        .chain_update(&file[body_start..])
        .finalize();
    if digest[..] != file[digest_start..body_start] {
        return None;
    }
    Some(CachedBody::new(media_type, file[body_start..].to_vec()))
}

fn is_entry_name(name: &str) -> bool {
    let hash = name
        .strip_prefix("t-")
        .or_else(|| name.strip_prefix("l-"))
        .or_else(|| name.strip_prefix("s-"))
        .unwrap_or_default();
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Creates `folder` (and missing parents) readable by its owner only; an existing one is made
/// so. `folder` itself is never followed: anything there that is not a real folder (a link to
/// one, a file) is removed (the link, not its target) and a new folder made in its place, so
/// no other folder's mode or files are ever touched; a folder of another user is refused.
pub fn private_folder(folder: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    if let Some(parent) = folder.parent() {
        builder.recursive(true).create(parent)?;
        builder.recursive(false);
    }
    match fs::symlink_metadata(folder) {
        Ok(found) if found.is_dir() => {}
        Ok(_) => {
            tracing::warn!(path = %folder.display(), "replacing what is not a folder in the photo cache");
            fs::remove_file(folder)?;
            builder.create(folder)?;
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => builder.create(folder)?,
        Err(error) => return Err(error),
    }
    make_private(folder)
}

/// Checks `folder` is this user's own folder and makes it readable by them only. It is opened
/// without following a link (one put there since it was looked at is refused), so the owner
/// checked and the mode set are the folder's own.
#[cfg(unix)]
fn make_private(folder: &Path) -> io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    use rustix::fs::{Mode, OFlags};

    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let opened = fs::File::from(rustix::fs::open(folder, flags, Mode::empty())?);
    if opened.metadata()?.uid() != rustix::process::geteuid().as_raw() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "a photo cache folder belongs to another user",
        ));
    }
    opened.set_permissions(fs::Permissions::from_mode(0o700))
}

/// Folders in the user's profile are the user's own on Windows.
#[cfg(not(unix))]
fn make_private(_folder: &Path) -> io::Result<()> {
    Ok(())
}

/// Writes a new file readable by its owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// Records a use in the file's modification time (best effort: only the order after a restart
/// depends on it).
fn mark_used(path: &Path) {
    if let Ok(file) = OpenOptions::new().write(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// Removes a file or a folder, whatever it is; it may already be gone.
pub fn remove_any(path: &Path) {
    let removed = match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(error) => Err(error),
    };
    if let Err(error) = removed
        && error.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(%error, path = %path.display(), "could not remove from the photo cache");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(test: &str) -> PathBuf {
        let folder = std::env::temp_dir().join(format!(
            "photolink-disk-cache-{}-{test}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&folder);
        folder
    }

    fn thumbnail(id: &str) -> DiskKey {
        DiskKey::Thumbnail(id.into())
    }

    fn body(fill: u8, bytes: usize) -> CachedBody {
        CachedBody::new("image/png", vec![fill; bytes])
    }

    /// The size on disk of an entry of `bytes` body bytes with the type `image/png`.
    fn entry_size(bytes: usize) -> u64 {
        (FIXED_HEADER + "image/png".len() + bytes) as u64
    }

    fn files(folder: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(folder)
            .unwrap()
            .map(|item| item.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_entry_comes_back_as_it_was_written() {
        let folder = folder("round-trip");
        let cache = DiskCache::open(folder.clone(), 1 << 20).unwrap();
        cache.put(&thumbnail("a"), &body(1, 100)).unwrap();
        let page = CachedBody::new("application/json", b"{}".to_vec());
        cache.put(&DiskKey::ListPage(None), &page).unwrap();
        let read = cache.get(&thumbnail("a")).unwrap();
        assert_eq!(read.media_type, "image/png");
        assert_eq!(&read.bytes[..], &[1; 100]);
        assert_eq!(
            &cache.get(&DiskKey::ListPage(None)).unwrap().bytes[..],
            b"{}"
        );
        assert!(cache.get(&thumbnail("b")).is_none());
        assert!(cache.get(&DiskKey::ListPage(Some("next".into()))).is_none());
        assert_eq!(files(&folder).len(), 2, "no temporary file is left");
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn the_least_recently_used_entries_are_evicted_to_stay_within_the_budget() {
        let folder = folder("eviction");
        let cache = DiskCache::open(folder.clone(), 3 * entry_size(100)).unwrap();
        for id in ["a", "b", "c"] {
            cache.put(&thumbnail(id), &body(0, 100)).unwrap();
        }
        assert!(cache.get(&thumbnail("a")).is_some(), "a is used again");
        cache.put(&thumbnail("d"), &body(0, 100)).unwrap();
        assert!(cache.get(&thumbnail("b")).is_none(), "b was evicted");
        assert!(!folder.join(thumbnail("b").file_name()).exists());
        for kept in ["a", "c", "d"] {
            assert!(cache.get(&thumbnail(kept)).is_some(), "{kept}");
        }
        assert_eq!(cache.bytes(), 3 * entry_size(100));
        assert_eq!(files(&folder).len(), 3);

        cache.put(&thumbnail("e"), &body(0, 250)).unwrap();
        assert!(cache.bytes() <= 3 * entry_size(100));
        assert_eq!(files(&folder).len(), 2, "c and a made room for e");
        assert!(cache.get(&thumbnail("d")).is_some());
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn an_entry_larger_than_the_budget_is_not_kept() {
        let folder = folder("too-large");
        let cache = DiskCache::open(folder.clone(), entry_size(100)).unwrap();
        cache.put(&thumbnail("a"), &body(0, 100)).unwrap();
        cache.put(&thumbnail("huge"), &body(0, 101)).unwrap();
        assert!(cache.get(&thumbnail("huge")).is_none());
        assert!(cache.get(&thumbnail("a")).is_some(), "nothing was evicted");
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn reopening_keeps_the_order_of_use_and_evicts_down_to_a_smaller_budget() {
        let folder = folder("reopen");
        let cache = DiskCache::open(folder.clone(), 1 << 20).unwrap();
        for id in ["a", "b", "c"] {
            cache.put(&thumbnail(id), &body(0, 100)).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(cache.get(&thumbnail("a")).is_some());
        drop(cache);

        let reopened = DiskCache::open(folder.clone(), 2 * entry_size(100)).unwrap();
        assert!(reopened.get(&thumbnail("b")).is_none(), "b was the oldest");
        assert!(reopened.get(&thumbnail("c")).is_some());
        assert!(reopened.get(&thumbnail("a")).is_some());
        assert_eq!(files(&folder).len(), 2);
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn damaged_and_half_written_entries_are_misses_and_are_removed() {
        let folder = folder("damaged");
        let cache = DiskCache::open(folder.clone(), 1 << 20).unwrap();
        type Damage = fn(&mut Vec<u8>);
        let damages: [(&str, Damage); 6] = [
            ("cut in the body", |file| file.truncate(file.len() - 1)),
            ("cut in the header", |file| file.truncate(10)),
            ("empty", |file| file.clear()),
            ("a flipped body byte", |file| *file.last_mut().unwrap() ^= 1),
            ("a flipped media type", |file| file[6] ^= 0x20),
            ("another format", |file| file[0] = b'X'),
        ];
        for (damage, apply) in damages {
            let key = thumbnail(damage);
            cache.put(&key, &body(9, 300)).unwrap();
            let path = folder.join(key.file_name());
            let mut file = fs::read(&path).unwrap();
            apply(&mut file);
            fs::write(&path, file).unwrap();
            assert!(cache.get(&key).is_none(), "{damage}");
            assert!(!path.exists(), "{damage}: the entry is still there");
            cache.put(&key, &body(9, 300)).unwrap();
            assert!(
                cache.get(&key).is_some(),
                "{damage}: could not be written again"
            );
        }
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn opening_removes_leftover_temporary_and_unknown_files() {
        let folder = folder("leftovers");
        let cache = DiskCache::open(folder.clone(), 1 << 20).unwrap();
        cache.put(&thumbnail("a"), &body(0, 10)).unwrap();
        drop(cache);
        fs::write(folder.join(".tmp-0123456789abcdef"), b"half an entr").unwrap();
        fs::write(folder.join("notes.txt"), b"?").unwrap();
        fs::create_dir(folder.join("t-folder")).unwrap();

        let cache = DiskCache::open(folder.clone(), 1 << 20).unwrap();
        assert_eq!(files(&folder), vec![thumbnail("a").file_name()]);
        assert!(cache.get(&thumbnail("a")).is_some());
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn a_closed_cache_neither_writes_nor_reads() {
        let folder = folder("closed");
        let cache = DiskCache::open(folder.clone(), 1 << 20).unwrap();
        cache.put(&thumbnail("a"), &body(0, 10)).unwrap();
        cache.close();
        cache.put(&thumbnail("b"), &body(0, 10)).unwrap();
        assert!(cache.get(&thumbnail("a")).is_none());
        assert_eq!(files(&folder), vec![thumbnail("a").file_name()]);
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn file_names_are_hashes_of_the_keys() {
        let name = thumbnail("holiday/IMG_0001.jpg").file_name();
        assert!(is_entry_name(&name), "{name}");
        let saved = DiskKey::SavedLibrary.file_name();
        assert!(
            is_entry_name(&saved),
            "the saved library is kept on opening: {saved}"
        );
        assert!(!name.contains("IMG"));
        assert_ne!(
            DiskKey::ListPage(None).file_name(),
            DiskKey::Thumbnail(String::new()).file_name()
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_and_its_entries_are_private() {
        use std::os::unix::fs::PermissionsExt;

        let folder = folder("private");
        let cache = DiskCache::open(folder.join("account"), 1 << 20).unwrap();
        cache.put(&thumbnail("a"), &body(0, 10)).unwrap();
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&folder.join("account")), 0o700);
        assert_eq!(
            mode(&folder.join("account").join(thumbnail("a").file_name())),
            0o600
        );
        fs::remove_dir_all(folder).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_account_folder_is_replaced_and_its_target_left_alone() {
        use std::os::unix::fs::PermissionsExt;

        let folder = folder("linked");
        let target = folder.join("elsewhere");
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("notes.txt"), b"mine").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o755)).unwrap();
        let account = folder.join("account");
        std::os::unix::fs::symlink(&target, &account).unwrap();

        let cache = DiskCache::open(account.clone(), 1 << 20).unwrap();
        cache.put(&thumbnail("a"), &body(0, 10)).unwrap();

        assert_eq!(fs::read(target.join("notes.txt")).unwrap(), b"mine");
        assert_eq!(files(&target), ["notes.txt"]);
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "the link's target was chmodded");
        let replaced = fs::symlink_metadata(&account).unwrap();
        assert!(replaced.is_dir(), "a real folder took the link's place");
        assert_eq!(files(&account), [thumbnail("a").file_name()]);
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn a_file_where_the_folder_goes_is_replaced_by_a_folder() {
        let folder = folder("file-in-place");
        fs::create_dir_all(&folder).unwrap();
        fs::write(folder.join("account"), b"?").unwrap();
        let cache = DiskCache::open(folder.join("account"), 1 << 20).unwrap();
        cache.put(&thumbnail("a"), &body(0, 10)).unwrap();
        assert!(cache.get(&thumbnail("a")).is_some());
        fs::remove_dir_all(folder).unwrap();
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Any file: no panic, and a file that reads as an entry is exactly that entry's
            /// encoding (nothing else passes the checks).
            #[test]
            fn any_file_is_a_miss_or_exactly_an_entry(
                bytes in proptest::collection::vec(any::<u8>(), 0..(FIXED_HEADER + MAX_MEDIA_TYPE + 600)),
            ) {
                if let Some(body) = decode(&bytes) {
                    prop_assert_eq!(encode(&body), bytes);
                }
            }

            /// An entry comes back as written when its media type is sane (1 to 100 visible
            /// ASCII characters), is never read otherwise, and any changed byte is a miss.
            #[test]
            fn an_entry_round_trips_and_any_changed_byte_is_a_miss(
                media_type in prop_oneof![
                    "[!-~]{1,100}",
                    any::<String>(),
                    "[!-~]{101,300}",
                ],
                body in proptest::collection::vec(any::<u8>(), 0..3000),
                at in any::<prop::sample::Index>(),
                flip in 1..=u8::MAX,
            ) {
                let sane = (1..=MAX_MEDIA_TYPE).contains(&media_type.len())
                    && media_type.bytes().all(|b| b.is_ascii_graphic());
                let mut file = encode(&CachedBody::new(media_type.clone(), body.clone()));
                match decode(&file) {
                    Some(read) => {
                        prop_assert!(sane, "{:?} was read", media_type);
                        prop_assert_eq!(read.media_type, media_type);
                        prop_assert_eq!(&read.bytes[..], &body[..]);
                    }
                    None => prop_assert!(!sane, "{:?} was not read", media_type),
                }
                let at = at.index(file.len());
                file[at] ^= flip;
                prop_assert!(decode(&file).is_none(), "byte {} changed", at);
            }
        }
    }
}
