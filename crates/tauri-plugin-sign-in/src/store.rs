//! The OS keyring as the app's secure storage.
//!
//! # What is kept where
//!
//! | Keyring entry (service `com.example.photolink`) | What it holds |
//! | --- | --- |
//! | `oauth-tokens` | The manifest of the connected account's token set ([`KeyringTokenStore`] over a [`SplitEntry`]): its generation, how many parts, the SHA-256 of the whole text. |
//! | `oauth-tokens.<generation>.<n>` | Part `n` of that token set: the JSON text tagged with its issuer, cut into pieces of at most 1,280 UTF-16 code units. |
//! | `sign-in`, `sign-in.<generation>.<n>` | The sign-in waiting for the browser, while it lasts ([`SignInStore`]), kept the same way. |
//! | `provider-metadata-key` | The key that seals the saved provider endpoints ([`crate::saved_metadata`]). |
//!
//! Every entry fits Windows' Credential Manager, the strictest of the keyrings: at most 2,560
//! bytes of secret, which the keyring crate stores as UTF-16 (so 1,280 code units), under a
//! target name `{entry}.{service}` of at most 337 characters. A token set with an ID token, or a
//! sign-in with a long authorization address, can outgrow one entry, so [`SplitEntry`] keeps
//! each of them over a manifest and parts: a save writes the new parts, then the manifest, then
//! deletes the old parts, so a start finds one whole generation or an unreadable set, never a
//! mix; the tombstones below stand for the whole text. A token set saved whole in
//! `oauth-tokens` (before texts were split) is still read, and split at its next save. A part
//! that a crash or a refused delete leaves behind without its manifest is never read. The
//! sealing key is one short entry.
//!
//! Beside them, two small files in the app data folder list **hashes** of entries that
//! The app meant to delete but the keyring refused to: the [`ForgottenEntries`] tombstones,
//! `forgotten-connections.json` for token entries and `ended-sign-ins.json` for sign-in
//! entries, each account with files of its own (`forgotten-connections-<slot>.json`, … for the
//! accounts after the first; [`ForgottenEntries::of_slot`]), since a save or delete that works
//! drops every tombstone of its file. They hold no secret. Each is replaced atomically (a temporary file, synced, renamed
//! over it), so a crash leaves the old list or the new one; a list that cannot be read (torn,
//! edited, unreadable) tombstones **every** entry: nothing is restored until a new sign-in
//! writes a new entry.
//!
//! # When the keyring fails
//!
//! Every failure is a real error for the caller ([`TokenStore::save`] and [`TokenStore::clear`]
//! return it), and never leaves a token entry behind that the app no longer trusts:
//!
//! 1. A failed **write** leaves the previous (already rotated) refresh token in the keyring, so
//!    the store deletes that entry; if the delete fails too, the entry is tombstoned.
//! 2. A failed **delete** (Disconnect) tombstones the entry, so the next start does not restore
//!    the account the person disconnected. When the tombstone cannot be written either, the
//!    error says so ([`KeyringTokenStore::forgotten_entry_comes_back`]), and so does the window.
//! 3. At **start**, a tombstoned entry is ignored and its delete retried; once the delete
//!    works, or a new entry is written, the tombstones are dropped.
//! 4. A **sign-in** that ended (completed, cancelled, expired, replaced) and that the keyring
//!    would not delete is tombstoned the same way, and never put back ([`SignInStore`]).
//!
//! Nothing falls back to a plaintext file: without a working keyring the connection lives in
//! memory for this run only, and the window says so.
//!
//! Keyring calls may block (a locked keyring can prompt the person): every call here runs on a
//! blocking thread, never on an async worker or the UI thread.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use photolink_oauth::{CleanText, SavedSignIn, StoreError, TokenSet, TokenStore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::atomic_file::replace_file;
use photolink_oauth::sync::lock;

/// Keyring user name of the token entry.
const TOKENS_ACCOUNT: &str = "oauth-tokens";
/// File name of the token entries' tombstones in the app data folder.
pub const FORGOTTEN_FILE_NAME: &str = "forgotten-connections.json";
/// File name of the sign-in entries' tombstones in the app data folder.
pub const ENDED_SIGN_INS_FILE_NAME: &str = "ended-sign-ins.json";
/// How many tombstones are kept (each stands for one entry the keyring would not delete; the
/// newest always stands for the text the entry holds now).
const REMEMBERED_TOMBSTONES: usize = 8;
/// A larger tombstone file is not the app's (eight hashes take about 540 bytes).
const MAX_TOMBSTONE_FILE_BYTES: u64 = 4096;

/// Why the keyring could not be used, in words that carry no stored bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    #[error("the system keyring is locked")]
    Locked,
    #[error("no system keyring is available")]
    Missing,
    /// The platform's keyring failed; its description (cleaned: it never holds stored bytes,
    /// and it is the platform's text).
    #[error("the system keyring refused: {0}")]
    Platform(CleanText),
    /// A value is longer than the keyring takes: which (the keyring crate's name for it), and
    /// its limit.
    #[error("the {what} is longer than it allows ({limit})")]
    TooLong { what: CleanText, limit: u32 },
    /// The text needs more parts than an entry is split into.
    #[error("the text is longer than the sign-in keeps in the keyring")]
    TooManyParts,
    /// What was to be written could not be made into text.
    #[error("the {0} could not be prepared")]
    Unprepared(&'static str),
    /// The keyring would not delete an entry, and it could not be recorded as forgotten
    /// either: it would come back at the next start.
    #[error("{0}, and the entry could not be recorded as forgotten")]
    Unforgotten(Box<KeyringError>),
    /// The keyring crate reported an error of a kind it did not have when this was written.
    #[error("the system keyring failed unexpectedly")]
    Unexpected,
}

/// One keyring entry's text. The OS keyring implements it; tests use fakes that fail on demand.
pub trait SecretEntry: Send + Sync {
    /// The entry's text, `None` when there is no entry.
    fn read(&self) -> Result<Option<String>, KeyringError>;
    /// Replaces the entry's text.
    fn write(&self, text: &str) -> Result<(), KeyringError>;
    /// Deletes the entry; no error when there is none.
    fn delete(&self) -> Result<(), KeyringError>;
}

/// A keyring's entries by name: the OS keyring, or a stand-in in tests.
pub trait NamedEntries: Send + Sync {
    /// The entry called `name` (it need not exist yet).
    fn entry(&self, name: &str) -> Box<dyn SecretEntry>;
}

/// The OS keyring's entries under one service name (the app's identifier).
#[derive(Debug, Clone)]
pub struct OsKeyring {
    service: Arc<str>,
}

impl OsKeyring {
    /// The entries under `service`.
    pub fn new(service: impl Into<Arc<str>>) -> Self {
        Self {
            service: service.into(),
        }
    }

    /// The entry named `account` (it need not exist yet).
    pub fn named(&self, account: impl Into<String>) -> KeyringEntry {
        KeyringEntry {
            service: self.service.clone(),
            account: account.into(),
        }
    }
}

impl NamedEntries for OsKeyring {
    fn entry(&self, name: &str) -> Box<dyn SecretEntry> {
        Box::new(self.named(name))
    }
}

/// An entry of the OS keyring.
pub struct KeyringEntry {
    service: Arc<str>,
    account: String,
}

impl KeyringEntry {
    fn entry(&self) -> Result<keyring::Entry, KeyringError> {
        keyring::Entry::new(&self.service, &self.account).map_err(|e| describe(&e))
    }
}

impl SecretEntry for KeyringEntry {
    fn read(&self) -> Result<Option<String>, KeyringError> {
        match self.entry()?.get_password() {
            Ok(text) => Ok(Some(text)),
            Err(keyring::Error::NoEntry) => Ok(None),
            // Text that is not UTF-8 is as unusable as text the app cannot parse.
            Err(keyring::Error::BadEncoding(_)) => Ok(Some(String::new())),
            Err(error) => Err(describe(&error)),
        }
    }

    fn write(&self, text: &str) -> Result<(), KeyringError> {
        self.entry()?.set_password(text).map_err(|e| describe(&e))
    }

    fn delete(&self) -> Result<(), KeyringError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(describe(&error)),
        }
    }
}

/// The keyring error in words. Variants that carry stored bytes are never printed.
fn describe(error: &keyring::Error) -> KeyringError {
    match error {
        keyring::Error::NoStorageAccess(_) => KeyringError::Locked,
        keyring::Error::NoDefaultStore => KeyringError::Missing,
        keyring::Error::PlatformFailure(cause) => {
            KeyringError::Platform(CleanText::text(&cause.to_string()))
        }
        keyring::Error::TooLong(what, limit) => KeyringError::TooLong {
            what: CleanText::configured(what),
            limit: *limit,
        },
        _ => KeyringError::Unexpected,
    }
}

/// How many UTF-16 code units one part of a [`SplitEntry`] holds: Windows' Credential Manager
/// keeps at most 2,560 bytes per credential, and the keyring crate stores text there as UTF-16.
const PART_UTF16_UNITS: usize = 1280;
/// The most parts one text is split into (about 80,000 characters): a longer text is refused
/// rather than written, and a manifest naming more is damaged.
const MAX_PARTS: usize = 64;

/// One text kept over several keyring entries, each within the strictest keyring's limits
/// (Windows' Credential Manager: 2,560 bytes per secret, stored as UTF-16).
///
/// The entry called `name` holds a small manifest: a generation (a random id), how many parts
/// there are and the SHA-256 of the whole text. The parts are the entries
/// `name.<generation>.<n>`, each at most [`PART_UTF16_UNITS`] UTF-16 code units of the text,
/// in order.
///
/// - A **write** puts the new generation's parts first, then the manifest that names them, then
///   deletes the previous generation's parts: a reader finds the old set or the new one, never a
///   mix. A write that fails deletes the new parts it wrote.
/// - A **read** that finds a part missing, a part past the count, a damaged manifest or a text
///   whose digest differs gives text no caller can parse (empty, like an entry that is not
///   UTF-8), never a piece of a text.
/// - An entry `name` that holds no manifest holds the whole text itself, as the app kept it
///   before texts were split; the next write replaces it with a manifest.
/// - A **delete** removes the manifest first: once it is gone nothing reads the parts, even one
///   the keyring then refuses to delete (that refusal is still an error).
/// - The entry remembers the manifest it last read or wrote, so a write after a read (the
///   connection saved at sign-in, after start-up found none) asks the keyring nothing first.
///   One process of the app runs at a time and it is the only writer of its entries; after a failed
///   write or delete the entry reads the keyring again.
pub struct SplitEntry {
    entries: Arc<dyn NamedEntries>,
    name: String,
    last_seen: Mutex<LastSeen>,
}

