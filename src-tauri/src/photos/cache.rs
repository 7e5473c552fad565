//! The photo cache: thumbnails kept in memory for the current view and on disk across runs,
//! and the photo list kept on disk for showing the gallery offline.
//!
//! # The pieces
//!
//! | Item | What it is |
//! | --- | --- |
//! | [`PhotoCache`] | The app's cache: the memory cache, and the disk cache of the connected account once known. |
//! | [`AccountKey`] | Names an account's folder: a hash of issuer, client id and the account's subject. |
//! | [`MemoryCache`] | Images by `photo:` id and rendition, bounded by [`MEMORY_BUDGET_BYTES`]. |
//! | [`DiskCache`] | One account's folder of thumbnails and list pages, bounded by [`DISK_BUDGET_BYTES`]. |
//! | [`lru`] | The least-recently-used bookkeeping both share. |
//!
//! # Where it lives
//!
//! `photos/{account key}/` in Tauri's `app_cache_dir`: `~/.cache/com.example.photolink` on Linux
//! (`$XDG_CACHE_HOME` when set), `~/Library/Caches/com.example.photolink` on macOS,
//! `%LOCALAPPDATA%\com.example.photolink` on Windows.
//!
//! # Rules
//!
//! - **One folder per linked account, one open at a time.** The folder is named by
//!   [`AccountKey`], never by a token or an address. Showing another account
//!   ([`PhotoCache::switch_account`]) closes the open folder and keeps it; opening an account's
//!   folder removes every folder under `photos/` of an account not recorded (see below), and
//!   [`PhotoCache::forget_account_of`] (Disconnect, a new sign-in, a dead grant) removes that
//!   account's folder and record line: for the account whose folder is open it also empties the
//!   memory cache, and a download that finishes afterwards writes nowhere; an account not shown
//!   loses its folder when it was learned in this process (its folder opened). The other
//!   accounts' folders stay.
//! - **The accounts are recorded beside their folders.** `photos/account` names, a line each,
//!   the account key of each folder opened with a hash of the issuer and client id it was
//!   learned for (hashes only, never a token). When the provider cannot be reached to learn the
//!   subject, the recorded key of the same issuer and client is used, so the saved gallery of
//!   the account connected here can be shown, but only when one account of that issuer and
//!   client is recorded: with two, nothing says which is which, and neither saved gallery is
//!   shown. An account's line goes with its folder when the account goes away.
//! - **The memory cache is keyed by `photo:` id**, which is never handed out twice in a process,
//!   so nothing kept for one account can be served under another account's id.
//! - **The disk cache is keyed by the provider's photo id** (hashed into a file name), which
//!   stays the same across runs. It keeps thumbnails and list pages; full images are kept in
//!   memory only.
//! - **Offline means unreachable.** [`PhotoCache::list`] answers with the saved page only when
//!   the provider gave no answer at all (refused, timed out, no such host); an error answer
//!   (401, 403, 5xx…) is passed on as before. A photo whose thumbnail was never saved fails
//!   to load as it would without a cache.
//! - **No secrets**: the cache holds image bytes and the photo list as the source read it,
//!   never a token. (A service that lists short-lived pre-authenticated links has them saved
//!   with the list; they expire on the service's schedule, and are fetched without credentials
//!   like the fresh ones.)

mod disk;
mod lru;
mod memory;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use photolink_oauth::{Error as OAuthError, Session};
use rand::Rng;
use sha2::{Digest, Sha256};

pub use disk::{DiskCache, DiskKey};
pub use memory::MemoryCache;

use super::delta::SavedLibrary;
use super::index::Rendition;
use super::library::{PhotoLibrary, PhotoPage};
use super::source::SourcePage;
use crate::error::AppError;
use crate::sync::{blocking, lock};

/// How many bytes the disk cache of an account may take.
pub const DISK_BUDGET_BYTES: u64 = 200 * 1024 * 1024;
/// Thumbnails the grid holds at most in a large window: it keeps the screen in view and one
/// above and below (`ui/grid.js`), and a 1920×1080 screen of 220-pixel tiles is 8 columns by
/// 6 rows.
const GRID_TILES_KEPT: u64 = 3 * 8 * 6;
/// A thumbnail as photo services send them: tens of kilobytes (the demo provider's are about
/// 66 KB), so this is a generous size.
const THUMBNAIL_BYTES: u64 = 96 * 1024;
/// Full-size images kept for the viewer: the photo shown large and the ones next to it.
const FULL_SIZE_BYTES: u64 = 8 * 1024 * 1024;
/// How many bytes of images the memory cache may hold: what the grid shows and the viewer's
/// photos, no more, so that scrolling through a large library does not leave its thumbnails
/// in memory (the disk cache has them).
pub const MEMORY_BUDGET_BYTES: u64 = GRID_TILES_KEPT * THUMBNAIL_BYTES + FULL_SIZE_BYTES;
/// The cache's folder inside the app's cache folder.
pub const FOLDER: &str = "photos";
/// The media type of a saved page of the photo list.
const PAGE_MEDIA_TYPE: &str = "application/json";
/// Suffix of a removed `photos/` folder while it is being deleted.
const REMOVED_SUFFIX: &str = ".removed-";
/// The file under `photos/` that records whose folder is open (see the module docs).
const ACCOUNT_RECORD: &str = "account";

