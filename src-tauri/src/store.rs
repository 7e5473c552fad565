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
            Ok(Some(json)) => (tokens_for(&json, &issuer), None),
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

/// The entry's text, `None` when there is none.
fn read_entry() -> Result<Option<String>, String> {
    match entry()?.get_password() {
        Ok(json) => Ok(Some(json)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(error) => Err(describe(&error)),
    }
}

/// The tokens in an entry's text if they were saved for `issuer`.
fn tokens_for(json: &str, issuer: &str) -> Option<TokenSet> {
    match serde_json::from_str::<StoredTokens>(json) {
        Ok(stored) if stored.issuer == issuer => Some(stored.tokens),
        Ok(_) => {
            tracing::info!("saved tokens belong to another provider; starting disconnected");
            None
        }
        Err(_) => {
            tracing::warn!("the keyring entry is not in PhotoLink's format; ignoring it");
            None
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use photolink_oauth::{AccessToken, RefreshToken};

    use super::*;

    fn saved(issuer: &str) -> String {
        let tokens = TokenSet {
            access_token: AccessToken::new("access"),
            token_type: "Bearer".into(),
            refresh_token: Some(RefreshToken::new("refresh")),
            received_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            expires_at: None,
            scopes: vec!["photos:read".into()],
            id_token: None,
        };
        serde_json::to_string(&StoredTokens {
            issuer: issuer.into(),
            tokens,
        })
        .unwrap()
    }

    #[test]
    fn tokens_are_used_only_for_the_issuer_they_were_saved_for() {
        let json = saved("http://127.0.0.1:47821");
        let tokens = tokens_for(&json, "http://127.0.0.1:47821").expect("same issuer");
        assert_eq!(tokens.access_token.secret(), "access");
        assert_eq!(tokens.refresh_token.unwrap().secret(), "refresh");
        assert_eq!(tokens.scopes, ["photos:read"]);
        assert!(tokens_for(&json, "http://127.0.0.1:50000").is_none());
        assert!(tokens_for(&json, "https://photos.example.com").is_none());
    }

    #[test]
    fn an_entry_in_another_format_is_ignored() {
        assert!(tokens_for("not json", "http://127.0.0.1:47821").is_none());
        assert!(tokens_for(r#"{"access_token":"a"}"#, "http://127.0.0.1:47821").is_none());
    }
}