/// The manifest a [`SplitEntry`] last read or wrote.
enum LastSeen {
    /// Not known: ask the keyring.
    Unknown,
    /// No manifest, so no parts (nothing, a text kept whole, or a damaged manifest).
    NoParts,
    Manifest(SplitManifest),
}

/// What a [`SplitEntry`]'s manifest says.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitManifest {
    /// 16 lower-case hex digits, part of every part's name.
    generation: String,
    parts: usize,
    /// The whole text's SHA-256, in lower-case hex.
    sha256: String,
}

/// What the entry a [`SplitEntry`] is named after holds.
enum Kept {
    Nothing,
    /// A text kept whole (the layout before texts were split).
    Whole(String),
    Split(SplitManifest),
    /// A manifest with impossible values.
    Damaged,
}

impl SplitEntry {
    /// The text called `name` among `entries`.
    pub fn new(entries: Arc<dyn NamedEntries>, name: impl Into<String>) -> Self {
        Self {
            entries,
            name: name.into(),
            last_seen: Mutex::new(LastSeen::Unknown),
        }
    }

    /// The saved connection of the account in `slot` among `entries`.
    pub fn tokens(entries: Arc<dyn NamedEntries>, slot: Slot) -> Self {
        Self::new(entries, slot.entry_name(TOKENS_ACCOUNT))
    }

    /// The sign-in waiting for the browser for the account in `slot` among `entries`.
    pub fn sign_in(entries: Arc<dyn NamedEntries>, slot: Slot) -> Self {
        Self::new(entries, slot.entry_name(SIGN_IN_ACCOUNT))
    }

    fn manifest(&self) -> Box<dyn SecretEntry> {
        self.entries.entry(&self.name)
    }

    fn part(&self, generation: &str, n: usize) -> Box<dyn SecretEntry> {
        self.entries
            .entry(&format!("{}.{generation}.{n}", self.name))
    }

    /// What the keyring holds under the entry's name, remembered as the manifest last seen.
    fn kept(&self) -> Result<Kept, KeyringError> {
        let kept = self.kept_in_the_keyring();
        *lock(&self.last_seen) = match &kept {
            Ok(Kept::Split(manifest)) => LastSeen::Manifest(manifest.clone()),
            Ok(Kept::Nothing | Kept::Whole(_) | Kept::Damaged) => LastSeen::NoParts,
            Err(_) => LastSeen::Unknown,
        };
        kept
    }

    fn kept_in_the_keyring(&self) -> Result<Kept, KeyringError> {
        let Some(text) = self.manifest().read()? else {
            return Ok(Kept::Nothing);
        };
        Ok(match serde_json::from_str::<SplitManifest>(&text) {
            Ok(manifest)
                if is_lower_hex(&manifest.generation, 16)
                    && manifest.parts <= MAX_PARTS
                    && is_lower_hex(&manifest.sha256, 64) =>
            {
                Kept::Split(manifest)
            }
            Ok(_) => Kept::Damaged,
            Err(_) => Kept::Whole(text),
        })
    }

    /// The text the parts of `manifest` hold together; `None` when they do not fit together.
    fn joined(&self, manifest: &SplitManifest) -> Result<Option<String>, KeyringError> {
        let mut text = String::new();
        for n in 0..manifest.parts {
            match self.part(&manifest.generation, n).read()? {
                Some(piece) => text.push_str(&piece),
                None => return Ok(None),
            }
        }
        let past_the_count = self
            .part(&manifest.generation, manifest.parts)
            .read()?
            .is_some();
        Ok((!past_the_count && entry_hash(&text) == manifest.sha256).then_some(text))
    }

    /// Deletes the first `count` parts of `generation`, every one even when some fail; the
    /// first failure is the error.
    fn delete_parts(&self, generation: &str, count: usize) -> Result<(), KeyringError> {
        let mut outcome = Ok(());
        for n in 0..count {
            if let Err(error) = self.part(generation, n).delete() {
                outcome = outcome.and(Err(error));
            }
        }
        outcome
    }
}

impl SecretEntry for SplitEntry {
    fn read(&self) -> Result<Option<String>, KeyringError> {
        let torn = match self.kept()? {
            Kept::Nothing => return Ok(None),
            Kept::Whole(text) => return Ok(Some(text)),
            Kept::Split(manifest) => match self.joined(&manifest)? {
                Some(text) => return Ok(Some(text)),
                None => "its parts do not fit together",
            },
            Kept::Damaged => "its manifest is damaged",
        };
        tracing::warn!(entry = %self.name, "a saved keyring text is unusable: {torn}");
        Ok(Some(String::new()))
    }

    fn write(&self, text: &str) -> Result<(), KeyringError> {
        let pieces = pieces(text);
        if pieces.len() > MAX_PARTS {
            return Err(KeyringError::TooManyParts);
        }
        // Unknown until this write succeeds.
        let last_seen = std::mem::replace(&mut *lock(&self.last_seen), LastSeen::Unknown);
        let previous = match last_seen {
            LastSeen::Manifest(manifest) => Some(manifest),
            LastSeen::NoParts => None,
            LastSeen::Unknown => match self.kept()? {
                Kept::Split(manifest) => Some(manifest),
                Kept::Nothing | Kept::Whole(_) | Kept::Damaged => None,
            },
        };
        let generation = loop {
            let generation = format!("{:016x}", rand::random::<u64>());
            if previous.as_ref().is_none_or(|p| p.generation != generation) {
                break generation;
            }
        };
        let manifest = SplitManifest {
            generation,
            parts: pieces.len(),
            sha256: entry_hash(text),
        };
        let manifest_text =
            serde_json::to_string(&manifest).map_err(|_| KeyringError::Unprepared("manifest"))?;
        let written = pieces
            .iter()
            .enumerate()
            .try_for_each(|(n, piece)| self.part(&manifest.generation, n).write(piece))
            .and_then(|()| self.manifest().write(&manifest_text));
        if let Err(error) = written {
            *lock(&self.last_seen) = LastSeen::Unknown;
            if let Err(cleanup) = self.delete_parts(&manifest.generation, manifest.parts) {
                tracing::warn!(%cleanup, "could not delete the parts of a failed keyring write");
            }
            return Err(error);
        }
        *lock(&self.last_seen) = LastSeen::Manifest(manifest);
        if let Some(previous) = previous
            && let Err(cleanup) = self.delete_parts(&previous.generation, previous.parts)
        {
            tracing::warn!(%cleanup, "could not delete the parts of a replaced keyring text");
        }
        Ok(())
    }

    fn delete(&self) -> Result<(), KeyringError> {
        // Read, not remembered: a delete removes every part the keyring holds.
        let kept = self.kept();
        *lock(&self.last_seen) = LastSeen::Unknown;
        self.manifest().delete()?;
        let deleted = match kept? {
            Kept::Split(manifest) => self.delete_parts(&manifest.generation, manifest.parts),
            Kept::Nothing | Kept::Whole(_) | Kept::Damaged => Ok(()),
        };
        if deleted.is_ok() {
            *lock(&self.last_seen) = LastSeen::NoParts;
        }
        deleted
    }
}

/// `text` in pieces of at most [`PART_UTF16_UNITS`] UTF-16 code units, split between
/// characters; none for an empty text.
fn pieces(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut units) = (0, 0);
    for (at, character) in text.char_indices() {
        if units + character.len_utf16() > PART_UTF16_UNITS {
            pieces.push(&text[start..at]);
            (start, units) = (at, 0);
        }
        units += character.len_utf16();
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

/// Whether `text` is `digits` lower-case hex digits.
fn is_lower_hex(text: &str, digits: usize) -> bool {
    text.len() == digits && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Hashes of keyring entries that must not be restored: the tombstones (see the module docs).
pub struct ForgottenEntries {
    path: PathBuf,
}

impl ForgottenEntries {
    /// Tombstones kept in the file at `path` (created when the first one is written).
    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    /// The tombstones of the account in `slot`, in `folder`: a file of its own (`file_name`
    /// for the first account, `<stem>-<n>.json` for the others), since a save or delete that
    /// works drops every tombstone of its file, which must never be another account's.
    pub fn of_slot(folder: &Path, file_name: &str, slot: Slot) -> Self {
        let stem = file_name.strip_suffix(".json").unwrap_or(file_name);
        Self::at(folder.join(format!("{}.json", slot.entry_name(stem))))
    }

    /// Whether the entry whose text hashes to `hash` must not be restored: it is tombstoned,
    /// or the list cannot be read (then no entry may be restored).
    fn forbids(&self, hash: &str) -> bool {
        match self.read() {
            Ok(hashes) => hashes.iter().any(|known| known == hash),
            Err(error) => {
                tracing::warn!(%error, "the list of forgotten entries cannot be read; restoring nothing");
                true
            }
        }
    }

    /// Records `hash`, durably. An error means the entry may be restored at the next start.
    fn add(&self, hash: String) -> std::io::Result<()> {
        let mut hashes = match self.read() {
            Ok(hashes) => hashes,
            // A damaged list already keeps every entry from being restored; replacing it with
            // this one hash would let the entries of the others come back.
            Err(error) if error.kind() == std::io::ErrorKind::InvalidData => return Ok(()),
            Err(error) => return Err(error),
        };
        if hashes.contains(&hash) {
            return Ok(());
        }
        if hashes.len() >= REMEMBERED_TOMBSTONES {
            hashes.remove(0);
        }
        hashes.push(hash);
        let json = serde_json::to_vec(&hashes).map_err(std::io::Error::other)?;
        replace_file(&self.path, &json)
    }

    /// Drops every tombstone: the keyring no longer holds any entry they stand for.
    fn drop_all(&self) {
        if let Err(error) = std::fs::remove_file(&self.path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(%error, "could not remove a list of forgotten entries");
        }
    }

    /// The hashes; none when there is no file. A file that is too large, not a JSON list of
    /// SHA-256 hashes in lower-case hex, or cannot be read is an error.
    fn read(&self) -> std::io::Result<Vec<String>> {
        let mut bytes = Vec::new();
        match std::fs::File::open(&self.path) {
            Ok(file) => file
                .take(MAX_TOMBSTONE_FILE_BYTES + 1)
                .read_to_end(&mut bytes)?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        parse_tombstones(&bytes).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not a list of forgotten entries",
            )
        })
    }
}

