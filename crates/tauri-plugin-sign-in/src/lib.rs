//! Desktop sign-in for Tauri apps, as a plugin: OAuth 2.0 authorization code with PKCE in the
//! system browser (RFC 8252), the answer handed back through the app's private-use scheme (with
//! single-instance forwarding and cold start) or a loopback listener, tokens in the OS keyring.
//! The OAuth protocol itself is the Tauri-free core, `photolink_oauth`.
//!
//! ```no_run
//! tauri::Builder::default()
//!     // First, so that a second process forwards its sign-in link and exits at once.
//!     .plugin(tauri_plugin_sign_in::single_instance())
//!     .plugin(tauri_plugin_deep_link::init())
//!     .plugin(tauri_plugin_opener::init())
//!     .plugin(tauri_plugin_clipboard_manager::init())
//!     .plugin(tauri_plugin_sign_in::Builder::new().build())
//! #   ;
//! ```
//!
//! Commands (grant `sign-in:default`): `status`, `connect`, `retry`, `cancel`,
//! `open_browser_again`, `copy_link`, `disconnect`. Event: `connection-changed` with the
//! [`Status`]. The app reaches the connected account's [`Session`](photolink_oauth::Session)
//! through [`SignInExt::sign_in`] and [`SignIn::provider`].
//!
//! # Timing marks
//!
//! A few `info` events of target `photolink_bench` mark the moments a benchmark measures:
//! `status-sent` (the window pulled the status), `link-received` (a sign-in link was accepted),
//! `callback-checked`, `token-request-start`, `keyring-write-start`, `keyring-write-end` and
//! `connected-sent` (the steps of finishing a sign-in). They carry nothing but their name.

mod atomic_file;
mod commands;
mod config;
mod connection;
mod deep_link;
mod desktop;
mod error;
mod loopback;
mod messages;
mod presets;
mod provider;
mod saved_metadata;
mod status;
mod store;

use std::sync::Arc;

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Runtime};

pub use config::{AppFields, AppSettings, CONFIG_ENV, ProviderConfig, check_web_url, parse};
pub use desktop::CONNECTION_CHANGED;
pub use error::{CommandError, Error};
pub use provider::{Provider, REDIRECT_URI};
pub use status::{Connection, Notice, ProviderSummary, Status, Tone};

use desktop::{AccountChanged, DesktopConnection};

/// The sign-in of this process (managed by the plugin; reach it with [`SignInExt::sign_in`]).
pub struct SignIn<R: Runtime> {
    connection: Arc<DesktopConnection<R>>,
}

impl<R: Runtime> SignIn<R> {
    /// Where the connection stands, as the window is shown it.
    pub fn status(&self) -> Status {
        self.connection.status()
    }

    /// The provider and its session, once set up (never waits): `provider.session` makes the
    /// app's authorized requests (DPoP, refresh and 401 handling included).
    pub fn provider(&self) -> Option<Arc<Provider>> {
        self.connection.provider()
    }

    /// The app's request with the session failed: a grant that died means the person has to
    /// connect again, which the window then shows.
    pub fn connection_failed(&self, error: &photolink_oauth::Error) {
        self.connection.connection_failed(error);
    }

    /// The app used the session (a refresh may have saved tokens, or failed to): brings the
    /// keyring warning up to date.
    pub fn connection_used(&self) {
        self.connection.connection_used();
    }

    /// The name of the provider in use, for the app's sentences.
    pub fn provider_name(&self) -> String {
        self.connection.provider_name()
    }

    /// The sentence for a failed request with the session, naming the provider in use.
    pub fn explain(&self, error: &photolink_oauth::Error) -> String {
        messages::oauth(error, &self.provider_name())
    }

    fn command_error(&self, error: &Error) -> CommandError {
        tracing::warn!(%error, "a command failed");
        CommandError::new(self.connection.explain(error))
    }
}

/// The sentence for a failed request with the session, naming `provider`.
pub fn sentence(error: &photolink_oauth::Error, provider: &str) -> String {
    messages::oauth(error, provider)
}

/// Access to the [`SignIn`] from the app, a window or any handle.
pub trait SignInExt<R: Runtime> {
    fn sign_in(&self) -> &SignIn<R>;
}

impl<R: Runtime, T: Manager<R>> SignInExt<R> for T {
    fn sign_in(&self) -> &SignIn<R> {
        self.state::<SignIn<R>>().inner()
    }
}

/// The plugin's settings.
pub struct Builder<R: Runtime> {
    fields: AppFields,
    account_changed: Option<AccountChanged<R>>,
}

impl<R: Runtime> Default for Builder<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Runtime> Builder<R> {
    pub fn new() -> Self {
        Self {
            fields: AppFields::NONE,
            account_changed: None,
        }
    }

    /// The app's own fields in `provider.toml`: read with the sign-in's, handed back as
    /// [`Provider::app`].
    pub fn app_fields(mut self, fields: AppFields) -> Self {
        self.fields = fields;
        self
    }

    /// Called when the connected account changed or went away (a new sign-in, Disconnect, a
    /// grant that died): the app drops whatever of the account it shows or keeps.
    pub fn on_account_changed(
        mut self,
        account_changed: impl Fn(&AppHandle<R>) + Send + Sync + 'static,
    ) -> Self {
        self.account_changed = Some(Box::new(account_changed));
        self
    }

    pub fn build(self) -> TauriPlugin<R> {
        let Self {
            fields,
            account_changed,
        } = self;
        tauri::plugin::Builder::new("sign-in")
            .invoke_handler(tauri::generate_handler![
                commands::status,
                commands::connect,
                commands::retry,
                commands::cancel,
                commands::open_browser_again,
                commands::copy_link,
                commands::disconnect,
            ])
            .setup(move |app, _api| {
                app.manage(deep_link::DeepLinks::default());
                let connection = desktop::connection(app, fields, account_changed);
                app.manage(SignIn {
                    connection: connection.clone(),
                });
                if let Some(provider) = provider::announced(app, &fields) {
                    connection.announce(provider);
                }
                tauri::async_runtime::spawn(async move { connection.start_up().await });
                deep_link::set_up(app);
                Ok(())
            })
            .build()
    }
}

/// The single-instance plugin, handing the sign-in links a second process of the app is started
/// with (by the OS, for the redirect) to this one. Register it before any other plugin.
pub fn single_instance<R: Runtime>() -> TauriPlugin<R> {
    tauri_plugin_single_instance::init(|app, args, _cwd| {
        deep_link::from_second_instance(app, args);
    })
}
