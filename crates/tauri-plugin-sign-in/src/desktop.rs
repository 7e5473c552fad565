//! The desktop side of the connection: the window and the OS as
//! [`connection`](crate::connection) needs them, over Tauri. What the app keeps of an account
//! (its photos, say) is its own: the connection tells it when the account changes or goes
//! through the hook given to [`Builder::on_account_changed`](crate::Builder::on_account_changed).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_opener::OpenerExt;
use url::Url;

use crate::accounts::{Accounts, Host, LinkedAccount};
use crate::config::{AppFields, PluginConfig};
use crate::connection::Os;
use crate::error::{BrowserNotOpened, Error};
use crate::loopback::{Deliver, LoopbackListener};
use crate::provider::{AppNames, Provider, ProviderSetting};
use crate::status::Status;
use crate::store::{
    ENDED_SIGN_INS_FILE_NAME, FORGOTTEN_FILE_NAME, ForgottenEntries, SecretEntry, SignInStore,
    Slot, SplitEntry,
};

/// Event carrying the new [`Status`] whenever it changes.
pub const CONNECTION_CHANGED: &str = "connection-changed";

/// The file in the app data folder listing the linked accounts, each with its slot and its
/// provider's key (no secrets).
const LINKED_ACCOUNTS_FILE_NAME: &str = "linked-accounts.json";

/// The accounts of this process, over the real window and OS.
pub type DesktopAccounts<R> = Accounts<DesktopHost<R>>;

/// What the app does when an account (its id in the list) changed or went away: drop whatever
/// of it it shows or keeps.
pub type AccountChanged<R> = Box<dyn Fn(&AppHandle<R>, u32) + Send + Sync>;

/// The accounts over the app's windows and the OS.
pub fn accounts<R: Runtime>(
    app: &AppHandle<R>,
    fields: AppFields,
    names: AppNames,
    plugin: PluginConfig,
    account_changed: Option<AccountChanged<R>>,
) -> Arc<DesktopAccounts<R>> {
    Accounts::new(DesktopHost {
        app: app.clone(),
        fields,
        names,
        plugin,
        account_changed,
        settings: Arc::default(),
    })
}

/// The tombstones of the ended sign-ins of the account in `slot`, in the app data folder
/// (`None` when the platform has none).
fn ended_sign_ins<R: Runtime>(app: &AppHandle<R>, slot: Slot) -> Option<ForgottenEntries> {
    let folder = app.path().app_data_dir().ok()?;
    Some(ForgottenEntries::of_slot(
        &folder,
        ENDED_SIGN_INS_FILE_NAME,
        slot,
    ))
}

/// The app's windows (told about every status change by the `connection-changed` event), the
/// OS of each account, and the list of linked accounts in the app data folder.
pub struct DesktopHost<R: Runtime> {
    app: AppHandle<R>,
    fields: AppFields,
    names: AppNames,
    plugin: PluginConfig,
    account_changed: Option<AccountChanged<R>>,
    /// Each provider's settings, by its key, read once for every account at it.
    settings: ProviderSettings,
}

/// Each provider's settings by its key (`None`: the first), read once.
type ProviderSettings =
    Arc<Mutex<HashMap<Option<String>, Arc<tokio::sync::OnceCell<ProviderSetting>>>>>;

impl<R: Runtime> DesktopHost<R> {
    fn linked_file(&self) -> Option<std::path::PathBuf> {
        let folder = self.app.path().app_data_dir().ok()?;
        Some(folder.join(LINKED_ACCOUNTS_FILE_NAME))
    }
}

impl<R: Runtime> Host for DesktopHost<R> {
    type Os = DesktopOs<R>;

    fn os(&self, slot: Slot, provider: Option<&str>, choose_account: bool) -> DesktopOs<R> {
        let sign_ins = SignInStore::keyring(
            self.names.keyring.clone(),
            slot,
            ended_sign_ins(&self.app, slot),
        );
        DesktopOs {
            app: self.app.clone(),
            fields: self.fields,
            names: self.names.clone(),
            plugin: self.plugin.clone(),
            setting: photolink_oauth::sync::lock(&self.settings)
                .entry(provider.map(str::to_owned))
                .or_default()
                .clone(),
            provider: provider.map(str::to_owned),
            slot,
            choose_account,
            sign_ins: Arc::new(sign_ins),
        }
    }

    fn show(&self, status: &Status) {
        if let Err(error) = self.app.emit(CONNECTION_CHANGED, status) {
            tracing::warn!(%error, "could not tell the window about a status change");
        }
    }

    fn forget_account_data(&self, slot: Slot) {
        if let Some(account_changed) = &self.account_changed {
            account_changed(&self.app, slot.0);
        }
    }

    fn linked(&self) -> Vec<LinkedAccount> {
        let Some(path) = self.linked_file() else {
            return Vec::new();
        };
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                tracing::warn!(%error, "the list of linked accounts cannot be read");
                Vec::new()
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(error) => {
                tracing::warn!(%error, "the list of linked accounts cannot be read");
                Vec::new()
            }
        }
    }

    fn keep_linked(&self, accounts: &[LinkedAccount]) {
        let Some(path) = self.linked_file() else {
            return;
        };
        let written = serde_json::to_vec(accounts)
            .map_err(std::io::Error::other)
            .and_then(|bytes| {
                if let Some(folder) = path.parent() {
                    std::fs::create_dir_all(folder)?;
                }
                crate::atomic_file::replace_file(&path, &bytes)
            });
        if let Err(error) = written {
            tracing::warn!(%error, "could not keep the list of linked accounts");
        }
    }
}

/// The system browser, its provider's settings, the OS keyring, the loopback listener and the
/// clock, for the account in one slot.
pub struct DesktopOs<R: Runtime> {
    app: AppHandle<R>,
    fields: AppFields,
    names: AppNames,
    plugin: PluginConfig,
    setting: Arc<tokio::sync::OnceCell<ProviderSetting>>,
    /// The key of the account's provider (`None`: the settings' first).
    provider: Option<String>,
    slot: Slot,
    choose_account: bool,
    sign_ins: Arc<SignInStore>,
}

impl<R: Runtime> Os for DesktopOs<R> {
    fn open_browser(&self, url: &Url) -> Result<(), BrowserNotOpened> {
        self.app
            .opener()
            .open_url(url.as_str(), None::<&str>)
            .map_err(|error| BrowserNotOpened(Box::new(error)))
    }

    async fn set_up_provider(&self) -> Result<Provider, Error> {
        let setting = self
            .setting
            .get_or_try_init(|| {
                ProviderSetting::read(
                    &self.app,
                    &self.fields,
                    &self.names,
                    &self.plugin,
                    self.provider.as_deref(),
                )
            })
            .await?;
        Provider::open(setting, &self.names, self.slot, self.choose_account).await
    }

    fn sign_ins(&self) -> Arc<SignInStore> {
        self.sign_ins.clone()
    }

    fn saved_connection(&self) -> Option<(Box<dyn SecretEntry>, ForgottenEntries)> {
        let folder = self.app.path().app_data_dir().ok()?;
        let entry = SplitEntry::tokens(self.names.keyring.clone(), self.slot);
        Some((
            Box::new(entry),
            ForgottenEntries::of_slot(&folder, FORGOTTEN_FILE_NAME, self.slot),
        ))
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
