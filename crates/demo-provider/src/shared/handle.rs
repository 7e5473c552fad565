//! The handle of a running provider.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Error;
use crate::shared::endpoints::Endpoints;
use crate::shared::provider::AppState;
#[cfg(feature = "test-machinery")]
use crate::{InjectedFault, Stats};

/// How long [`ProviderHandle::shutdown`] waits for open connections to finish.
const GRACEFUL_SHUTDOWN_LIMIT: Duration = Duration::from_secs(5);

/// A running provider. Dropping it stops the server at once; [`shutdown`](Self::shutdown)
/// stops it gracefully.
pub struct ProviderHandle {
    address: SocketAddr,
    app: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ProviderHandle {
    pub(crate) fn new(
        address: SocketAddr,
        app: AppState,
        shutdown: oneshot::Sender<()>,
        task: JoinHandle<()>,
    ) -> Self {
        Self {
            address,
            app,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// The issuer, e.g. `http://127.0.0.1:49152` or `http://127.0.0.1:49152/tenant`.
    pub fn issuer_url(&self) -> &str {
        &self.app.issuer
    }

    /// Absolute URLs of every endpoint.
    pub fn endpoints(&self) -> &Endpoints {
        &self.app.endpoints
    }

    /// The socket the provider listens on (always 127.0.0.1).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Makes a new DPoP nonce current, as time passing would (the previous one is still
    /// accepted), for tests of a client that must pick up the new one.
    pub fn rotate_dpop_nonce(&self) {
        self.app.dpop.rotate_nonce();
    }

    /// Makes every access token issued so far expired, as if their lifetime had passed, while
    /// the client still believes them valid (for tests of refresh after a 401).
    pub fn expire_access_tokens(&self) -> Result<(), Error> {
        Ok(self.app.grants.expire_access_tokens()?)
    }

    /// Replaces the key that signs ID tokens, as a server rotates its keys: the JWK Set then
    /// lists only the new key, whose `kid` clients have not seen.
    pub fn rotate_id_token_key(&self) -> Result<(), Error> {
        self.app.id_tokens.rotate()
    }

    /// Disarms every fault, stops accepting connections and waits (up to 5 s) for open ones to
    /// finish.
    pub async fn shutdown(mut self) {
        self.app.faults.clear();
        if let Some(signal) = self.shutdown.take() {
            let _ = signal.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(GRACEFUL_SHUTDOWN_LIMIT, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

/// The test machinery's controls (the `test-machinery` feature).
#[cfg(feature = "test-machinery")]
impl ProviderHandle {
    /// A snapshot of the request counters.
    pub fn stats(&self) -> Stats {
        self.app.counters.snapshot()
    }

    /// The random tokens the faulty token answers carried (the most recent 64, oldest first),
    /// so a test can check that a client shows none of them.
    pub fn fake_tokens_served(&self) -> Vec<String> {
        self.app.faults.fake_tokens()
    }

    /// Replaces the armed faults with `faults` (see [`Fault`](crate::Fault)): each answers the
    /// requests to its endpoint group in the order given, for its count or until cleared.
    /// Refused, leaving the armed faults as they were, when a fault is invalid (a status
    /// outside 500 to 599, `times` of 0, an empty issuer) or more than 32 are given.
    pub fn set_faults(&self, faults: impl IntoIterator<Item = InjectedFault>) -> Result<(), Error> {
        self.app.faults.set(faults.into_iter().collect())
    }

    /// Disarms every fault and releases requests held by [`Fault::TokenHang`](crate::Fault).
    pub fn clear_faults(&self) {
        self.app.faults.clear();
    }
}

impl Drop for ProviderHandle {
    fn drop(&mut self) {
        // Connections run in their own tasks, which outlive the server task: release hanging
        // requests so they end too.
        self.app.faults.clear();
        if let Some(signal) = self.shutdown.take() {
            let _ = signal.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl std::fmt::Debug for ProviderHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderHandle")
            .field("issuer", &self.app.issuer)
            .finish_non_exhaustive()
    }
}
