//! A test double for the token store: in memory, with saves and clears that fail on demand,
//! remembering which thread made each call.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::ThreadId;

use photolink_oauth::{MemoryTokenStore, StoreError, TokenSet, TokenStore};

/// What the double's keyring refused, as a refusing keyring would report it.
#[derive(Debug, thiserror::Error)]
pub enum RefusedKeyring {
    #[error("keyring refused the write")]
    Write,
    #[error("keyring refused the delete")]
    Delete,
}

/// A [`TokenStore`] double: a [`MemoryTokenStore`] whose `save` and `clear` fail while told to,
/// as a locked or refusing keyring would.
#[derive(Default)]
pub struct TokenStoreDouble {
    inner: MemoryTokenStore,
    failing_saves: AtomicBool,
    failing_clears: AtomicBool,
    calling_threads: Mutex<Vec<ThreadId>>,
}

impl TokenStoreDouble {
    /// A double already holding `tokens`.
    pub fn with_tokens(tokens: TokenSet) -> Self {
        Self {
            inner: MemoryTokenStore::with_tokens(tokens),
            ..Self::default()
        }
    }

    /// Makes every `save` fail (or work again).
    pub fn fail_saves(&self, fail: bool) {
        self.failing_saves.store(fail, Ordering::SeqCst);
    }

    /// Makes every `clear` fail (or work again).
    pub fn fail_clears(&self, fail: bool) {
        self.failing_clears.store(fail, Ordering::SeqCst);
    }

    /// What the store holds now, read without counting as a call.
    pub fn held(&self) -> Option<TokenSet> {
        self.inner.load().unwrap()
    }

    /// The refresh token the store holds now.
    pub fn held_refresh_token(&self) -> Option<String> {
        self.held()?
            .refresh_token
            .map(|token| token.secret().to_owned())
    }

    /// The threads that called `load`, `save` or `clear`, in order.
    pub fn calling_threads(&self) -> Vec<ThreadId> {
        self.calling_threads.lock().unwrap().clone()
    }

    fn record_call(&self) {
        self.calling_threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
    }
}

impl TokenStore for TokenStoreDouble {
    fn load(&self) -> Result<Option<TokenSet>, StoreError> {
        self.record_call();
        self.inner.load()
    }

    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError> {
        self.record_call();
        if self.failing_saves.load(Ordering::SeqCst) {
            return Err(StoreError::new(RefusedKeyring::Write));
        }
        self.inner.save(tokens)
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.record_call();
        if self.failing_clears.load(Ordering::SeqCst) {
            return Err(StoreError::new(RefusedKeyring::Delete));
        }
        self.inner.clear()
    }
}
