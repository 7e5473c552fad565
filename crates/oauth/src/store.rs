//! Where a connected account's tokens are kept between runs.

use std::sync::Mutex;

use crate::error::StoreError;
use crate::sync::lock;
use crate::token::TokenSet;

/// Persistent storage for one account's [`TokenSet`] (the app keeps it in the OS keyring).
///
/// Calls are synchronous and may block (a keyring may wait for the OS); the
/// [`Session`](crate::Session) runs them on the blocking pool. Errors matter: a failed `save`
/// or `clear` is reported through [`Persistence`](crate::Persistence) and retried. Used as
/// `Arc<dyn TokenStore>`.
pub trait TokenStore: Send + Sync {
    /// The saved tokens, or `None` when nothing is saved.
    fn load(&self) -> Result<Option<TokenSet>, StoreError>;
    /// Replaces the saved tokens.
    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError>;
    /// Forgets the saved tokens (no error when nothing is saved).
    fn clear(&self) -> Result<(), StoreError>;
}

/// A [`TokenStore`] in memory, for tests and for runs that should not persist anything.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<TokenSet>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that already holds `tokens`.
    pub fn with_tokens(tokens: TokenSet) -> Self {
        Self {
            tokens: Mutex::new(Some(tokens)),
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<TokenSet>> {
        // The tokens are replaced whole under the lock, so a poisoned lock holds a whole set.
        lock(&self.tokens)
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> Result<Option<TokenSet>, StoreError> {
        Ok(self.slot().clone())
    }

    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError> {
        *self.slot() = Some(tokens.clone());
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        *self.slot() = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::secret::AccessToken;

    #[test]
    fn save_load_clear() {
        let store = MemoryTokenStore::new();
        assert!(store.load().unwrap().is_none());
        let tokens = TokenSet {
            access_token: AccessToken::new("a"),
            token_type: "Bearer".into(),
            refresh_token: None,
            received_at: SystemTime::now(),
            expires_at: None,
            scopes: vec![],
            id_token: None,
            id_token_claims: None,
            dpop_key: None,
        };
        store.save(&tokens).unwrap();
        assert_eq!(store.load().unwrap().unwrap().access_token.secret(), "a");
        store.clear().unwrap();
        assert!(store.load().unwrap().is_none());
        store.clear().unwrap();
    }
}
