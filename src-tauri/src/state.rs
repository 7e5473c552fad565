//! The app's shared state, and the one place that changes the status and tells the window.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use photolink_oauth::PendingAuthorization;
use tauri::{AppHandle, Emitter};
use url::Url;

use crate::error::AppError;
use crate::photos::PhotoIndex;
use crate::provider::Provider;
use crate::status::{Connection, Notice, ProviderSummary, Status, Tone};

/// Event carrying the new [`Status`] whenever it changes.
pub const CONNECTION_CHANGED: &str = "connection-changed";

/// Managed by Tauri; reach it with `app.state::<AppState>()`.
#[derive(Default)]
pub struct AppState {
    view: Mutex<View>,
    /// The provider once set up.
    provider: OnceLock<Arc<Provider>>,
    /// Held while the provider is being set up, so that callers wait for one setup.
    provider_setup: tokio::sync::Mutex<()>,
    /// The sign-in waiting for its callback.
    pub pending: PendingAuthorization,
    /// The authorization URL of the sign-in in progress (for "Open browser again" and "Copy link").
    authorize_url: Mutex<Option<Url>>,
    /// Photos listed so far, by the opaque ids the window uses.
    pub photos: PhotoIndex,
}

struct View {
    revision: u64,
    connection: Connection,
    provider: Option<ProviderSummary>,
    notice: Option<Notice>,
    notices_shown: u64,
}

impl View {
    fn status(&self) -> Status {
        Status {
            revision: self.revision,
            connection: self.connection.clone(),
            provider: self.provider.clone(),
            notice: self.notice.clone(),
        }
    }
}

impl Default for View {
    fn default() -> Self {
        Self {
            revision: 0,
            connection: Connection::Disconnected,
            provider: None,
            notice: None,
            notices_shown: 0,
        }
    }
}

impl AppState {
    pub fn status(&self) -> Status {
        lock(&self.view).status()
    }

    pub fn connection(&self) -> Connection {
        lock(&self.view).connection.clone()
    }

    /// Changes the connection. A notice belongs to the state it was given in, so moving to
    /// another state (say from waiting to connected) clears it.
    pub fn set_connection(&self, app: &AppHandle, connection: Connection) {
        self.update(app, |view| {
            if std::mem::discriminant(&view.connection) != std::mem::discriminant(&connection) {
                view.notice = None;
            }
            view.connection = connection;
        });
    }

    pub fn set_provider(&self, app: &AppHandle, provider: ProviderSummary) {
        self.update(app, |view| view.provider = Some(provider));
    }

    pub fn notify(&self, app: &AppHandle, tone: Tone, message: impl Into<String>) {
        let message = message.into();
        self.update(app, |view| {
            view.notices_shown += 1;
            view.notice = Some(Notice {
                id: view.notices_shown,
                message,
                tone,
            });
        });
    }

    pub fn clear_notice(&self, app: &AppHandle) {
        if lock(&self.view).notice.is_some() {
            self.update(app, |view| view.notice = None);
        }
    }

    pub fn authorize_url(&self) -> Option<Url> {
        lock(&self.authorize_url).clone()
    }

    pub fn set_authorize_url(&self, url: Option<Url>) {
        *lock(&self.authorize_url) = url;
    }

    /// The provider, set up by `setup` unless that already happened; one setup at a time,
    /// and a failed setup is tried again by the next caller.
    pub async fn provider_or_setup<F, Fut>(&self, setup: F) -> Result<Arc<Provider>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Provider, AppError>>,
    {
        if let Some(provider) = self.provider.get() {
            return Ok(provider.clone());
        }
        let _setting_up = self.provider_setup.lock().await;
        if let Some(provider) = self.provider.get() {
            return Ok(provider.clone());
        }
        let provider = Arc::new(setup().await?);
        Ok(self.provider.get_or_init(|| provider).clone())
    }

    /// The provider if it is set up already (never waits).
    pub fn provider(&self) -> Option<Arc<Provider>> {
        self.provider.get().cloned()
    }

    /// Changes the view and emits the new status while still holding the lock, so that the
    /// window receives changes in the order they happened.
    fn update(&self, app: &AppHandle, change: impl FnOnce(&mut View)) {
        let mut view = lock(&self.view);
        change(&mut view);
        view.revision += 1;
        if let Err(error) = app.emit(CONNECTION_CHANGED, view.status()) {
            tracing::warn!(%error, "could not tell the window about a status change");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