/// The hashes a tombstone file holds; `None` unless it is a JSON list of SHA-256 hashes in
/// lower-case hex, at most [`MAX_TOMBSTONE_FILE_BYTES`] long.
fn parse_tombstones(bytes: &[u8]) -> Option<Vec<String>> {
    if bytes.len() as u64 > MAX_TOMBSTONE_FILE_BYTES {
        return None;
    }
    let hashes: Vec<String> = serde_json::from_slice(bytes).ok()?;
    hashes
        .iter()
        .all(|hash| is_lower_hex(hash, 64))
        .then_some(hashes)
}

/// The SHA-256 of a text, in lower-case hex: an entry's tombstone, a split text's digest.
fn entry_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// What the token entry holds.
#[derive(Serialize, Deserialize)]
struct StoredTokens {
    issuer: String,
    tokens: TokenSet,
}

/// Why no saved connection could be restored at start, when there was one to restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenProblem {
    /// The entry is damaged (not the app's JSON, or impossible values).
    Unreadable,
    /// The keyring could not be read.
    Unavailable(KeyringError),
}

/// What became of a saved connection deleted without its provider
/// ([`KeyringTokenStore::forget_unopened`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgotten {
    /// Nothing was saved.
    Nothing,
    /// The keyring deleted every entry of it.
    Deleted,
    /// The keyring kept it, and its tombstone keeps a start from restoring it.
    Tombstoned,
    /// The keyring kept it, and no tombstone could be written for it.
    ComesBack,
}

/// Tokens for one issuer, kept in the OS keyring.
pub struct KeyringTokenStore {
    issuer: String,
    entry: Box<dyn SecretEntry>,
    forgotten: ForgottenEntries,
    held: Mutex<Held>,
}

struct Held {
    /// The tokens in use (also when the keyring could not keep them).
    tokens: Option<TokenSet>,
    /// The hash of the text the keyring entry holds, as far as this store knows.
    entry: Option<String>,
    /// The keyring holds an entry this store forgot, and neither a delete nor a tombstone
    /// keeps the next start from restoring it.
    comes_back: bool,
}

impl KeyringTokenStore {
    /// Reads the entry once (a blocking call). Tokens saved for another issuer count as none;
    /// a tombstoned entry counts as none and its delete is retried.
    pub fn open(
        issuer: impl Into<String>,
        entry: Box<dyn SecretEntry>,
        forgotten: ForgottenEntries,
    ) -> (Self, Option<OpenProblem>) {
        let issuer = issuer.into();
        let mut held = Held {
            tokens: None,
            entry: None,
            comes_back: false,
        };
        let problem = match entry.read() {
            Ok(None) => {
                forgotten.drop_all();
                None
            }
            Ok(Some(text)) => {
                let hash = entry_hash(&text);
                held.entry = Some(hash.clone());
                match forgotten.read() {
                    Err(error) => {
                        // Which entries were disconnected is unknown: none is restored, and
                        // the entry stays (a new sign-in replaces it, and the list with it).
                        tracing::warn!(%error, "the list of disconnected connections cannot be read; restoring none");
                        Some(OpenProblem::Unreadable)
                    }
                    Ok(tombstones) if tombstones.contains(&hash) => {
                        tracing::info!(
                            "the saved connection was disconnected earlier; deleting it"
                        );
                        match entry.delete() {
                            Ok(()) => {
                                held.entry = None;
                                forgotten.drop_all();
                            }
                            Err(error) => {
                                tracing::warn!(%error, "could not delete a disconnected connection");
                            }
                        }
                        None
                    }
                    Ok(_) => match tokens_for(&text, &issuer) {
                        Ok(tokens) => {
                            held.tokens = tokens;
                            None
                        }
                        Err(problem) => Some(problem),
                    },
                }
            }
            Err(error) => {
                tracing::warn!(%error, "could not read the saved connection");
                Some(OpenProblem::Unavailable(error))
            }
        };
        let store = Self {
            issuer,
            entry,
            forgotten,
            held: Mutex::new(held),
        };
        (store, problem)
    }

    /// Deletes the token entry, or tombstones it when the keyring refuses.
    fn forget_entry(&self, held: &mut Held) -> Result<(), StoreError> {
        match self.entry.delete() {
            Ok(()) => {
                held.entry = None;
                held.comes_back = false;
                self.forgotten.drop_all();
                Ok(())
            }
            Err(error) => {
                let recorded = match held.entry.clone() {
                    Some(hash) => self.forgotten.add(hash),
                    None => Ok(()),
                };
                held.comes_back = recorded.is_err();
                match recorded {
                    Ok(()) => Err(StoreError::new(error)),
                    Err(unrecorded) => {
                        tracing::error!(%unrecorded, "could not record a connection that must not be restored");
                        Err(StoreError::new(KeyringError::Unforgotten(Box::new(error))))
                    }
                }
            }
        }
    }

    /// Deletes the saved connection in `entry` without restoring its tokens, for an account
    /// whose provider cannot be set up (it left the settings): deleting an entry needs only its
    /// name. As Disconnect does, a delete the keyring refuses tombstones the text the entry
    /// holds (blocking).
    pub fn forget_unopened(entry: Box<dyn SecretEntry>, forgotten: ForgottenEntries) -> Forgotten {
        let (entry_hash, unread) = match entry.read() {
            Ok(None) => return Forgotten::Nothing,
            Ok(Some(text)) => (Some(entry_hash(&text)), false),
            Err(error) => {
                tracing::warn!(%error, "could not read a saved connection to delete it");
                (None, true)
            }
        };
        let store = Self {
            issuer: String::new(),
            entry,
            forgotten,
            held: Mutex::new(Held {
                tokens: None,
                entry: entry_hash,
                comes_back: false,
            }),
        };
        match store.clear() {
            Ok(()) => Forgotten::Deleted,
            // Without its text there is nothing to tombstone.
            Err(_) if unread || store.forgotten_entry_comes_back() => Forgotten::ComesBack,
            Err(_) => Forgotten::Tombstoned,
        }
    }

    /// Whether the next start would restore an entry this store forgot (Disconnect, a failed
    /// save): the keyring refused to delete it and its tombstone could not be written.
    pub fn forgotten_entry_comes_back(&self) -> bool {
        self.lock().comes_back
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        lock(&self.held)
    }
}

impl TokenStore for KeyringTokenStore {
    fn load(&self) -> Result<Option<TokenSet>, StoreError> {
        Ok(self.lock().tokens.clone())
    }

    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError> {
        let mut held = self.lock();
        held.tokens = Some(tokens.clone());
        let stored = StoredTokens {
            issuer: self.issuer.clone(),
            tokens: tokens.clone(),
        };
        let text = serde_json::to_string(&stored)
            .map_err(|_| StoreError::new(KeyringError::Unprepared("tokens")))?;
        tracing::info!(target: "photolink_bench", "keyring-write-start"); // timing mark, see lib.rs
        let written = self.entry.write(&text);
        tracing::info!(target: "photolink_bench", "keyring-write-end"); // timing mark
        match written {
            Ok(()) => {
                held.entry = Some(entry_hash(&text));
                held.comes_back = false;
                self.forgotten.drop_all();
                Ok(())
            }
            Err(error) => {
                // The keyring still holds the previous tokens, whose refresh token the server
                // may already have retired: it must not be presented at the next start.
                if let Err(cleanup) = self.forget_entry(&mut held) {
                    tracing::warn!(%cleanup, "could not delete the previous saved connection");
                }
                Err(StoreError::new(error))
            }
        }
    }

    fn clear(&self) -> Result<(), StoreError> {
        let mut held = self.lock();
        held.tokens = None;
        self.forget_entry(&mut held)
    }
}

/// The tokens in an entry's text if they were saved for `issuer`.
fn tokens_for(text: &str, issuer: &str) -> Result<Option<TokenSet>, OpenProblem> {
    match serde_json::from_str::<StoredTokens>(text) {
        Ok(stored) if stored.issuer == issuer => Ok(Some(stored.tokens)),
        Ok(_) => {
            tracing::info!("saved tokens belong to another provider; starting disconnected");
            Ok(None)
        }
        Err(_) => {
            tracing::warn!("the saved connection is damaged; ignoring it");
            Err(OpenProblem::Unreadable)
        }
    }
}

/// Keyring user name of the sign-in entry.
const SIGN_IN_ACCOUNT: &str = "sign-in";

/// What the sign-in entry holds: the sign-in and the page it opened (for "Open browser again").
#[derive(Serialize, Deserialize)]
struct StoredSignIn {
    authorize_url: Url,
    sign_in: SavedSignIn,
}

/// Which of the linked accounts an entry belongs to. The first slot keeps the entry names a
/// single account always had (`oauth-tokens`, `sign-in`), so a connection saved before several
/// accounts existed is read as the first account; the others add `-{slot}` to the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slot(pub u32);

impl Slot {
    pub const FIRST: Self = Self(0);

    fn entry_name(self, base: &str) -> String {
        match self {
            Self::FIRST => base.to_owned(),
            Self(n) => format!("{base}-{n}"),
        }
    }
}

/// The sign-in waiting for the browser, kept in its own keyring entry while it lasts, so that a
/// a process started later (the OS starts one for the callback) can finish it. A sign-in that
/// ended and that the keyring would not delete is tombstoned, and never loaded again (see the
/// module docs). Blocking calls.
pub struct SignInStore {
    entry: Box<dyn SecretEntry>,
    /// The tombstones of ended sign-ins; `None` when the platform has no data folder (nothing
    /// is set up then, so no sign-in starts).
    ended: Option<ForgottenEntries>,
    /// The hash of the text this store last wrote or read, to tombstone when the keyring can
    /// no longer be read.
    known: Mutex<Option<String>>,
}