/// A body as cached: its media type and bytes.
#[derive(Debug, Clone)]
pub struct CachedBody {
    pub media_type: String,
    pub bytes: Arc<[u8]>,
}

impl CachedBody {
    pub fn new(media_type: impl Into<String>, bytes: impl Into<Arc<[u8]>>) -> Self {
        Self {
            media_type: media_type.into(),
            bytes: bytes.into(),
        }
    }
}

/// What the memory cache is keyed by: a `photo:` id and the rendition.
pub type MemoryKey = (String, Rendition);

/// The name of an account's cache folder: the first 128 bits of a SHA-256 over the issuer, the
/// client id and the account's subject (when the provider tells it), in lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountKey(String);

impl AccountKey {
    pub fn new(issuer: &str, client_id: &str, subject: Option<&str>) -> Self {
        let mut hash = Sha256::new();
        hash.update(b"photolink photo cache account\0");
        for field in [Some(issuer), Some(client_id), subject] {
            // Length-prefixed, so that no two different triples hash the same input.
            match field {
                Some(text) => {
                    hash.update([1]);
                    hash.update((text.len() as u64).to_le_bytes());
                    hash.update(text.as_bytes());
                }
                None => hash.update([0]),
            }
        }
        Self(disk::hex(&hash.finalize()[..16]))
    }

    /// The key of the account `session` is connected to: the subject of its verified ID token
    /// when it has one, else the subject the provider's userinfo names (which the core refuses
    /// when it contradicts a verified ID token). When userinfo is asked and the provider cannot
    /// be reached, `recorded`: the key recorded here for the same issuer and client. `None`
    /// while the account cannot be asked about otherwise (the grant is dead); a provider
    /// without userinfo, or one that refuses it, gives a key without a subject.
    pub async fn of(session: &Session, recorded: Option<Self>) -> Option<Self> {
        let subject = match session.id_token_claims() {
            Some(verified) => Some(verified.sub),
            None => match session.userinfo().await {
                Ok(info) => Some(info.sub),
                Err(error @ OAuthError::Network(_)) => {
                    tracing::info!(%error, "the account cannot be asked about; using the recorded one");
                    return recorded;
                }
                Err(error @ (OAuthError::ReconnectNeeded | OAuthError::NotConnected)) => {
                    tracing::info!(%error, "the account is not known yet; no disk cache for now");
                    return None;
                }
                Err(error) => {
                    tracing::info!(%error, "no subject from userinfo; caching by issuer and client");
                    None
                }
            },
        };
        let client = session.client();
        Some(Self::new(
            &client.metadata().issuer,
            &client.config().client_id,
            subject.as_deref(),
        ))
    }

