//! The desktop side of the connection: the window and the OS as
//! [`connection`](crate::connection) needs them, over Tauri. What the app keeps of an account
//! (its photos, say) is its own: the connection tells it when the account changes or goes
//! through the hook given to [`Builder::on_account_changed`](crate::Builder::on_account_changed).

use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_opener::OpenerExt;
use url::Url;

use crate::config::{AppFields, PluginConfig};
use crate::connection::{AccountConnection, Os, Window};
use crate::error::Error;
use crate::loopback::{Deliver, LoopbackListener};
use crate::provider::{AppNames, Provider};
use crate::status::Status;
use crate::store::{ENDED_SIGN_INS_FILE_NAME, ForgottenEntries, SignInStore};

/// Event carrying the new [`Status`] whenever it changes.
pub const CONNECTION_CHANGED: &str = "connection-changed";

/// The connection of this process, over the real window and OS.
pub type DesktopConnection<R> = AccountConnection<AppWindow<R>, DesktopOs<R>>;

/// What the app does when the connected account changed or went away: drop whatever of it it
/// shows or keeps.
pub type AccountChanged<R> = Box<dyn Fn(&AppHandle<R>) + Send + Sync>;

/// The connection over the app's windows and the OS.
pub fn connection<R: Runtime>(
    app: &AppHandle<R>,
    fields: AppFields,
    names: AppNames,
    plugin: PluginConfig,
    account_changed: Option<AccountChanged<R>>,
) -> Arc<DesktopConnection<R>> {
    let sign_ins = SignInStore::keyring(names.keyring.clone(), ended_sign_ins(app));
    AccountConnection::new(
        AppWindow {
            app: app.clone(),
            account_changed,
        },
        DesktopOs {
            app: app.clone(),
            fields,
            names,
            plugin,
            sign_ins: Arc::new(sign_ins),
        },
    )
}

/// The tombstones of ended sign-ins, in the app data folder (`None` when the platform has none).
fn ended_sign_ins<R: Runtime>(app: &AppHandle<R>) -> Option<ForgottenEntries> {
    let folder = app.path().app_data_dir().ok()?;
    Some(ForgottenEntries::at(folder.join(ENDED_SIGN_INS_FILE_NAME)))
}

/// The app's windows, told about every status change by the `connection-changed` event.
pub struct AppWindow<R: Runtime> {
    app: AppHandle<R>,
    account_changed: Option<AccountChanged<R>>,
}

impl<R: Runtime> Window for AppWindow<R> {
    fn show(&self, status: &Status) {
        if let Err(error) = self.app.emit(CONNECTION_CHANGED, status) {
            tracing::warn!(%error, "could not tell the window about a status change");
        }
    }

    fn forget_account_data(&self) {
        if let Some(account_changed) = &self.account_changed {
            account_changed(&self.app);
        }
    }
}

/// The system browser, the settings, the OS keyring, the loopback listener and the clock.
pub struct DesktopOs<R: Runtime> {
    app: AppHandle<R>,
    fields: AppFields,
    names: AppNames,
    plugin: PluginConfig,
    sign_ins: Arc<SignInStore>,
}

impl<R: Runtime> Os for DesktopOs<R> {
    fn open_browser(&self, url: &Url) -> Result<(), String> {
        self.app
            .opener()
            .open_url(url.as_str(), None::<&str>)
            .map_err(|error| error.to_string())
    }

    async fn set_up_provider(&self) -> Result<Provider, Error> {
        Provider::set_up(&self.app, &self.fields, &self.names, &self.plugin).await
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

    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep_until(&self, deadline: SystemTime) -> impl Future<Output = ()> + Send + 'static {
        let remaining = deadline
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        tokio::time::sleep(remaining)
    }
}