impl SignInStore {
    /// The sign-in entry of the OS `keyring`, its tombstones in the file `ended`.
    pub fn keyring(keyring: Arc<OsKeyring>, slot: Slot, ended: Option<ForgottenEntries>) -> Self {
        Self::over(Box::new(SplitEntry::sign_in(keyring, slot)), ended)
    }

    /// A sign-in store over any entry.
    pub fn over(entry: Box<dyn SecretEntry>, ended: Option<ForgottenEntries>) -> Self {
        Self {
            entry,
            ended,
            known: Mutex::new(None),
        }
    }

    /// Keeps the sign-in in progress and its page.
    pub fn save(&self, authorize_url: &Url, sign_in: SavedSignIn) -> Result<(), KeyringError> {
        let stored = StoredSignIn {
            authorize_url: authorize_url.clone(),
            sign_in,
        };
        let text =
            serde_json::to_string(&stored).map_err(|_| KeyringError::Unprepared("sign-in"))?;
        self.entry.write(&text)?;
        *self.lock_known() = Some(entry_hash(&text));
        self.drop_tombstones();
        Ok(())
    }

    /// The kept sign-in, if there is one the app can read (a damaged one counts as none)
    /// and it did not end (a tombstoned one, or any while the tombstones cannot be read,
    /// counts as none; the delete of a tombstoned one is retried).
    pub fn load(&self) -> Result<Option<(Url, SavedSignIn)>, KeyringError> {
        let Some(text) = self.entry.read()? else {
            self.drop_tombstones();
            return Ok(None);
        };
        let hash = entry_hash(&text);
        *self.lock_known() = Some(hash.clone());
        if self
            .ended
            .as_ref()
            .is_some_and(|ended| ended.forbids(&hash))
        {
            tracing::info!("the saved sign-in ended earlier; deleting it");
            match self.entry.delete() {
                Ok(()) => self.drop_tombstones(),
                Err(error) => tracing::warn!(%error, "could not delete an ended sign-in"),
            }
            return Ok(None);
        }
        Ok(stored_sign_in(&text))
    }

    /// Forgets the kept sign-in (it ended). When the keyring refuses, the entry is tombstoned.
    pub fn delete(&self) -> Result<(), KeyringError> {
        match self.entry.delete() {
            Ok(()) => {
                self.drop_tombstones();
                Ok(())
            }
            Err(error) => {
                let hash = match self.entry.read() {
                    Ok(text) => text.map(|text| entry_hash(&text)),
                    Err(_) => self.lock_known().clone(),
                };
                if let (Some(ended), Some(hash)) = (&self.ended, hash)
                    && let Err(unrecorded) = ended.add(hash)
                {
                    tracing::error!(%unrecorded, "could not record a sign-in that ended");
                }
                Err(error)
            }
        }
    }

    fn drop_tombstones(&self) {
        if let Some(ended) = &self.ended {
            ended.drop_all();
        }
    }

    fn lock_known(&self) -> MutexGuard<'_, Option<String>> {
        lock(&self.known)
    }
}

/// The sign-in in an entry's text; `None` when the text is damaged.
fn stored_sign_in(text: &str) -> Option<(Url, SavedSignIn)> {
    match serde_json::from_str::<StoredSignIn>(text) {
        Ok(stored) => Some((stored.authorize_url, stored.sign_in)),
        Err(_) => {
            tracing::warn!("the saved sign-in is damaged; ignoring it");
            None
        }
    }
}

#[cfg(test)]
pub mod fakes {
    //! Keyring entries that fail on demand, and a stand-in for Windows' Credential Manager.

    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    use photolink_oauth::sync::lock;

    use super::{KeyringError, NamedEntries, SecretEntry};

    /// The keyring service the app's entries are kept under: its identifier.
    pub const KEYRING_SERVICE: &str = "com.example.photolink";

    /// Credential Manager's limit on a credential's secret, in bytes
    /// (`CRED_MAX_CREDENTIAL_BLOB_SIZE`).
    pub const MAX_SECRET_BYTES: usize = 2560;
    /// The limit kept to on a credential's target name, in characters
    /// (`CRED_MAX_DOMAIN_TARGET_NAME_LENGTH`, stricter than the one for generic credentials).
    pub const MAX_TARGET_NAME_CHARS: usize = 337;

    /// A **stand-in** for Windows' Credential Manager as the keyring crate uses it, in memory:
    /// an entry's target name is `{name}.{service}` (the default of windows-native-keyring-store,
    /// keyring 4's store there), its text is stored as UTF-16, and a write
    /// past either limit is refused as the real store refuses it. Each kind of call can be made
    /// to fail; clones share the entries and the switches.
    #[derive(Clone, Default)]
    pub struct CredentialManagerStandIn {
        entries: Arc<Mutex<BTreeMap<String, String>>>,
        pub fail_reads: Arc<AtomicBool>,
        pub fail_writes: Arc<AtomicBool>,
        pub fail_deletes: Arc<AtomicBool>,
        /// When set, writes fail once this many more have succeeded.
        writes_left: Arc<Mutex<Option<usize>>>,
    }

    impl CredentialManagerStandIn {
        /// The names of the entries it holds, in order.
        pub fn names(&self) -> Vec<String> {
            lock(&self.entries).keys().cloned().collect()
        }

        /// The text of the entry called `name`.
        pub fn text_of(&self, name: &str) -> Option<String> {
            lock(&self.entries).get(name).cloned()
        }

        /// Sets the text of the entry called `name`, within the limits or not.
        pub fn put(&self, name: &str, text: &str) {
            lock(&self.entries).insert(name.to_owned(), text.to_owned());
        }

        /// Removes the entry called `name`, as if something outside the app did.
        pub fn remove(&self, name: &str) {
            lock(&self.entries).remove(name);
        }

        /// Lets `count` more writes succeed, and fails the ones after.
        pub fn fail_writes_after(&self, count: usize) {
            *lock(&self.writes_left) = Some(count);
        }

        pub fn fail_everything(&self, fail: bool) {
            for switch in [&self.fail_reads, &self.fail_writes, &self.fail_deletes] {
                switch.store(fail, Ordering::SeqCst);
            }
            *lock(&self.writes_left) = None;
        }

        /// Whether Credential Manager would take `text` under `name`; the refusal in its words
        /// otherwise (as the keyring error describes it).
        pub fn within_limits(name: &str, text: &str) -> Result<(), KeyringError> {
            let target = format!("{name}.{KEYRING_SERVICE}");
            if target.chars().count() > MAX_TARGET_NAME_CHARS {
                return Err(KeyringError::TooLong {
                    what: photolink_oauth::CleanText::configured("target"),
                    limit: MAX_TARGET_NAME_CHARS as u32,
                });
            }
            if text.encode_utf16().count() * 2 > MAX_SECRET_BYTES {
                return Err(KeyringError::TooLong {
                    what: photolink_oauth::CleanText::configured("password encoded as UTF-16"),
                    limit: MAX_SECRET_BYTES as u32,
                });
            }
            Ok(())
        }

        fn write(&self, name: &str, text: &str) -> Result<(), KeyringError> {
            FakeEntry::check(&self.fail_writes)?;
            if let Some(left) = lock(&self.writes_left).as_mut() {
                if *left == 0 {
                    return Err(KeyringError::Locked);
                }
                *left -= 1;
            }
            Self::within_limits(name, text)?;
            self.put(name, text);
            Ok(())
        }
    }

    impl NamedEntries for CredentialManagerStandIn {
        fn entry(&self, name: &str) -> Box<dyn SecretEntry> {
            Box::new(StandInEntry {
                store: self.clone(),
                name: name.to_owned(),
            })
        }
    }

    /// One entry of a [`CredentialManagerStandIn`].
    struct StandInEntry {
        store: CredentialManagerStandIn,
        name: String,
    }

    impl SecretEntry for StandInEntry {
        fn read(&self) -> Result<Option<String>, KeyringError> {
            FakeEntry::check(&self.store.fail_reads)?;
            Ok(self.store.text_of(&self.name))
        }

        fn write(&self, text: &str) -> Result<(), KeyringError> {
            self.store.write(&self.name, text)
        }

        fn delete(&self) -> Result<(), KeyringError> {
            FakeEntry::check(&self.store.fail_deletes)?;
            self.store.remove(&self.name);
            Ok(())
        }
    }

    /// An in-memory keyring entry; each kind of call can be made to fail. Clones share it.
    #[derive(Clone, Default)]
    pub struct FakeEntry {
        text: Arc<Mutex<Option<String>>>,
        pub fail_reads: Arc<AtomicBool>,
        pub fail_writes: Arc<AtomicBool>,
        pub fail_deletes: Arc<AtomicBool>,
    }

    impl FakeEntry {
        pub fn holding(text: &str) -> Self {
            let entry = Self::default();
            *lock(&entry.text) = Some(text.to_owned());
            entry
        }

        pub fn text(&self) -> Option<String> {
            lock(&self.text).clone()
        }

        pub fn fail_everything(&self, fail: bool) {
            for switch in [&self.fail_reads, &self.fail_writes, &self.fail_deletes] {
                switch.store(fail, Ordering::SeqCst);
            }
        }

        fn check(switch: &AtomicBool) -> Result<(), KeyringError> {
            if switch.load(Ordering::SeqCst) {
                Err(KeyringError::Locked)
            } else {
                Ok(())
            }
        }
    }

    impl SecretEntry for FakeEntry {
        fn read(&self) -> Result<Option<String>, KeyringError> {
            Self::check(&self.fail_reads)?;
            Ok(self.text())
        }

        fn write(&self, text: &str) -> Result<(), KeyringError> {
            Self::check(&self.fail_writes)?;
            *lock(&self.text) = Some(text.to_owned());
            Ok(())
        }

        fn delete(&self) -> Result<(), KeyringError> {
            Self::check(&self.fail_deletes)?;
            *lock(&self.text) = None;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, SystemTime};

    use photolink_oauth::{AccessToken, RefreshToken};

    use super::fakes::{CredentialManagerStandIn, FakeEntry};
    use super::*;

    const ISSUER: &str = "http://127.0.0.1:47821";

    fn tokens(refresh: &str) -> TokenSet {
        TokenSet {
            access_token: AccessToken::new(format!("access-{refresh}")),
            token_type: "Bearer".into(),
            refresh_token: Some(RefreshToken::new(refresh)),
            received_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            expires_at: None,
            scopes: vec!["photos:read".into()],
            id_token: None,
            id_token_claims: None,
            dpop_key: None,
        }
    }

