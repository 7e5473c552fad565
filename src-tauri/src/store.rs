//! The OS keyring as PhotoLink's secure storage.
//!
//! # What is kept where
//!
//! | Keyring entry (service `com.example.photolink`) | What it holds |
//! | --- | --- |
//! | `oauth-tokens` | The connected account's token set as JSON, tagged with its issuer ([`KeyringTokenStore`]). |
//! | `sign-in` | The sign-in waiting for the browser, while it lasts ([`SignInStore`]). |
//!
//! Beside them, a small file in the app data folder, `forgotten-connections.json`, lists
//! **hashes** of token entries that PhotoLink meant to delete but the keyring refused to: the
//! [`ForgottenEntries`] tombstones. It holds no secret.
//!
//! # When the keyring fails
//!
//! Every failure is a real error for the caller ([`TokenStore::save`] and [`TokenStore::clear`]
//! return it), and never leaves a token entry behind that PhotoLink no longer trusts:
//!
//! 1. A failed **write** leaves the previous (already rotated) refresh token in the keyring, so
//!    the store deletes that entry; if the delete fails too, the entry is tombstoned.
//! 2. A failed **delete** (Disconnect) tombstones the entry, so the next start does not restore
//!    the account the person disconnected.
//! 3. At **start**, a tombstoned entry is ignored and its delete retried; once the delete
//!    works, or a new entry is written, the tombstones are dropped.
//!
//! Nothing falls back to a plaintext file: without a working keyring the connection lives in
//! memory for this run only, and the window says so.
//!
//! Keyring calls may block (a locked keyring can prompt the person): every call here runs on a
//! blocking thread, never on an async worker or the UI thread.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use photolink_oauth::{SavedSignIn, StoreError, TokenSet, TokenStore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

/// Keyring service name (also the app identifier).
pub const KEYRING_SERVICE: &str = "com.example.photolink";
/// Keyring user name of the token entry.
const TOKENS_ACCOUNT: &str = "oauth-tokens";
/// File name of the tombstones in the app data folder.
pub const FORGOTTEN_FILE_NAME: &str = "forgotten-connections.json";
/// How many tombstones are kept (each stands for one entry the keyring would not delete).
const REMEMBERED_TOMBSTONES: usize = 8;

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

/// Hashes of token entries that must not be restored: the tombstones (see the module docs).
pub struct ForgottenEntries {
    path: PathBuf,
}

impl ForgottenEntries {
    /// Tombstones kept in the file at `path` (created when the first one is written).
    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    fn contains(&self, hash: &str) -> bool {
        self.read().iter().any(|known| known == hash)
    }

    fn add(&self, hash: String) {
        let mut hashes = self.read();
        if hashes.contains(&hash) {
            return;
        }
        if hashes.len() >= REMEMBERED_TOMBSTONES {
            hashes.remove(0);
        }
        hashes.push(hash);
        self.write(&hashes);
    }

    /// Drops every tombstone: the keyring no longer holds any entry they stand for.
    fn drop_all(&self) {
        if let Err(error) = std::fs::remove_file(&self.path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(%error, "could not remove the list of forgotten connections");
        }
    }

    fn read(&self) -> Vec<String> {
        std::fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn write(&self, hashes: &[String]) {
        let written = serde_json::to_vec(hashes)
            .map_err(std::io::Error::other)
            .and_then(|json| {
                if let Some(dir) = self.path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(&self.path, json)
            });
        if let Err(error) = written {
            tracing::error!(%error, "could not record a connection that must not be restored");
        }
    }
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
        };
        let problem = match entry.read() {
            Ok(None) => {
                forgotten.drop_all();
                None
            }
            Ok(Some(text)) => {
                let hash = entry_hash(&text);
                if forgotten.contains(&hash) {
                    tracing::info!("the saved connection was disconnected earlier; deleting it");
                    match entry.delete() {
                        Ok(()) => forgotten.drop_all(),
                        Err(error) => {
                            tracing::warn!(%error, "could not delete a disconnected connection");
                            held.entry = Some(hash);
                        }
                    }
                    None
                } else {
                    held.entry = Some(hash);
                    match tokens_for(&text, &issuer) {
                        Ok(tokens) => {
                            held.tokens = tokens;
                            None
                        }
                        Err(problem) => Some(problem),
                    }
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
    fn forget_entry(&self, held: &mut Held) -> Result<(), KeyringError> {
        match self.entry.delete() {
            Ok(()) => {
                held.entry = None;
                self.forgotten.drop_all();
                Ok(())
            }
            Err(error) => {
                if let Some(hash) = held.entry.clone() {
                    self.forgotten.add(hash);
                }
                Err(error)
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
        self.forget_entry(&mut held).map_err(StoreError::new)
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
/// PhotoLink started later (the OS starts one for the callback) can finish it. Blocking calls.
pub struct SignInStore {
    entry: Box<dyn SecretEntry>,
}

impl SignInStore {
    /// The OS keyring's sign-in entry.
    pub fn keyring() -> Self {
        Self::over(Box::new(KeyringEntry::named(SIGN_IN_ACCOUNT)))
    }

    /// A sign-in store over any entry.
    pub fn over(entry: Box<dyn SecretEntry>) -> Self {
        Self { entry }
    }

    /// Keeps the sign-in in progress and its page.
    pub fn save(&self, authorize_url: &Url, sign_in: SavedSignIn) -> Result<(), KeyringError> {
        let stored = StoredSignIn {
            authorize_url: authorize_url.clone(),
            sign_in,
        };
        let text = serde_json::to_string(&stored)
            .map_err(|_| KeyringError::Refused("the sign-in could not be prepared".into()))?;
        self.entry.write(&text)
    }

    /// The kept sign-in, if there is one PhotoLink can read (a damaged one counts as none).
    pub fn load(&self) -> Result<Option<(Url, SavedSignIn)>, KeyringError> {
        let Some(text) = self.entry.read()? else {
            return Ok(None);
        };
        match serde_json::from_str::<StoredSignIn>(&text) {
            Ok(stored) => Ok(Some((stored.authorize_url, stored.sign_in))),
            Err(_) => {
                tracing::warn!("the saved sign-in is damaged; ignoring it");
                Ok(None)
            }
        }
    }

    /// Forgets the kept sign-in (it ended).
    pub fn delete(&self) -> Result<(), KeyringError> {
        self.entry.delete()
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
}