    /// What an account key is recorded for: a hash of the issuer and client id of `session`.
    fn connection_of(session: &Session) -> Self {
        let client = session.client();
        Self::new(&client.metadata().issuer, &client.config().client_id, None)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The app's photo cache (see the module docs).
pub struct PhotoCache {
    /// `{app cache folder}/photos`; `None` when the platform has no cache folder (memory only).
    root: Option<PathBuf>,
    memory: MemoryCache<MemoryKey>,
    /// The connected account's folder, once known.
    disk: Mutex<Option<(AccountKey, Arc<DiskCache>)>>,
    /// Bumped whenever the account goes away; an account folder opened meanwhile is dropped.
    generation: AtomicU64,
    /// Held while the account is being learned, so that it is asked for once.
    learning: tokio::sync::Mutex<()>,
    /// The session of the account whose folder is open: another account's session opens its
    /// own folder.
    shown: Mutex<Weak<Session>>,
    /// The account each session was learned to be, in this process: an account no longer
    /// shown can still go away (its grant found dead), and its folder with it.
    learned: Mutex<Vec<(Weak<Session>, AccountKey)>>,
}

impl PhotoCache {
    /// The cache in the app's cache folder (memory only when the platform has none).
    pub fn in_cache_folder(app: &tauri::AppHandle) -> Self {
        use tauri::Manager;
        let root = match app.path().app_cache_dir() {
            Ok(folder) => Some(folder.join(FOLDER)),
            Err(error) => {
                tracing::warn!(%error, "no cache folder; photos are cached in memory only");
                None
            }
        };
        Self::new(root)
    }

    /// A cache in `root` (`None`: memory only) within [`DISK_BUDGET_BYTES`] and
    /// [`MEMORY_BUDGET_BYTES`].
    pub fn new(root: Option<PathBuf>) -> Self {
        Self {
            root,
            memory: MemoryCache::new(MEMORY_BUDGET_BYTES),
            disk: Mutex::new(None),
            generation: AtomicU64::new(0),
            learning: tokio::sync::Mutex::new(()),
            shown: Mutex::new(Weak::new()),
            learned: Mutex::new(Vec::new()),
        }
    }

    #[cfg(test)]
    fn memory(&self) -> &MemoryCache<MemoryKey> {
        &self.memory
    }

    /// The connected account's disk cache, if it is open already (never waits).
    fn disk(&self) -> Option<Arc<DiskCache>> {
        self.lock_disk().as_ref().map(|(_, disk)| disk.clone())
    }

    /// The disk cache of the account `session` is connected to, learning the account first
    /// when needed (once per account and process). The folder of another account's session
    /// is closed first.
    pub(super) async fn disk_for(&self, session: &Arc<Session>) -> Option<Arc<DiskCache>> {
        if let Some(disk) = self.disk_of(session) {
            return Some(disk);
        }
        self.root.as_ref()?;
        let _learning = self.learning.lock().await;
        if let Some(disk) = self.disk_of(session) {
            return Some(disk);
        }
        if self.disk().is_some() {
            self.switch_account();
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let connection = AccountKey::connection_of(session);
        let recorded = self.recorded_account(&connection).await;
        let account = AccountKey::of(session, recorded).await?;
        self.learned(session, &account);
        let disk = self.open_account(account, &connection, generation).await?;
        *lock(&self.shown) = Arc::downgrade(session);
        Some(disk)
    }

    /// The open folder, when it is `session`'s account's.
    fn disk_of(&self, session: &Arc<Session>) -> Option<Arc<DiskCache>> {
        let shown = lock(&self.shown).upgrade();
        let own = shown.is_some_and(|shown| Arc::ptr_eq(&shown, session));
        if own { self.disk() } else { None }
    }

    /// The account key recorded for `connection` (issuer and client), when exactly one is.
    async fn recorded_account(&self, connection: &AccountKey) -> Option<AccountKey> {
        let record = self.root.as_ref()?.join(ACCOUNT_RECORD);
        let text = blocking(move || std::fs::read_to_string(record))
            .await
            .ok()?;
        let mut found =
            recorded(&text).filter(|(recorded_for, _)| *recorded_for == connection.as_str());
        match (found.next(), found.next()) {
            (Some((_, account)), None) => Some(AccountKey(account.to_owned())),
            _ => None,
        }
    }

    /// Another linked account is shown: the open folder is closed and kept, and answers for
    /// the account shown before are dropped.
    pub fn switch_account(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some((_, disk)) = self.lock_disk().take() {
            disk.close();
        }
    }

    /// Opens the folder of `account` (learned for `connection`), removing the folders of
    /// accounts not recorded, and records it, unless the account went away since `generation`.
    async fn open_account(
        &self,
        account: AccountKey,
        connection: &AccountKey,
        generation: u64,
    ) -> Option<Arc<DiskCache>> {
        if let Some((open, disk)) = &*self.lock_disk()
            && *open == account
        {
            return Some(disk.clone());
        }
        let root = self.root.clone()?;
        let record_path = root.join(ACCOUNT_RECORD);
        let folder_name = account.as_str().to_owned();
        let line = (connection.as_str().to_owned(), account.as_str().to_owned());
        let written = record_path.clone();
        let opened = blocking(move || {
            let old = std::fs::read_to_string(&written).unwrap_or_default();
            let mut lines: Vec<(String, String)> = recorded(&old)
                .filter(|(_, recorded)| *recorded != line.1)
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .collect();
            lines.push(line);
            let kept: Vec<&str> = lines.iter().map(|(_, account)| account.as_str()).collect();
            let disk = open_keeping(&root, &folder_name, &kept, DISK_BUDGET_BYTES)?;
            let record: String = lines.iter().map(|(a, b)| format!("{a} {b}\n")).collect();
            forget_record(&written);
            disk::write_private(&written, record.as_bytes())?;
            Ok::<_, std::io::Error>(disk)
        });
        let disk = match opened.await {
            Ok(disk) => Arc::new(disk),
            Err(error) => {
                tracing::warn!(%error, "could not open the photo cache; memory only");
                return None;
            }
        };
        let mut current = self.lock_disk();
        if self.generation.load(Ordering::SeqCst) != generation {
            // The account went away while its folder was being opened.
            forget_record(&record_path);
            disk.close();
            disk::remove_any(disk.folder());
            return None;
        }
        if let Some((_, previous)) = current.replace((account, disk.clone())) {
            previous.close();
        }
        Some(disk)
    }

    /// The generation to pass to [`open_account`](Self::open_account).
    #[cfg(test)]
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Lists the page `page_token` names through `library` and saves it for this account.
    /// When the provider cannot be reached (no answer at all, not an error answer) and the
    /// page was saved, answers with the saved page, marked offline.
    ///
    /// An answer that arrives after the account went away (Disconnect, a new sign-in, a dead
    /// grant) is [`AppError::AccountChanged`]: it is neither saved (into the next account's
    /// folder) nor indexed nor shown.
    pub async fn list(
        &self,
        library: &PhotoLibrary,
        session: &Arc<Session>,
        page_token: Option<&str>,
    ) -> Result<PhotoPage, AppError> {
        let page_token = page_token.filter(|token| !token.is_empty());
        let key = DiskKey::ListPage(page_token.map(str::to_owned));
        // The account as it is now, in the cache and in the library's index: both move on
        // whenever the account goes away.
        let generation = self.generation.load(Ordering::SeqCst);
        let listing = library.listing();
        let (fetched, disk) = if page_token.is_none() && library.follows_changes() {
            let disk = self.disk_for(session).await;
            (
                read_changes_then_first_page(library, disk.clone()).await,
                disk,
            )
        } else {
            tokio::join!(library.fetch_page(page_token), self.disk_for(session))
        };
        if self.generation.load(Ordering::SeqCst) != generation {
            tracing::info!("the account changed while its photos were listed; answer dropped");
            return Err(AppError::AccountChanged);
        }
        match fetched {
            Ok(page) => {
                if let Some(disk) = disk {
                    save_page(disk, key, &page).await;
                }
                library.show_page(page, false, listing)
            }
            Err(error) if provider_unreachable(&error) => {
                let saved = match disk {
                    Some(disk) => saved_page(disk, key).await,
                    None => None,
                };
                match saved {
                    Some(page) => {
                        tracing::info!(%error, "the provider cannot be reached; showing the saved page");
                        library.show_page(page, true, listing)
                    }
                    None => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// Where `rendition` of the photo `id` stands for is cached, for one `photo:` request.
    pub fn image(&self, library: &PhotoLibrary, id: &str, rendition: Rendition) -> CachedImage<'_> {
        CachedImage {
            memory: &self.memory,
            key: (id.to_owned(), rendition),
            disk: match rendition {
                Rendition::Thumbnail => self.disk().zip(library.provider_id(id)),
                Rendition::Image => None,
            },
        }
    }

    /// The account of `session` went away (Disconnect, a new sign-in, a dead grant): when its
    /// folder is the open one, [`forget_account`](Self::forget_account); else its folder goes,
    /// when this process learned which it is. Another account's going leaves the open folder
    /// alone.
    pub fn forget_account_of(&self, session: &Arc<Session>) {
        let shown = lock(&self.shown).upgrade();
        if shown.is_some_and(|shown| Arc::ptr_eq(&shown, session)) {
            self.forget_account();
        } else if let Some(account) = self.account_learned_for(session) {
            self.forget_closed_account(&account);
        }
    }

    /// Remembers that `session` is `account`'s (sessions gone since are dropped).
    fn learned(&self, session: &Arc<Session>, account: &AccountKey) {
        let mut learned = lock(&self.learned);
        learned.retain(|(known, _)| {
            known.strong_count() > 0 && !known.ptr_eq(&Arc::downgrade(session))
        });
        learned.push((Arc::downgrade(session), account.clone()));
    }

    /// The account `session` was learned to be in this process, if it was.
    fn account_learned_for(&self, session: &Arc<Session>) -> Option<AccountKey> {
        let learned = lock(&self.learned);
        learned
            .iter()
            .find(|(known, _)| known.ptr_eq(&Arc::downgrade(session)))
            .map(|(_, account)| account.clone())
    }

    /// An account whose folder is not open went away: its folder and its line of the record
    /// go; the open folder stays.
    fn forget_closed_account(&self, account: &AccountKey) {
        let open = self.lock_disk().as_ref().map(|(open, _)| open.clone());
        if open.as_ref() == Some(account) {
            return self.forget_account();
        }
        let Some(root) = &self.root else {
            return;
        };
        forget_recorded(&root.join(ACCOUNT_RECORD), account);
        remove_folder(&root.join(account.as_str()));
    }

    /// The open account went away: empties the memory cache, and removes that account's folder
    /// and its line of the record. The folders of the other linked accounts stay. The folder is
    /// renamed at once and deleted in the background.
    fn forget_account(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.memory.clear();
        let Some((account, disk)) = self.lock_disk().take() else {
            return;
        };
        disk.close();
        let Some(root) = &self.root else {
            return;
        };
        // First, on its own: whatever becomes of the folder, its account is no longer recorded.
        forget_recorded(&root.join(ACCOUNT_RECORD), &account);
        remove_folder(disk.folder());
    }

    fn lock_disk(&self) -> MutexGuard<'_, Option<(AccountKey, Arc<DiskCache>)>> {
        lock(&self.disk)
    }
}

/// Where one image is cached: in memory under its `photo:` id, and for a thumbnail on disk under
/// the provider's id, in the account's folder as it was when the request came (so that an image
/// fetched for an account that has gone since is written nowhere).
pub struct CachedImage<'a> {
    memory: &'a MemoryCache<MemoryKey>,
    key: MemoryKey,
    disk: Option<(Arc<DiskCache>, String)>,
}

impl CachedImage<'_> {
    /// The image from memory, else from disk (then kept in memory too).
    pub async fn find(&self) -> Option<CachedBody> {
        if let Some(body) = self.memory.get(&self.key) {
            return Some(body);
        }
        let (disk, provider_id) = self.disk.clone()?;
        let body = blocking(move || disk.get(&DiskKey::Thumbnail(provider_id))).await?;
        self.memory.put(self.key.clone(), body.clone());
        Some(body)
    }

    /// Keeps an image just fetched (and checked) in memory, and a thumbnail on disk.
    pub async fn keep(&self, body: CachedBody) {
        self.memory.put(self.key.clone(), body.clone());
        if let Some((disk, provider_id)) = self.disk.clone()
            && let Err(error) =
                blocking(move || disk.put(&DiskKey::Thumbnail(provider_id), &body)).await
        {
            tracing::warn!(%error, "could not save a thumbnail in the photo cache");
        }
    }
}

/// Whether the provider could not be reached at all (refused, timed out, no such host), as
/// opposed to answering with an error.
fn provider_unreachable(error: &AppError) -> bool {
    matches!(error, AppError::OAuth(OAuthError::Network(_)))
}

/// Brings `library`'s photos up to date through its source's changes, from and into the
/// library saved in `disk` (none: read whole, kept in memory only), then its first page.
async fn read_changes_then_first_page(
    library: &PhotoLibrary,
    disk: Option<Arc<DiskCache>>,
) -> Result<SourcePage, AppError> {
    // Read (megabytes of JSON for a large library) off the async threads.
    let saved = match disk.clone() {
        Some(disk) => {
            blocking(move || {
                disk.get(&DiskKey::SavedLibrary)
                    .and_then(|body| SavedLibrary::read(&body.bytes))
            })
            .await
        }
        None => None,
    };
    let read = library.read_changes(saved).await?;
    if let (Some(bytes), Some(disk)) = (read, disk) {
        let body = CachedBody::new(PAGE_MEDIA_TYPE, bytes);
        if let Err(error) = blocking(move || disk.put(&DiskKey::SavedLibrary, &body)).await {
            tracing::warn!(%error, "could not save the library");
        }
    }
    library.fetch_page(None).await
}

async fn save_page(disk: Arc<DiskCache>, key: DiskKey, page: &SourcePage) {
    let body = match serde_json::to_vec(page) {
        Ok(json) => CachedBody::new(PAGE_MEDIA_TYPE, json),
        Err(error) => {
            tracing::warn!(%error, "could not encode a page of the photo list");
            return;
        }
    };
    if let Err(error) = blocking(move || disk.put(&key, &body)).await {
        tracing::warn!(%error, "could not save a page of the photo list");
    }
}

async fn saved_page(disk: Arc<DiskCache>, key: DiskKey) -> Option<SourcePage> {
    let body = blocking(move || disk.get(&key)).await?;
    match serde_json::from_slice(&body.bytes) {
        Ok(page) => Some(page),
        Err(error) => {
            tracing::warn!(%error, "a saved page of the photo list is unreadable");
            None
        }
    }
}

/// The well-formed lines of the account record: (connection, account), both hashes.
fn recorded(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().filter_map(|line| {
        let (recorded_for, account) = line.trim().split_once(' ')?;
        let well_formed = account.len() == 32 && account.bytes().all(|b| b.is_ascii_hexdigit());
        well_formed.then_some((recorded_for, account))
    })
}

/// Opens `root/folder_name`, after removing everything under `root` but the folders of the
/// `kept` accounts, and any removed `root` still being deleted.
fn open_keeping(
    root: &Path,
    folder_name: &str,
    kept: &[&str],
    budget: u64,
) -> std::io::Result<DiskCache> {
    if let (Some(parent), Some(name)) = (root.parent(), root.file_name()) {
        let removed_prefix = format!("{}{REMOVED_SUFFIX}", name.to_string_lossy());
        if let Ok(items) = std::fs::read_dir(parent) {
            for item in items.flatten() {
                if item
                    .file_name()
                    .to_string_lossy()
                    .starts_with(&removed_prefix)
                {
                    disk::remove_any(&item.path());
                }
            }
        }
    }
    disk::private_folder(root)?;
    for item in std::fs::read_dir(root)? {
        let item = item?;
        let name = item.file_name();
        let keep = name == folder_name
            || name == ACCOUNT_RECORD
            || kept.iter().any(|account| name == *account);
        if !keep {
            disk::remove_any(&item.path());
        }
    }
    DiskCache::open(root.join(folder_name), budget)
}

/// Removes the record of whose folder is open.
fn forget_record(record: &Path) {
    match std::fs::remove_file(record) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => tracing::warn!(%error, "could not remove the photo cache's account record"),
    }
}

/// Removes `account`'s line from the record at `record`; the other accounts' lines stay.
fn forget_recorded(record: &Path, account: &AccountKey) {
    let old = std::fs::read_to_string(record).unwrap_or_default();
    let kept: String = recorded(&old)
        .filter(|(_, recorded)| *recorded != account.as_str())
        .map(|(a, b)| format!("{a} {b}\n"))
        .collect();
    forget_record(record);
    if !kept.is_empty()
        && let Err(error) = disk::write_private(record, kept.as_bytes())
    {
        tracing::warn!(%error, "could not keep the record of the other accounts' photo caches");
    }
}

/// Removes an account's `folder`: renamed at once, deleted in the background.
fn remove_folder(folder: &Path) {
    match detach(folder) {
        Ok(Some(removed)) => {
            tracing::info!("removing an account's photo cache");
            std::thread::spawn(move || disk::remove_any(&removed));
        }
        Ok(None) => {}
        Err(error) => {
            tracing::warn!(%error, "could not move an account's photo cache away; removing it in place");
            disk::remove_any(folder);
        }
    }
}

/// Renames `root` to a name no cache is opened from; `None` when there is no `root`.
fn detach(root: &Path) -> std::io::Result<Option<PathBuf>> {
    let mut removed = root.as_os_str().to_owned();
    removed.push(format!(
        "{REMOVED_SUFFIX}{}",
        disk::hex(&rand::rng().random::<[u8; 8]>())
    ));
    let removed = PathBuf::from(removed);
    match std::fs::rename(root, &removed) {
        Ok(()) => Ok(Some(removed)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod against_the_demo_provider;

#[cfg(test)]
mod tests {
    use super::*;

    fn root(test: &str) -> PathBuf {
        let base = std::env::temp_dir().join(format!(
            "photolink-photo-cache-{}-{test}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&base);
        base.join(FOLDER)
    }

    fn thumbnail(id: &str) -> DiskKey {
        DiskKey::Thumbnail(id.into())
    }

    fn png() -> CachedBody {
        CachedBody::new("image/png", vec![1, 2, 3])
    }

    fn account(subject: &str) -> AccountKey {
        AccountKey::new("https://photos.example", "photolink-desktop", Some(subject))
    }

    fn connection() -> AccountKey {
        AccountKey::new("https://photos.example", "photolink-desktop", None)
    }

    #[tokio::test]
    async fn the_open_account_is_recorded_for_its_issuer_and_client_only_until_it_goes_away() {
        let root = root("record");
        let cache = PhotoCache::new(Some(root.clone()));
        cache
            .open_account(account("alice"), &connection(), cache.generation())
            .await
            .unwrap();

        let next_run = PhotoCache::new(Some(root.clone()));
        assert_eq!(
            next_run.recorded_account(&connection()).await,
            Some(account("alice"))
        );
        let other_client = AccountKey::new("https://photos.example", "other-app", None);
        assert_eq!(next_run.recorded_account(&other_client).await, None);
        let record = std::fs::read_to_string(root.join(ACCOUNT_RECORD)).unwrap();
        assert!(!record.contains("photos.example"), "only hashes: {record}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(root.join(ACCOUNT_RECORD))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        next_run
            .open_account(account("alice"), &connection(), next_run.generation())
            .await
            .expect("the record is written again over the old one");

        next_run.forget_account();
        assert_eq!(next_run.recorded_account(&connection()).await, None);
        assert_eq!(cache.recorded_account(&connection()).await, None);
    }

    #[tokio::test]
    async fn a_damaged_record_names_no_account() {
        let root = root("damaged-record");
        std::fs::create_dir_all(&root).unwrap();
        let cache = PhotoCache::new(Some(root.clone()));
        for text in [
            "",
            "nonsense",
            &format!("{} ../../elsewhere", connection().as_str()),
            &format!("{} {}", connection().as_str(), "z".repeat(32)),
        ] {
            std::fs::write(root.join(ACCOUNT_RECORD), text).unwrap();
            assert_eq!(cache.recorded_account(&connection()).await, None, "{text}");
        }
    }

    fn wait_until_gone(path: &Path) {
        for _ in 0..200 {
            if !path.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("{} is still there", path.display());
    }

    #[test]
    fn account_keys_tell_issuer_client_and_subject_apart() {
        let keys = [
            AccountKey::new("https://a.example", "app", Some("alice")),
            AccountKey::new("https://b.example", "app", Some("alice")),
            AccountKey::new("https://a.example", "other", Some("alice")),
            AccountKey::new("https://a.example", "app", Some("bob")),
            AccountKey::new("https://a.example", "app", None),
            AccountKey::new("https://a.example", "app", Some("")),
            AccountKey::new("https://a.exampleapp", "", Some("alice")),
        ];
        for (n, key) in keys.iter().enumerate() {
            assert_eq!(key.as_str().len(), 32, "{key:?}");
            assert!(key.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
            for other in &keys[n + 1..] {
                assert_ne!(key, other);
            }
        }
        assert_eq!(
            keys[0],
            AccountKey::new("https://a.example", "app", Some("alice")),
            "the same account gets the same folder in every run"
        );
    }

    #[tokio::test]
    async fn another_account_never_sees_the_first_ones_entries() {
        let root = root("accounts");
        let cache = PhotoCache::new(Some(root.clone()));
        let alice = cache
            .open_account(account("alice"), &connection(), cache.generation())
            .await
            .unwrap();
        alice.put(&thumbnail("p1"), &png()).unwrap();
        alice.put(&DiskKey::ListPage(None), &png()).unwrap();
        let alice_folder = alice.folder().to_owned();

        let bob = cache
            .open_account(account("bob"), &connection(), cache.generation())
            .await
            .unwrap();
        assert_ne!(bob.folder(), alice_folder);
        assert!(bob.get(&thumbnail("p1")).is_none());
        assert!(bob.get(&DiskKey::ListPage(None)).is_none());
        assert!(alice.get(&thumbnail("p1")).is_none(), "alice's is closed");
        alice.put(&thumbnail("p2"), &png()).unwrap();

        // Alice is still linked: her folder is kept for when she is shown again.
        let alice = cache
            .open_account(account("alice"), &connection(), cache.generation())
            .await
            .unwrap();
        assert_eq!(alice.folder(), alice_folder);
        assert!(alice.get(&thumbnail("p1")).is_some());
        assert!(
            alice.get(&thumbnail("p2")).is_none(),
            "written after it was closed"
        );
        assert!(alice.get(&DiskKey::ListPage(None)).is_some());
        std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn the_folders_of_accounts_no_longer_recorded_are_removed_and_two_recorded_are_not_guessed()
     {
        let root = root("unrecorded");
        let cache = PhotoCache::new(Some(root.clone()));
        cache
            .open_account(account("alice"), &connection(), cache.generation())
            .await
            .unwrap();
        let stray = root.join(account("carol").as_str());
        std::fs::create_dir_all(&stray).unwrap();
        assert_eq!(
            cache.recorded_account(&connection()).await,
            Some(account("alice"))
        );

        cache.switch_account();
        cache
            .open_account(account("bob"), &connection(), cache.generation())
            .await
            .unwrap();

        assert!(!stray.exists(), "a folder of no recorded account stays");
        assert!(root.join(account("alice").as_str()).exists());
        assert_eq!(
            cache.recorded_account(&connection()).await,
            None,
            "two accounts of one issuer and client: which one is not known"
        );
        std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn the_same_account_finds_its_entries_in_the_next_run() {
        let root = root("next-run");
        let first = PhotoCache::new(Some(root.clone()));
        let disk = first
            .open_account(account("alice"), &connection(), first.generation())
            .await
            .unwrap();
        disk.put(&thumbnail("p1"), &png()).unwrap();
        drop(first);

        let next = PhotoCache::new(Some(root.clone()));
        let disk = next
            .open_account(account("alice"), &connection(), next.generation())
            .await
            .unwrap();
        assert_eq!(&disk.get(&thumbnail("p1")).unwrap().bytes[..], &[1, 2, 3]);
        std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn forgetting_the_open_account_removes_its_folder_and_late_writes_go_nowhere() {
        let root = root("forget");
        let cache = PhotoCache::new(Some(root.clone()));
        let disk = cache
            .open_account(account("alice"), &connection(), cache.generation())
            .await
            .unwrap();
        disk.put(&thumbnail("p1"), &png()).unwrap();
        cache
            .memory()
            .put(("id".into(), Rendition::Thumbnail), png());

        let folder = disk.folder().to_owned();
        cache.forget_account();
        assert!(!folder.exists(), "the account's folder is still there");
        assert!(cache.disk().is_none());
        assert!(
            cache
                .memory()
                .get(&("id".into(), Rendition::Thumbnail))
                .is_none()
        );
        disk.put(&thumbnail("p2"), &png()).unwrap();
        assert!(
            !folder.exists(),
            "a late download wrote into the removed folder"
        );
        for item in std::fs::read_dir(&root).unwrap() {
            wait_until_gone(&item.unwrap().path());
        }
        std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn forgetting_one_account_keeps_the_other_accounts_folder_and_record() {
        let root = root("forget-one");
        let cache = PhotoCache::new(Some(root.clone()));
        let bob = cache
            .open_account(account("bob"), &connection(), cache.generation())
            .await
            .unwrap();
        bob.put(&thumbnail("b1"), &png()).unwrap();
        let bob_folder = bob.folder().to_owned();
        cache.switch_account();
        let alice = cache
            .open_account(account("alice"), &connection(), cache.generation())
            .await
            .unwrap();
        alice.put(&thumbnail("a1"), &png()).unwrap();
        let alice_folder = alice.folder().to_owned();

        cache.forget_account();

        assert!(!alice_folder.exists(), "Alice's folder stays");
        assert!(bob_folder.exists(), "Bob's folder went with Alice's");
        assert_eq!(
            cache.recorded_account(&connection()).await,
            Some(account("bob")),
            "Bob is still recorded, and only he"
        );
        let bob = cache
            .open_account(account("bob"), &connection(), cache.generation())
            .await
            .unwrap();
        assert!(bob.get(&thumbnail("b1")).is_some(), "Bob's thumbnails kept");
        std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn a_folder_opened_for_an_account_that_went_away_meanwhile_is_dropped() {
        let root = root("stale-open");
        let cache = PhotoCache::new(Some(root.clone()));
        let before = cache.generation();
        cache.forget_account();
        assert!(
            cache
                .open_account(account("alice"), &connection(), before)
                .await
                .is_none()
        );
        assert!(cache.disk().is_none());
        assert!(!root.join(account("alice").as_str()).exists());
        std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn opening_removes_a_cache_left_half_deleted() {
        let root = root("half-deleted");
        let leftover = PathBuf::from(format!("{}{REMOVED_SUFFIX}0011", root.display()));
        std::fs::create_dir_all(leftover.join("x")).unwrap();
        let cache = PhotoCache::new(Some(root.clone()));
        cache
            .open_account(account("alice"), &connection(), cache.generation())
            .await
            .unwrap();
        assert!(!leftover.exists());
        std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_linked_photos_folder_is_replaced_and_its_target_left_alone() {
        use std::os::unix::fs::PermissionsExt;

        let root = root("linked-root");
        let target = root.parent().unwrap().join("elsewhere");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("notes.txt"), b"mine").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink(&target, &root).unwrap();
        let cache = PhotoCache::new(Some(root.clone()));

        let disk = cache
            .open_account(account("alice"), &connection(), cache.generation())
            .await
            .expect("a real folder replaces the link");
        disk.put(&thumbnail("p1"), &png()).unwrap();
        cache.forget_account();

        assert_eq!(std::fs::read(target.join("notes.txt")).unwrap(), b"mine");
        assert_eq!(std::fs::read_dir(&target).unwrap().count(), 1);
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "the link's target was chmodded");
        std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn a_photo_list_answered_after_the_account_went_away_is_dropped() {
        use photolink_photo_fixtures::{Fixture, Service};

        let fixture = Fixture::start(Service::GoogleDrive, 3).await;
        let (library, session) = crate::photos::tests::library_and_session(
            &fixture,
            crate::photos::settings::PhotoApi::GoogleDrive,
        );
        let root = root("late-list");
        let cache = PhotoCache::new(Some(root.clone()));
        let mut held = fixture.hold_next();
        let (listed, ()) = tokio::join!(cache.list(&library, &session, None), async {
            held.arrived().await;
            // What Disconnect (and a new sign-in) does to the account's data.
            library.forget();
            cache.forget_account();
            held.release();
        });
        assert!(
            matches!(listed, Err(AppError::AccountChanged)),
            "{listed:?}"
        );
        assert_eq!(
            library.indexed(),
            0,
            "the late page filled the cleared index"
        );

        let next_account = cache
            .disk_for(&session)
            .await
            .expect("the next account's folder");
        assert!(
            next_account.get(&DiskKey::ListPage(None)).is_none(),
            "the late page was saved for the next account"
        );
        let page = cache.list(&library, &session, None).await.unwrap();
        assert_eq!(page.photos.len(), 3);
        assert_eq!(library.indexed(), 3);
        // The removed folder may still be being deleted in the background.
        let _ = std::fs::remove_dir_all(root.parent().unwrap());
    }

    #[tokio::test]
    async fn without_a_cache_folder_only_memory_is_used() {
        let cache = PhotoCache::new(None);
        assert!(
            cache
                .open_account(account("alice"), &connection(), cache.generation())
                .await
                .is_none()
        );
        cache.forget_account();
    }
}
