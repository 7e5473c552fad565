//! The OS keyring as PhotoLink's secure storage.
//!
//! # What is kept where
//!
//! | Keyring entry (service `com.example.photolink`) | What it holds |
//! | --- | --- |
//! | `oauth-tokens` | The connected account's token set as JSON, tagged with its issuer ([`KeyringTokenStore`]). |
//! | `sign-in` | The sign-in waiting for the browser, while it lasts ([`SignInStore`]). |
//! | `provider-metadata-key` | The key that seals the saved provider endpoints ([`crate::saved_metadata`]). |
//!
//! Beside them, two small files in the app data folder list **hashes** of entries that
//! PhotoLink meant to delete but the keyring refused to: the [`ForgottenEntries`] tombstones,
//! `forgotten-connections.json` for token entries and `ended-sign-ins.json` for sign-in
//! entries. They hold no secret. Each is replaced atomically (a temporary file, synced, renamed
//! over it), so a crash leaves the old list or the new one; a list that cannot be read (torn,
//! edited, unreadable) tombstones **every** entry: nothing is restored until a new sign-in
//! writes a new entry.
//!
//! # When the keyring fails
//!
//! Every failure is a real error for the caller ([`TokenStore::save`] and [`TokenStore::clear`]
//! return it), and never leaves a token entry behind that PhotoLink no longer trusts:
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
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use photolink_oauth::{SavedSignIn, StoreError, TokenSet, TokenStore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::atomic_file::replace_file;
use crate::sync::lock;

/// Keyring service name (also the app identifier).
pub const KEYRING_SERVICE: &str = "com.example.photolink";
/// Keyring user name of the token entry.
const TOKENS_ACCOUNT: &str = "oauth-tokens";
/// File name of the token entries' tombstones in the app data folder.
pub const FORGOTTEN_FILE_NAME: &str = "forgotten-connections.json";
/// File name of the sign-in entries' tombstones in the app data folder.
pub const ENDED_SIGN_INS_FILE_NAME: &str = "ended-sign-ins.json";
/// How many tombstones are kept (each stands for one entry the keyring would not delete; the
/// newest always stands for the text the entry holds now).
const REMEMBERED_TOMBSTONES: usize = 8;
/// A larger tombstone file is not PhotoLink's (eight hashes take about 540 bytes).
const MAX_TOMBSTONE_FILE_BYTES: u64 = 4096;

/// Why the keyring could not be used, in words that carry no stored bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    #[error("the system keyring is locked")]
    Locked,
    #[error("no system keyring is available")]
    Missing,
    #[error("the system keyring refused: {0}")]
    Refused(String),
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

/// An entry of the OS keyring under [`KEYRING_SERVICE`].
pub struct KeyringEntry {
    account: &'static str,
}

impl KeyringEntry {
    /// The token set's entry.
    pub fn tokens() -> Self {
        Self {
            account: TOKENS_ACCOUNT,
        }
    }

    /// The entry named `account`.
    pub fn named(account: &'static str) -> Self {
        Self { account }
    }

    fn entry(&self) -> Result<keyring::Entry, KeyringError> {
        keyring::Entry::new(KEYRING_SERVICE, self.account).map_err(|e| describe(&e))
    }
}

impl SecretEntry for KeyringEntry {
    fn read(&self) -> Result<Option<String>, KeyringError> {
        match self.entry()?.get_password() {
            Ok(text) => Ok(Some(text)),
            Err(keyring::Error::NoEntry) => Ok(None),
            // Text that is not UTF-8 is as unusable as text PhotoLink cannot parse.
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
        keyring::Error::PlatformFailure(cause) => KeyringError::Refused(cause.to_string()),
        keyring::Error::TooLong(what, limit) => {
            KeyringError::Refused(format!("the {what} is longer than it allows ({limit})"))
        }
        _ => KeyringError::Refused("an unexpected error".into()),
    }
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
    let well_formed = |hash: &String| {
        hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    hashes.iter().all(well_formed).then_some(hashes)
}

/// The tombstone for an entry's text: its SHA-256, in hex.
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
    /// The entry is damaged (not PhotoLink's JSON, or impossible values).
    Unreadable,
    /// The keyring could not be read.
    Unavailable(KeyringError),
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
                        Err(StoreError::new(format!(
                            "{error}, and the entry could not be recorded as forgotten"
                        )))
                    }
                }
            }
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
            .map_err(|_| StoreError::new("the tokens could not be prepared for saving"))?;
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

/// The sign-in waiting for the browser, kept in its own keyring entry while it lasts, so that a
/// PhotoLink started later (the OS starts one for the callback) can finish it. A sign-in that
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
    /// The OS keyring's sign-in entry, its tombstones in the file `ended`.
    pub fn keyring(ended: Option<ForgottenEntries>) -> Self {
        Self::over(Box::new(KeyringEntry::named(SIGN_IN_ACCOUNT)), ended)
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
        let text = serde_json::to_string(&stored)
            .map_err(|_| KeyringError::Refused("the sign-in could not be prepared".into()))?;
        self.entry.write(&text)?;
        *self.lock_known() = Some(entry_hash(&text));
        self.drop_tombstones();
        Ok(())
    }

    /// The kept sign-in, if there is one PhotoLink can read (a damaged one counts as none)
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
    //! A keyring entry that fails on demand.

    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    use super::{KeyringError, SecretEntry};

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
            *entry.text.lock().unwrap() = Some(text.to_owned());
            entry
        }

        pub fn text(&self) -> Option<String> {
            self.text.lock().unwrap().clone()
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
            *self.text.lock().unwrap() = Some(text.to_owned());
            Ok(())
        }

        fn delete(&self) -> Result<(), KeyringError> {
            Self::check(&self.fail_deletes)?;
            *self.text.lock().unwrap() = None;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::{Duration, SystemTime};

    use photolink_oauth::{AccessToken, RefreshToken};

    use super::fakes::FakeEntry;
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

    /// A tombstone file that is torn, edited or not PhotoLink's, and one past the size cap.
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

            /// Any sign-in entry text: no panic; only PhotoLink's JSON is a sign-in.
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