    fn saved(issuer: &str, refresh: &str) -> String {
        serde_json::to_string(&StoredTokens {
            issuer: issuer.into(),
            tokens: tokens(refresh),
        })
        .unwrap()
    }

    /// A fresh folder for one test's tombstone file.
    fn forgotten(test: &str) -> (ForgottenEntries, PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("photolink-store-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join(FORGOTTEN_FILE_NAME);
        (ForgottenEntries::at(path.clone()), path)
    }

    fn open(entry: &FakeEntry, test: &str) -> (KeyringTokenStore, Option<OpenProblem>) {
        KeyringTokenStore::open(ISSUER, Box::new(entry.clone()), forgotten(test).0)
    }

    fn reopen(
        entry: &FakeEntry,
        path: &std::path::Path,
    ) -> (KeyringTokenStore, Option<OpenProblem>) {
        KeyringTokenStore::open(
            ISSUER,
            Box::new(entry.clone()),
            ForgottenEntries::at(path.to_owned()),
        )
    }

    fn refresh_token_of(store: &KeyringTokenStore) -> Option<String> {
        store
            .load()
            .unwrap()
            .and_then(|t| t.refresh_token)
            .map(|t| t.secret().to_owned())
    }

    #[test]
    fn tokens_are_used_only_for_the_issuer_they_were_saved_for() {
        let (store, problem) = open(&FakeEntry::holding(&saved(ISSUER, "r1")), "issuer-same");
        assert_eq!(problem, None);
        assert_eq!(refresh_token_of(&store).as_deref(), Some("r1"));
        for other in ["http://127.0.0.1:50000", "https://photos.example.com"] {
            let (store, problem) = open(&FakeEntry::holding(&saved(other, "r1")), "issuer-other");
            assert_eq!(problem, None);
            assert!(store.load().unwrap().is_none());
        }
    }

    #[test]
    fn a_damaged_entry_is_reported_as_unreadable_and_restores_nothing() {
        for text in ["not json", r#"{"access_token":"a"}"#, ""] {
            let (store, problem) = open(&FakeEntry::holding(text), "damaged");
            assert_eq!(problem, Some(OpenProblem::Unreadable), "{text}");
            assert!(store.load().unwrap().is_none());
        }
    }

    #[test]
    fn an_entry_with_absurd_numbers_is_unreadable_rather_than_a_panic() {
        let absurd = saved(ISSUER, "r1").replace("1700000000", "18446744073709551615");
        assert!(absurd.contains("18446744073709551615"));
        let (store, problem) = open(&FakeEntry::holding(&absurd), "absurd");
        assert_eq!(problem, Some(OpenProblem::Unreadable));
        assert!(store.load().unwrap().is_none());
    }

    #[test]
    fn a_keyring_that_cannot_be_read_is_reported() {
        let entry = FakeEntry::holding(&saved(ISSUER, "r1"));
        entry.fail_everything(true);
        let (store, problem) = open(&entry, "unreadable-keyring");
        assert_eq!(
            problem,
            Some(OpenProblem::Unavailable(KeyringError::Locked))
        );
        assert!(store.load().unwrap().is_none());
    }

    #[test]
    fn a_failed_save_is_an_error_and_deletes_the_stale_refresh_token() {
        let entry = FakeEntry::holding(&saved(ISSUER, "r1"));
        let (store, _) = open(&entry, "failed-save");
        entry.fail_writes.store(true, Ordering::SeqCst);

        let saved = store.save(&tokens("r2"));

        assert!(saved.is_err(), "a failed write must be an error");
        assert_eq!(
            entry.text(),
            None,
            "the rotated refresh token r1 stayed behind"
        );
        assert_eq!(
            refresh_token_of(&store).as_deref(),
            Some("r2"),
            "the new tokens live on in memory"
        );
    }

    #[test]
    fn a_failed_save_whose_cleanup_fails_too_is_not_restored_at_the_next_start() {
        let entry = FakeEntry::holding(&saved(ISSUER, "r1"));
        let (forgotten, path) = forgotten("failed-save-and-delete");
        let (store, _) = KeyringTokenStore::open(ISSUER, Box::new(entry.clone()), forgotten);
        entry.fail_writes.store(true, Ordering::SeqCst);
        entry.fail_deletes.store(true, Ordering::SeqCst);

        assert!(store.save(&tokens("r2")).is_err());
        assert!(entry.text().is_some(), "the fake refused the delete");
        let tombstones = std::fs::read_to_string(&path).unwrap();
        assert!(
            !tombstones.contains("r1"),
            "a tombstone holds no secret: {tombstones}"
        );

        let (next_start, problem) = reopen(&entry, &path);
        assert_eq!(problem, None);
        assert!(
            next_start.load().unwrap().is_none(),
            "the stale r1 was restored"
        );

        entry.fail_everything(false);
        let (later_start, _) = reopen(&entry, &path);
        assert!(later_start.load().unwrap().is_none());
        assert_eq!(entry.text(), None, "the delete is retried at start");
        assert!(!path.exists(), "tombstones go once the entry is gone");
    }

    #[test]
    fn a_failed_clear_is_an_error_and_the_disconnected_account_is_not_restored() {
        let entry = FakeEntry::holding(&saved(ISSUER, "r1"));
        let (forgotten, path) = forgotten("failed-clear");
        let (store, _) = KeyringTokenStore::open(ISSUER, Box::new(entry.clone()), forgotten);
        entry.fail_deletes.store(true, Ordering::SeqCst);

        assert!(store.clear().is_err(), "a failed delete must be an error");
        assert!(store.load().unwrap().is_none());

        let (next_start, _) = reopen(&entry, &path);
        assert!(
            next_start.load().unwrap().is_none(),
            "the next start restored the account the person disconnected"
        );
    }

    #[test]
    fn one_accounts_successful_save_keeps_the_tombstones_of_another() {
        let (_, path) = forgotten("two-accounts");
        let folder = path.parent().unwrap().to_owned();
        let first = FakeEntry::holding(&saved(ISSUER, "a1"));
        let second = FakeEntry::holding(&saved(ISSUER, "b1"));
        let tombstones = |slot| ForgottenEntries::of_slot(&folder, FORGOTTEN_FILE_NAME, slot);
        let (first_store, _) =
            KeyringTokenStore::open(ISSUER, Box::new(first.clone()), tombstones(Slot::FIRST));
        let (second_store, _) =
            KeyringTokenStore::open(ISSUER, Box::new(second.clone()), tombstones(Slot(1)));
        // The second account is disconnected, but the keyring keeps its entry: tombstoned.
        second.fail_deletes.store(true, Ordering::SeqCst);
        assert!(second_store.clear().is_err());
        // The first account saves its refreshed tokens.
        first_store.save(&tokens("a2")).unwrap();

        let (next_start, _) =
            KeyringTokenStore::open(ISSUER, Box::new(second.clone()), tombstones(Slot(1)));
        assert!(
            next_start.load().unwrap().is_none(),
            "another account's save let the disconnected one come back"
        );
        assert_eq!(
            tombstones(Slot::FIRST).path,
            path,
            "the first account keeps the file name it always had"
        );
        assert!(folder.join("forgotten-connections-1.json").exists());
    }

    #[test]
    fn a_successful_write_after_a_failure_drops_the_tombstones() {
        let entry = FakeEntry::holding(&saved(ISSUER, "r1"));
        let (forgotten, path) = forgotten("recovered");
        let (store, _) = KeyringTokenStore::open(ISSUER, Box::new(entry.clone()), forgotten);
        entry.fail_everything(true);
        assert!(store.save(&tokens("r2")).is_err());
        assert!(path.exists());

        entry.fail_everything(false);
        store.save(&tokens("r3")).unwrap();

        assert!(!path.exists());
        let (next_start, _) = reopen(&entry, &path);
        assert_eq!(refresh_token_of(&next_start).as_deref(), Some("r3"));
    }

    /// A tombstone file that is torn, edited or not the app's, and one past the size cap.
    fn damaged_tombstone_files() -> Vec<Vec<u8>> {
        let hash = entry_hash("x");
        vec![
            format!("[\"{hash}\", \"{}", &hash[..10]).into_bytes(),
            b"not json".to_vec(),
            b"{}".to_vec(),
            b"[\"not a hash\"]".to_vec(),
            format!("[\"{}\"]", hash.to_uppercase()).into_bytes(),
            vec![0xff, 0xfe, 0x00],
            serde_json::to_vec(&vec![hash; 80]).unwrap(),
        ]
    }

    #[test]
    fn an_unreadable_tombstone_file_restores_no_connection() {
        for (n, file) in damaged_tombstone_files().into_iter().enumerate() {
            let entry = FakeEntry::holding(&saved(ISSUER, "r1"));
            let (_, path) = forgotten(&format!("unreadable-tombstones-{n}"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &file).unwrap();

            let (store, problem) = reopen(&entry, &path);

            assert_eq!(problem, Some(OpenProblem::Unreadable), "file {n}");
            assert!(store.load().unwrap().is_none(), "file {n} restored r1");
            assert!(
                entry.text().is_some(),
                "the entry stays until a new sign-in"
            );
            store.save(&tokens("r2")).unwrap();
            assert!(!path.exists(), "a new entry drops the damaged list");
        }
    }

    #[test]
    fn a_damaged_tombstone_file_is_not_replaced_by_a_shorter_list() {
        let entry = FakeEntry::holding(&saved(ISSUER, "r1"));
        let (_, path) = forgotten("damaged-then-disconnect");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let torn = format!("[\"{}", entry_hash("an older entry"));
        std::fs::write(&path, &torn).unwrap();
        let (store, _) = reopen(&entry, &path);
        entry.fail_deletes.store(true, Ordering::SeqCst);

        let cleared = store.clear().unwrap_err();

        assert_eq!(cleared.to_string(), KeyringError::Locked.to_string());
        assert!(!store.forgotten_entry_comes_back());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), torn);
        let (next_start, problem) = reopen(&entry, &path);
        assert_eq!(problem, Some(OpenProblem::Unreadable));
        assert!(next_start.load().unwrap().is_none());
    }

