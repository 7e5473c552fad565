//! The app's shared state (managed by Tauri; reach it with `app.state::<AppState>()`), and the
//! desktop side of the connection: the window and the OS as [`connection`](crate::connection)
//! needs them.

use std::sync::Arc;

use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_opener::OpenerExt;
use url::Url;

use crate::connection::{AccountConnection, Os, Window};
use crate::error::AppError;
use crate::loopback::{Deliver, LoopbackListener};
use crate::photos::PhotoCache;
use crate::provider::Provider;
use crate::status::Status;
use crate::store::{ENDED_SIGN_INS_FILE_NAME, ForgottenEntries, SignInStore};

/// Event carrying the new [`Status`] whenever it changes.
pub const CONNECTION_CHANGED: &str = "connection-changed";

/// The connection of this PhotoLink process, over the real window and OS.
pub type DesktopConnection = AccountConnection<AppWindow, DesktopOs>;

pub struct AppState {
    pub connection: Arc<DesktopConnection>,
    /// Thumbnails and the photo list of the connected account, in memory and on disk.
    pub cache: PhotoCache,
}

impl AppState {
    pub fn new(app: &AppHandle) -> Self {
        Self {
            connection: AccountConnection::new(
                AppWindow { app: app.clone() },
                DesktopOs {
                    app: app.clone(),
                    sign_ins: Arc::new(SignInStore::keyring(ended_sign_ins(app))),
                },
            ),
            cache: PhotoCache::in_cache_folder(app),
        }
    }

    /// The provider if it is set up already (never waits).
    pub fn provider(&self) -> Option<Arc<Provider>> {
        self.connection.provider()
    }
}

/// The tombstones of ended sign-ins, in the app data folder (`None` when the platform has none).
fn ended_sign_ins(app: &AppHandle) -> Option<ForgottenEntries> {
    let folder = app.path().app_data_dir().ok()?;
    Some(ForgottenEntries::at(folder.join(ENDED_SIGN_INS_FILE_NAME)))
}

/// The main window, told about every status change by the `connection-changed` event.
pub struct AppWindow {
    app: AppHandle,
}

impl Window for AppWindow {
    fn show(&self, status: &Status) {
        if let Err(error) = self.app.emit(CONNECTION_CHANGED, status) {
            tracing::warn!(%error, "could not tell the window about a status change");
        }
    }

    fn forget_account_data(&self) {
        let Some(state) = self.app.try_state::<AppState>() else {
            return;
        };
        if let Some(provider) = state.provider() {
            provider.photos.forget();
        }
        state.cache.forget_account();
    }
}

/// The system browser, the settings, the OS keyring and the loopback listener.
pub struct DesktopOs {
    app: AppHandle,
    sign_ins: Arc<SignInStore>,
}

impl Os for DesktopOs {
    fn open_browser(&self, url: &Url) -> Result<(), String> {
        self.app
            .opener()
            .open_url(url.as_str(), None::<&str>)
            .map_err(|error| error.to_string())
    }

    async fn set_up_provider(&self) -> Result<Provider, AppError> {
        Provider::set_up(&self.app).await
    }

    fn sign_ins(&self) -> Arc<SignInStore> {
        self.sign_ins.clone()
    }

    type Listener = LoopbackListener;

    async fn listen_for_redirect(
        &self,
        port: Option<u16>,
        deliver: Deliver,
    ) -> std::io::Result<LoopbackListener> {
        LoopbackListener::start(port, deliver).await
    }
}
