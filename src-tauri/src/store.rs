//! The OS keyring as PhotoLink's [`TokenStore`]: one entry (service `com.example.photolink`)
//! holding the whole token set as JSON, tagged with the issuer it belongs to.
//!
//! Keyring calls may block (a locked keyring can prompt the person), so the store is opened on
//! a blocking thread and never used from the UI thread. When the keyring cannot be written, the
//! tokens are kept in memory for this run and the problem is reported through
//! [`KeyringTokenStore::take_problem`], so the app stays usable.

use std::sync::{Mutex, MutexGuard};

use photolink_oauth::{StoreError, TokenSet, TokenStore};
use serde::{Deserialize, Serialize};

/// Keyring service name (also the app identifier).
pub const KEYRING_SERVICE: &str = "com.example.photolink";
/// Keyring user name of the one entry PhotoLink writes.
const KEYRING_ACCOUNT: &str = "oauth-tokens";

/// What the keyring entry holds.
#[derive(Serialize, Deserialize)]
struct StoredTokens {
    issuer: String,
    tokens: TokenSet,
}

/// Tokens for one issuer, kept in the OS keyring.
pub struct KeyringTokenStore {
    issuer: String,
    tokens: Mutex<Option<TokenSet>>,
    problem: Mutex<Option<String>>,
}

impl KeyringTokenStore {
    /// Reads the keyring once. Tokens saved for another issuer count as none. A keyring that
    /// cannot be read is remembered as a problem, and the store starts empty.
    pub fn open(issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        let (tokens, problem) = match read_entry() {
            Ok(Some(stored)) if stored.issuer == issuer => (Some(stored.tokens), None),
            Ok(Some(_)) => {
                tracing::info!("saved tokens belong to another provider; starting disconnected");
                (None, None)
            }
            Ok(None) => (None, None),
            Err(problem) => (
                None,
                Some(format!(
                    "Your saved connection could not be read: {problem}. Connect again to continue."
                )),
            ),
        };
        Self {
            issuer,
            tokens: Mutex::new(tokens),
            problem: Mutex::new(problem),
        }
    }

    /// The last keyring problem, in words, if one happened since the last call.
    pub fn take_problem(&self) -> Option<String> {
        lock(&self.problem).take()
    }

    fn report(&self, problem: String) {
        tracing::warn!(%problem, "keyring");
        *lock(&self.problem) = Some(problem);
    }
}

impl TokenStore for KeyringTokenStore {
    fn load(&self) -> Result<Option<TokenSet>, StoreError> {
        Ok(lock(&self.tokens).clone())
    }

    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError> {
        *lock(&self.tokens) = Some(tokens.clone());
        let stored = StoredTokens {
            issuer: self.issuer.clone(),
            tokens: tokens.clone(),
        };
        let written = serde_json::to_string(&stored)
            .map_err(|_| "the tokens could not be prepared for saving".to_owned())
            .and_then(|json| entry()?.set_password(&json).map_err(|e| describe(&e)));
        if let Err(problem) = written {
            self.report(format!(
                "You are connected, but PhotoLink could not keep the connection for next time: {problem}."
            ));
        }
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        *lock(&self.tokens) = None;
        let deleted = entry().and_then(|entry| match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(describe(&error)),
        });
        if let Err(problem) = deleted {
            self.report(format!("PhotoLink could not remove your saved connection from the system keyring: {problem}."));
        }
        Ok(())
    }
}

fn read_entry() -> Result<Option<StoredTokens>, String> {
    let json = match entry()?.get_password() {
        Ok(json) => json,
        Err(keyring::Error::NoEntry) => return Ok(None),
        Err(error) => return Err(describe(&error)),
    };
    match serde_json::from_str(&json) {
        Ok(stored) => Ok(Some(stored)),
        Err(_) => {
            tracing::warn!("the keyring entry is not in PhotoLink's format; ignoring it");
            Ok(None)
        }
    }
}

fn entry() -> Result<keyring::Entry, String> {
    keyring::Entry::new(KEYRING_SERVICE, KEYRING_ACCOUNT).map_err(|e| describe(&e))
}

/// The keyring error in words. Variants that carry stored bytes are never printed.
fn describe(error: &keyring::Error) -> String {
    match error {
        keyring::Error::NoStorageAccess(_) => "the system keyring is locked".into(),
        keyring::Error::NoDefaultStore => "no system keyring is available on this computer".into(),
        keyring::Error::PlatformFailure(cause) => {
            format!("the system keyring is not available: {cause}")
        }
        keyring::Error::TooLong(what, limit) => {
            format!("the {what} is longer than the keyring allows ({limit})")
        }
        keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(..) => {
            "the saved entry is damaged".into()
        }
        _ => "the system keyring reported an unexpected error".into(),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