    #[test]
    fn a_tombstone_that_cannot_be_written_is_an_error_that_says_the_entry_comes_back() {
        let entry = FakeEntry::holding(&saved(ISSUER, "r1"));
        let (_, path) = forgotten("unwritable-tombstone");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let not_a_folder = path.with_file_name("not-a-folder");
        std::fs::write(&not_a_folder, b"").unwrap();
        let unwritable = not_a_folder.join(FORGOTTEN_FILE_NAME);
        let (store, _) = reopen(&entry, &unwritable);
        entry.fail_deletes.store(true, Ordering::SeqCst);

        let cleared = store.clear().unwrap_err();

        assert_eq!(
            cleared.to_string(),
            "the system keyring is locked, and the entry could not be recorded as forgotten"
        );
        assert!(store.forgotten_entry_comes_back());
        entry.fail_deletes.store(false, Ordering::SeqCst);
        store.clear().unwrap();
        assert!(
            !store.forgotten_entry_comes_back(),
            "the delete worked after all"
        );
    }

    #[test]
    fn tombstones_are_replaced_whole_and_keep_the_older_ones() {
        let entry = FakeEntry::holding(&saved(ISSUER, "r1"));
        let (forgotten, path) = forgotten("tombstones-whole");
        forgotten.add(entry_hash("an older entry")).unwrap();
        let (store, _) = reopen(&entry, &path);
        entry.fail_deletes.store(true, Ordering::SeqCst);

        assert!(store.clear().is_err());

        let listed = parse_tombstones(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            listed,
            [
                entry_hash("an older entry"),
                entry_hash(&saved(ISSUER, "r1"))
            ]
        );
        let folder: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|item| item.unwrap().file_name())
            .collect();
        assert_eq!(folder, [FORGOTTEN_FILE_NAME], "a temporary file was left");
    }

    /// A token set of about `kilobytes` KB of JSON, its access token full of characters
    /// outside ASCII (two and four bytes in UTF-8, one and two code units in UTF-16).
    fn large_tokens(refresh: &str, kilobytes: usize) -> TokenSet {
        let mut large = tokens(refresh);
        let access: String = "é写😀a"
            .chars()
            .cycle()
            .take(kilobytes * 1024 * 2 / 5)
            .collect();
        large.access_token = AccessToken::new(access);
        large
    }

    fn split_over(keyring: &CredentialManagerStandIn, name: &str) -> SplitEntry {
        SplitEntry::new(Arc::new(keyring.clone()), name)
    }

    fn open_split(
        keyring: &CredentialManagerStandIn,
        path: &std::path::Path,
    ) -> (KeyringTokenStore, Option<OpenProblem>) {
        KeyringTokenStore::open(
            ISSUER,
            Box::new(split_over(keyring, TOKENS_ACCOUNT)),
            ForgottenEntries::at(path.to_owned()),
        )
    }

    /// The manifest the stand-in holds for the token entry.
    fn manifest_in(keyring: &CredentialManagerStandIn) -> SplitManifest {
        serde_json::from_str(&keyring.text_of(TOKENS_ACCOUNT).unwrap()).unwrap()
    }

    /// The names of a generation's parts.
    fn part_names(manifest: &SplitManifest) -> Vec<String> {
        (0..manifest.parts)
            .map(|n| format!("{TOKENS_ACCOUNT}.{}.{n}", manifest.generation))
            .collect()
    }

    /// The stand-in holds the manifest and exactly the parts it names, each within
    /// Credential Manager's limits.
    fn assert_one_generation(keyring: &CredentialManagerStandIn) -> SplitManifest {
        let manifest = manifest_in(keyring);
        let mut expected = part_names(&manifest);
        expected.push(TOKENS_ACCOUNT.to_owned());
        expected.sort();
        assert_eq!(keyring.names(), expected);
        for name in keyring.names() {
            let text = keyring.text_of(&name).unwrap();
            assert_eq!(
                CredentialManagerStandIn::within_limits(&name, &text),
                Ok(()),
                "{name}"
            );
        }
        manifest
    }

    #[test]
    fn a_large_token_set_round_trips_over_entries_that_each_fit_credential_manager() {
        let keyring = CredentialManagerStandIn::default();
        let (_, path) = forgotten("split-large");
        let (store, _) = open_split(&keyring, &path);
        let large = large_tokens("r1", 20);
        let text = serde_json::to_string(&StoredTokens {
            issuer: ISSUER.into(),
            tokens: large.clone(),
        })
        .unwrap();
        assert!(text.len() > 20_000, "{}", text.len());
        assert!(
            CredentialManagerStandIn::within_limits(TOKENS_ACCOUNT, &text).is_err(),
            "one entry would do"
        );

        store.save(&large).unwrap();

        let manifest = assert_one_generation(&keyring);
        assert!(manifest.parts >= 8, "{} parts", manifest.parts);
        let (next_start, problem) = open_split(&keyring, &path);
        assert_eq!(problem, None);
        assert_eq!(
            next_start.load().unwrap().unwrap().access_token.secret(),
            large.access_token.secret()
        );
    }

    /// Saves a large token set, damages what the stand-in holds with `damage`, and opens it.
    fn open_damaged(
        test: &str,
        damage: impl FnOnce(&CredentialManagerStandIn, &SplitManifest),
    ) -> (KeyringTokenStore, Option<OpenProblem>) {
        let keyring = CredentialManagerStandIn::default();
        let (_, path) = forgotten(test);
        let (store, _) = open_split(&keyring, &path);
        store.save(&large_tokens("r1", 8)).unwrap();
        damage(&keyring, &manifest_in(&keyring));
        open_split(&keyring, &path)
    }

    #[test]
    fn a_torn_set_of_entries_is_unreadable_and_restores_nothing() {
        let other_generation = |keyring: &CredentialManagerStandIn, _: &SplitManifest| {
            // One generation's manifest beside the next generation's parts: the parts it
            // names are gone.
            let earlier = keyring.text_of(TOKENS_ACCOUNT).unwrap();
            split_over(keyring, TOKENS_ACCOUNT)
                .write(&saved(ISSUER, "r2"))
                .unwrap();
            keyring.put(TOKENS_ACCOUNT, &earlier);
        };
        type Damage = Box<dyn Fn(&CredentialManagerStandIn, &SplitManifest)>;
        let damages: Vec<(&str, Damage)> = vec![
            (
                "missing part",
                Box::new(
                    |keyring: &CredentialManagerStandIn, manifest: &SplitManifest| {
                        keyring.remove(&part_names(manifest)[1])
                    },
                ),
            ),
            ("parts of another generation", Box::new(other_generation)),
            (
                "a part of another generation under this one's name",
                Box::new(
                    |keyring: &CredentialManagerStandIn, manifest: &SplitManifest| {
                        let elsewhere = CredentialManagerStandIn::default();
                        split_over(&elsewhere, TOKENS_ACCOUNT)
                            .write(&saved(ISSUER, &"r9".repeat(2000)))
                            .unwrap();
                        let other_part = &part_names(&manifest_in(&elsewhere))[0];
                        keyring.put(
                            &part_names(manifest)[0],
                            &elsewhere.text_of(other_part).unwrap(),
                        );
                    },
                ),
            ),
            (
                "an extra part",
                Box::new(
                    |keyring: &CredentialManagerStandIn, manifest: &SplitManifest| {
                        let name = format!(
                            "{TOKENS_ACCOUNT}.{}.{}",
                            manifest.generation, manifest.parts
                        );
                        keyring.put(&name, "}");
                    },
                ),
            ),
            (
                "fewer parts named than kept",
                Box::new(
                    |keyring: &CredentialManagerStandIn, manifest: &SplitManifest| {
                        let fewer = SplitManifest {
                            generation: manifest.generation.clone(),
                            parts: manifest.parts - 1,
                            sha256: manifest.sha256.clone(),
                        };
                        keyring.put(TOKENS_ACCOUNT, &serde_json::to_string(&fewer).unwrap());
                    },
                ),
            ),
            (
                "digest mismatch",
                Box::new(
                    |keyring: &CredentialManagerStandIn, manifest: &SplitManifest| {
                        let damaged = SplitManifest {
                            generation: manifest.generation.clone(),
                            parts: manifest.parts,
                            sha256: entry_hash("another text"),
                        };
                        keyring.put(TOKENS_ACCOUNT, &serde_json::to_string(&damaged).unwrap());
                    },
                ),
            ),
            (
                "manifest cut short",
                Box::new(|keyring: &CredentialManagerStandIn, _: &SplitManifest| {
                    let text = keyring.text_of(TOKENS_ACCOUNT).unwrap();
                    keyring.put(TOKENS_ACCOUNT, &text[..text.len() / 2]);
                }),
            ),
            (
                "manifest naming too many parts",
                Box::new(
                    |keyring: &CredentialManagerStandIn, manifest: &SplitManifest| {
                        let text = keyring.text_of(TOKENS_ACCOUNT).unwrap();
                        let many = format!("\"parts\":{}", MAX_PARTS + 1);
                        keyring.put(
                            TOKENS_ACCOUNT,
                            &text.replace(&format!("\"parts\":{}", manifest.parts), &many),
                        );
                    },
                ),
            ),
            (
                "manifest with an impossible generation",
                Box::new(
                    |keyring: &CredentialManagerStandIn, manifest: &SplitManifest| {
                        let text = keyring.text_of(TOKENS_ACCOUNT).unwrap();
                        keyring.put(
                            TOKENS_ACCOUNT,
                            &text.replace(&manifest.generation, "../../elsewhere"),
                        );
                    },
                ),
            ),
        ];
        for (n, (what, damage)) in damages.into_iter().enumerate() {
            let (store, problem) = open_damaged(&format!("split-torn-{n}"), damage);
            assert_eq!(problem, Some(OpenProblem::Unreadable), "{what}");
            assert!(store.load().unwrap().is_none(), "{what} restored tokens");
        }
    }

