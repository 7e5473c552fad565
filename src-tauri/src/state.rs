//! The sign-in's shared state (managed by Tauri; reach it with `app.state::<AppState>()`), and
//! the desktop side of the connection: the window and the OS as
//! [`connection`](crate::connection) needs them. What the app keeps of an account (its photos)
//! is its own: the connection tells it when the account changes or goes through the hook given
//! to [`AppState::new`].

use std::sync::Arc;

use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_opener::OpenerExt;
use url::Url;

use crate::config::AppFields;
use crate::connection::{AccountConnection, Os, Window};
use crate::error::AppError;
use crate::loopback::{Deliver, LoopbackListener};
use crate::provider::Provider;
use crate::status::Status;
use crate::store::{ENDED_SIGN_INS_FILE_NAME, ForgottenEntries, SignInStore};

/// Event carrying the new [`Status`] whenever it changes.
pub const CONNECTION_CHANGED: &str = "connection-changed";

/// The connection of this PhotoLink process, over the real window and OS.
pub type DesktopConnection = AccountConnection<AppWindow, DesktopOs>;

pub struct AppState {
    pub connection: Arc<DesktopConnection>,
}

/// What the app does when the connected account changed or went away: drop whatever of it it
/// shows or keeps.
pub type AccountGone = fn(&AppHandle);

impl AppState {
    /// The connection, reading the app's `fields` of the settings file with the sign-in's.
    pub fn new(app: &AppHandle, fields: AppFields, account_gone: AccountGone) -> Self {
        Self {
            connection: AccountConnection::new(
                AppWindow {
                    app: app.clone(),
                    account_gone,
                },
                DesktopOs {
                    app: app.clone(),
                    fields,
                    sign_ins: Arc::new(SignInStore::keyring(ended_sign_ins(app))),
                },
            ),
        }
    }

    /// The provider if it is set up already (never waits).
    pub fn provider(&self) -> Option<Arc<Provider>> {
        self.connection.provider()
    }
}

/// For code that uses the connection (the app's API calls): reports a failure to the
/// connection ([`AccountConnection::connection_failed`]).
pub fn connection_failed(app: &AppHandle, error: &AppError) {
    if let Some(state) = app.try_state::<AppState>() {
        state.connection.connection_failed(error);
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
    account_gone: AccountGone,
}

impl Window for AppWindow {
    fn show(&self, status: &Status) {
        if let Err(error) = self.app.emit(CONNECTION_CHANGED, status) {
            tracing::warn!(%error, "could not tell the window about a status change");
        }
    }

    fn forget_account_data(&self) {
        (self.account_gone)(&self.app);
    }
}

/// The system browser, the settings, the OS keyring and the loopback listener.
pub struct DesktopOs {
    app: AppHandle,
    fields: AppFields,
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
        Provider::set_up(&self.app, &self.fields).await
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