    #[test]
    fn saves_after_start_up_ask_the_keyring_nothing_but_still_replace_the_old_generation() {
        let keyring = CredentialManagerStandIn::default();
        let (_, path) = forgotten("split-remembered");
        let (store, _) = open_split(&keyring, &path);
        // From here on the keyring can be written but not read.
        keyring.fail_reads.store(true, Ordering::SeqCst);

        store.save(&large_tokens("r1", 6)).unwrap();
        let first = assert_one_generation(&keyring);
        store.save(&tokens("r2")).unwrap();

        let second = assert_one_generation(&keyring);
        assert_ne!(second.generation, first.generation);
        keyring.fail_reads.store(false, Ordering::SeqCst);
        let (next_start, _) = open_split(&keyring, &path);
        assert_eq!(refresh_token_of(&next_start).as_deref(), Some("r2"));
    }

    #[test]
    fn a_save_after_a_failed_one_reads_the_keyring_again() {
        let keyring = CredentialManagerStandIn::default();
        let (_, path) = forgotten("split-after-failure");
        let (store, _) = open_split(&keyring, &path);
        store.save(&large_tokens("r1", 6)).unwrap();
        // A write that fails, and a keyring that then keeps the old set too: what it holds is
        // not known any more.
        keyring.fail_writes.store(true, Ordering::SeqCst);
        keyring.fail_deletes.store(true, Ordering::SeqCst);
        assert!(store.save(&tokens("r2")).is_err());
        keyring.fail_writes.store(false, Ordering::SeqCst);
        keyring.fail_deletes.store(false, Ordering::SeqCst);
        keyring.fail_reads.store(true, Ordering::SeqCst);

        assert!(
            store.save(&tokens("r3")).is_err(),
            "after a failed write the entry must ask the keyring what it holds"
        );
        keyring.fail_reads.store(false, Ordering::SeqCst);
        store.save(&tokens("r4")).unwrap();

        let (next_start, _) = open_split(&keyring, &path);
        assert_eq!(refresh_token_of(&next_start).as_deref(), Some("r4"));
    }

    #[test]
    fn a_smaller_token_set_deletes_the_parts_it_no_longer_needs() {
        let keyring = CredentialManagerStandIn::default();
        let (_, path) = forgotten("split-shrink");
        let (store, _) = open_split(&keyring, &path);
        store.save(&large_tokens("r1", 12)).unwrap();
        let large = assert_one_generation(&keyring);

        store.save(&tokens("r2")).unwrap();

        let small = assert_one_generation(&keyring);
        assert_eq!(small.parts, 1);
        assert_ne!(small.generation, large.generation);
        let (next_start, _) = open_split(&keyring, &path);
        assert_eq!(refresh_token_of(&next_start).as_deref(), Some("r2"));
    }

    #[test]
    fn disconnect_deletes_every_entry_of_the_set() {
        let keyring = CredentialManagerStandIn::default();
        let (_, path) = forgotten("split-clear");
        let (store, _) = open_split(&keyring, &path);
        store.save(&large_tokens("r1", 12)).unwrap();

        store.clear().unwrap();

        assert_eq!(keyring.names(), Vec::<String>::new());
    }

    /// Deletes the token entry among `keyring` as Disconnect does without a provider.
    fn forget_unopened(keyring: &CredentialManagerStandIn, path: &std::path::Path) -> Forgotten {
        KeyringTokenStore::forget_unopened(
            Box::new(split_over(keyring, TOKENS_ACCOUNT)),
            ForgottenEntries::at(path.to_owned()),
        )
    }

    #[test]
    fn a_connection_forgotten_unopened_loses_every_entry_whatever_its_issuer() {
        let keyring = CredentialManagerStandIn::default();
        let (_, path) = forgotten("unopened");
        let (store, _) = open_split(&keyring, &path);
        store.save(&large_tokens("r1", 12)).unwrap();
        assert!(keyring.names().len() > 2);

        let forgotten = forget_unopened(&keyring, &path);

        assert_eq!(forgotten, Forgotten::Deleted);
        assert_eq!(keyring.names(), Vec::<String>::new());
        assert!(!path.exists(), "no tombstone is needed");
    }

    #[test]
    fn a_connection_forgotten_unopened_that_the_keyring_keeps_is_tombstoned() {
        let keyring = CredentialManagerStandIn::default();
        let (_, path) = forgotten("unopened-undeletable");
        let (store, _) = open_split(&keyring, &path);
        store.save(&large_tokens("r1", 8)).unwrap();
        keyring.fail_deletes.store(true, Ordering::SeqCst);

        let forgotten = forget_unopened(&keyring, &path);

        assert_eq!(forgotten, Forgotten::Tombstoned);
        assert_one_generation(&keyring);
        let (next_start, problem) = open_split(&keyring, &path);
        assert_eq!(problem, None, "the tombstone covers the whole set");
        assert!(next_start.load().unwrap().is_none());
    }

    #[test]
    fn a_connection_forgotten_unopened_that_can_be_neither_read_nor_deleted_says_it_comes_back() {
        let keyring = CredentialManagerStandIn::default();
        let (_, path) = forgotten("unopened-unreadable");
        let (store, _) = open_split(&keyring, &path);
        store.save(&large_tokens("r1", 8)).unwrap();
        keyring.fail_reads.store(true, Ordering::SeqCst);
        keyring.fail_deletes.store(true, Ordering::SeqCst);

        let forgotten = forget_unopened(&keyring, &path);

        assert_eq!(forgotten, Forgotten::ComesBack);
    }

    #[test]
    fn a_write_that_fails_midway_leaves_no_entry_behind() {
        let keyring = CredentialManagerStandIn::default();
        let (_, path) = forgotten("split-midway");
        let (store, _) = open_split(&keyring, &path);
        store.save(&large_tokens("r1", 8)).unwrap();
        let parts = manifest_in(&keyring).parts;
        // The new parts, the manifest, and every write between.
        for succeeding in [0, 2, parts] {
            store.save(&large_tokens("r1", 8)).unwrap();
            keyring.fail_writes_after(succeeding);

            assert!(store.save(&large_tokens("r2", 8)).is_err());

            assert_eq!(
                keyring.names(),
                Vec::<String>::new(),
                "after {succeeding} writes: the rotated r1 or a piece of r2 stayed behind"
            );
            keyring.fail_everything(false);
        }
    }

    #[test]
    fn a_write_that_fails_midway_while_deletes_fail_too_restores_nothing() {
        let keyring = CredentialManagerStandIn::default();
        let (_, path) = forgotten("split-midway-undeletable");
        let (store, _) = open_split(&keyring, &path);
        store.save(&large_tokens("r1", 8)).unwrap();
        keyring.fail_writes_after(2);
        keyring.fail_deletes.store(true, Ordering::SeqCst);

        assert!(store.save(&large_tokens("r2", 8)).is_err());

        let (next_start, problem) = open_split(&keyring, &path);
        assert_eq!(problem, None);
        assert!(
            next_start.load().unwrap().is_none(),
            "the stale r1 came back"
        );
        keyring.fail_everything(false);
        let (later_start, _) = open_split(&keyring, &path);
        assert!(later_start.load().unwrap().is_none());
        assert_eq!(
            keyring.text_of(TOKENS_ACCOUNT),
            None,
            "the delete is retried at start"
        );
    }

    #[test]
    fn a_disconnect_the_keyring_refuses_is_not_restored_and_keeps_the_set_whole() {
        let keyring = CredentialManagerStandIn::default();
        let (_, path) = forgotten("split-undeletable");
        let (store, _) = open_split(&keyring, &path);
        store.save(&large_tokens("r1", 8)).unwrap();
        keyring.fail_deletes.store(true, Ordering::SeqCst);

        assert!(store.clear().is_err());

        assert_one_generation(&keyring);
        let (next_start, problem) = open_split(&keyring, &path);
        assert_eq!(problem, None, "the tombstone covers the whole set");
        assert!(next_start.load().unwrap().is_none());
    }

    #[test]
    fn a_connection_saved_whole_before_splitting_stays_connected_and_is_split_at_the_next_save() {
        let keyring = CredentialManagerStandIn::default();
        keyring.put(TOKENS_ACCOUNT, &saved(ISSUER, "r1"));
        let (_, path) = forgotten("split-whole");

        let (store, problem) = open_split(&keyring, &path);

        assert_eq!(problem, None);
        assert_eq!(refresh_token_of(&store).as_deref(), Some("r1"));
        store.save(&large_tokens("r2", 4)).unwrap();
        assert_one_generation(&keyring);
        let (next_start, _) = open_split(&keyring, &path);
        assert_eq!(refresh_token_of(&next_start).as_deref(), Some("r2"));
    }

    #[test]
    fn a_text_past_the_most_parts_is_refused_and_nothing_is_written() {
        let keyring = CredentialManagerStandIn::default();
        let entry = split_over(&keyring, TOKENS_ACCOUNT);
        let too_long = "a".repeat(PART_UTF16_UNITS * MAX_PARTS + 1);

        assert!(entry.write(&too_long).is_err());

        assert_eq!(keyring.names(), Vec::<String>::new());
        let longest = "a".repeat(PART_UTF16_UNITS * MAX_PARTS);
        entry.write(&longest).unwrap();
        assert_eq!(entry.read().unwrap().as_deref(), Some(longest.as_str()));
    }

    #[test]
    fn a_sign_in_with_long_addresses_fits_credential_manager() {
        let keyring = CredentialManagerStandIn::default();
        let store = SignInStore::over(Box::new(split_over(&keyring, SIGN_IN_ACCOUNT)), None);
        let (mut url, saved_sign_in) = sign_in();
        let long_scopes = vec!["https://graph.microsoft.com/Files.Read.All"; 40].join(" ");
        url.query_pairs_mut().append_pair("scope", &long_scopes);
        assert!(
            url.as_str().len() > PART_UTF16_UNITS,
            "{}",
            url.as_str().len()
        );

        store.save(&url, saved_sign_in).unwrap();

        assert!(keyring.names().len() > 2, "{:?}", keyring.names());
        assert_eq!(store.load().unwrap().map(|(shown, _)| shown), Some(url));
        store.delete().unwrap();
        assert_eq!(keyring.names(), Vec::<String>::new());
    }

    /// The OS keyring's entries under the app's service.
    fn os_keyring() -> OsKeyring {
        OsKeyring::new(super::fakes::KEYRING_SERVICE)
    }

    /// The OS keyring (Secret Service here), as the app uses it. It needs an unlocked keyring:
    /// `scripts/test.sh` runs it inside `scripts/headless-session.sh`.
    #[test]
    #[ignore = "needs the OS keyring: run inside scripts/headless-session.sh"]
    fn os_keyring_keeps_a_large_token_set_over_split_entries() {
        const NAME: &str = "oauth-tokens-round-trip";
        let (_, path) = forgotten("os-keyring");
        let open = || {
            KeyringTokenStore::open(
                ISSUER,
                Box::new(SplitEntry::new(Arc::new(os_keyring()), NAME)),
                ForgottenEntries::at(path.clone()),
            )
        };
        let (store, problem) = open();
        assert_eq!(problem, None);
        let large = large_tokens("r1", 8);

        store.save(&large).unwrap();

        let manifest: SplitManifest =
            serde_json::from_str(&os_keyring().named(NAME).read().unwrap().unwrap()).unwrap();
        assert!(manifest.parts >= 4, "{} parts", manifest.parts);
        for n in 0..manifest.parts {
            let name = format!("{NAME}.{}.{n}", manifest.generation);
            let part = os_keyring().named(&name).read().unwrap().unwrap();
            assert_eq!(
                CredentialManagerStandIn::within_limits(&name, &part),
                Ok(())
            );
        }
        let (next_start, problem) = open();
        assert_eq!(problem, None);
        assert_eq!(
            next_start.load().unwrap().unwrap().access_token.secret(),
            large.access_token.secret()
        );

        next_start.save(&tokens("r2")).unwrap();
        let first_part = format!("{NAME}.{}.0", manifest.generation);
        assert_eq!(os_keyring().named(&first_part).read().unwrap(), None);
        next_start.clear().unwrap();
        assert_eq!(os_keyring().named(NAME).read().unwrap(), None);
        let (after_disconnect, _) = open();
        assert!(after_disconnect.load().unwrap().is_none());
    }

    fn sign_in() -> (Url, SavedSignIn) {
        let client = photolink_oauth::OAuthClient::new(
            photolink_oauth::ClientConfig::new("photolink-desktop", "com.example.photolink:/cb"),
            photolink_oauth::ServerMetadata::new(
                ISSUER,
                format!("{ISSUER}/authorize"),
                format!("{ISSUER}/token"),
            ),
        )
        .unwrap();
        let pending = photolink_oauth::PendingAuthorization::new();
        let url = pending.begin(&client).unwrap();
        (url, pending.saved().unwrap())
    }

    fn sign_ins(entry: &FakeEntry, ended: &std::path::Path) -> SignInStore {
        SignInStore::over(
            Box::new(entry.clone()),
            Some(ForgottenEntries::at(ended.to_owned())),
        )
    }

    #[test]
    fn an_ended_sign_in_the_keyring_would_not_delete_is_never_loaded_again() {
        let entry = FakeEntry::default();
        let (_, ended) = forgotten("ended-sign-in");
        let (url, saved_sign_in) = sign_in();
        sign_ins(&entry, &ended).save(&url, saved_sign_in).unwrap();
        entry.fail_deletes.store(true, Ordering::SeqCst);

        assert_eq!(sign_ins(&entry, &ended).delete(), Err(KeyringError::Locked));
        assert!(entry.text().is_some(), "the fake refused the delete");

        let next_start = sign_ins(&entry, &ended);
        assert!(
            next_start.load().unwrap().is_none(),
            "the ended sign-in came back"
        );
        entry.fail_deletes.store(false, Ordering::SeqCst);
        assert!(next_start.load().unwrap().is_none());
        assert_eq!(entry.text(), None, "the delete is retried");
        assert!(!ended.exists(), "tombstones go once the entry is gone");

        let (url, saved_sign_in) = sign_in();
        next_start.save(&url, saved_sign_in).unwrap();
        assert_eq!(
            next_start.load().unwrap().map(|(shown, _)| shown),
            Some(url)
        );
    }

    #[test]
    fn an_unreadable_ended_sign_ins_file_loads_no_sign_in() {
        let entry = FakeEntry::default();
        let (_, ended) = forgotten("ended-unreadable");
        let (url, saved_sign_in) = sign_in();
        sign_ins(&entry, &ended).save(&url, saved_sign_in).unwrap();
        std::fs::create_dir_all(ended.parent().unwrap()).unwrap();
        std::fs::write(&ended, b"[\"0123").unwrap();

        assert!(sign_ins(&entry, &ended).load().unwrap().is_none());
        assert_eq!(
            entry.text(),
            None,
            "a sign-in that may have ended is deleted"
        );
        assert!(!ended.exists());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// A sign-in entry's text, made once (a client is slow to build).
        fn sign_in_text() -> &'static str {
            static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            TEXT.get_or_init(|| {
                let (authorize_url, sign_in) = sign_in();
                serde_json::to_string(&StoredSignIn {
                    authorize_url,
                    sign_in,
                })
                .unwrap()
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Any entry text: no panic, and only an entry for this issuer gives tokens.
            #[test]
            fn any_token_entry_is_tokens_of_this_issuer_none_or_unreadable(
                bytes in proptest::collection::vec(any::<u8>(), 0..600),
            ) {
                let text = String::from_utf8_lossy(&bytes);
                if let Ok(Some(_)) = tokens_for(&text, ISSUER) {
                    let stored: StoredTokens = serde_json::from_str(&text).unwrap();
                    prop_assert_eq!(stored.issuer, ISSUER);
                }
            }

            /// A saved entry round-trips, whatever its tokens hold; cut short anywhere, it is
            /// unreadable and restores nothing.
            #[test]
            fn a_token_entry_round_trips_and_a_cut_one_restores_nothing(
                refresh in any::<String>(),
                cut in any::<prop::sample::Index>(),
            ) {
                let text = saved(ISSUER, &refresh);
                let back = tokens_for(&text, ISSUER).unwrap().unwrap();
                prop_assert_eq!(
                    back.refresh_token.map(|t| t.secret().to_owned()),
                    Some(refresh)
                );
                let mut at = cut.index(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                prop_assert_eq!(tokens_for(&text[..at], ISSUER).err(), Some(OpenProblem::Unreadable));
            }

            /// Any sign-in entry text: no panic; only the app's JSON is a sign-in.
            #[test]
            fn any_sign_in_entry_is_a_sign_in_or_none(
                bytes in proptest::collection::vec(any::<u8>(), 0..800),
            ) {
                let text = String::from_utf8_lossy(&bytes);
                let parsed = stored_sign_in(&text);
                prop_assert_eq!(
                    parsed.is_some(),
                    serde_json::from_str::<StoredSignIn>(&text).is_ok()
                );
            }

            /// A saved sign-in round-trips to the same text; cut short anywhere, it is none.
            #[test]
            fn a_sign_in_entry_round_trips_and_a_cut_one_is_none(cut in any::<prop::sample::Index>()) {
                let text = sign_in_text();
                let (authorize_url, sign_in) = stored_sign_in(text).unwrap();
                let again = serde_json::to_string(&StoredSignIn { authorize_url, sign_in }).unwrap();
                prop_assert_eq!(again.as_str(), text);
                prop_assert!(stored_sign_in(&text[..cut.index(text.len())]).is_none());
            }

            /// Any tombstone file: no panic; what it gives is well-formed hashes only; past
            /// the size cap it is unreadable.
            #[test]
            fn any_tombstone_file_is_hashes_or_unreadable(
                bytes in proptest::collection::vec(any::<u8>(), 0..(MAX_TOMBSTONE_FILE_BYTES as usize + 200)),
            ) {
                match parse_tombstones(&bytes) {
                    Some(hashes) => {
                        prop_assert!(bytes.len() as u64 <= MAX_TOMBSTONE_FILE_BYTES);
                        for hash in hashes {
                            prop_assert_eq!(hash.len(), 64);
                        }
                    }
                    None => {
                        let not_hex = |hash: &String| {
                            hash.len() != 64
                                || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                        };
                        // Refused: past the cap, not a JSON list of strings, or not hashes.
                        if let Ok(listed) = serde_json::from_slice::<Vec<String>>(&bytes) {
                            prop_assert!(
                                bytes.len() as u64 > MAX_TOMBSTONE_FILE_BYTES
                                    || listed.iter().any(not_hex)
                            );
                        }
                    }
                }
            }

            /// Any text, up to about five parts of any characters, round-trips over entries
            /// that each fit Credential Manager (the stand-in refuses any that does not); a
            /// later text leaves only its own parts; losing any one entry gives no piece of
            /// the text; a delete leaves nothing.
            #[test]
            fn any_text_round_trips_over_split_entries_and_leaves_only_its_own(
                first in proptest::collection::vec(any::<char>(), 0..6000),
                second in proptest::collection::vec(any::<char>(), 0..3000),
                lost in any::<prop::sample::Index>(),
            ) {
                let keyring = CredentialManagerStandIn::default();
                let entry = split_over(&keyring, TOKENS_ACCOUNT);
                let first: String = first.into_iter().collect();
                let second: String = second.into_iter().collect();

                entry.write(&first).unwrap();
                prop_assert_eq!(entry.read().unwrap(), Some(first));
                entry.write(&second).unwrap();
                prop_assert_eq!(entry.read().unwrap(), Some(second.clone()));
                let names = keyring.names();
                prop_assert_eq!(names.len(), 1 + pieces(&second).len());

                let lost = &names[lost.index(names.len())];
                let kept = keyring.text_of(lost).unwrap();
                keyring.remove(lost);
                let read = entry.read().unwrap();
                prop_assert!(read.is_none() || read.as_deref() == Some(""), "{:?}", read.map(|t| t.len()));
                keyring.put(lost, &kept);
                entry.delete().unwrap();
                prop_assert!(keyring.names().is_empty());
            }

            /// A list of hashes round-trips; cut short anywhere, it is unreadable, so it
            /// restores nothing rather than fewer tombstones.
            #[test]
            fn a_tombstone_list_round_trips_and_a_cut_one_is_unreadable(
                texts in proptest::collection::vec(any::<String>(), 1..=REMEMBERED_TOMBSTONES),
                cut in any::<prop::sample::Index>(),
            ) {
                let hashes: Vec<String> = texts.iter().map(|text| entry_hash(text)).collect();
                let file = serde_json::to_vec(&hashes).unwrap();
                prop_assert_eq!(parse_tombstones(&file), Some(hashes));
                prop_assert_eq!(parse_tombstones(&file[..cut.index(file.len())]), None);
            }
        }
    }
}
