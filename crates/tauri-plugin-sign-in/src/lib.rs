//! Desktop sign-in for Tauri apps, as a plugin: OAuth 2.0 authorization code with PKCE in the
//! system browser (RFC 8252), the answer handed back through the app's private-use scheme (with
//! single-instance forwarding and cold start) or a loopback listener, tokens in the OS keyring.
//! The protocol itself (PKCE, callback checks, pushed requests, DPoP, ID tokens, refresh,
//! revocation) is the Tauri-free core, `photolink_oauth`; this crate is everything a desktop
//! app adds around it. The crate's README shows the window's side (`guest-js/index.js`).
//!
//! # Using it
//!
//! ```no_run
//! use tauri_plugin_sign_in::SignInExt;
//!
//! tauri::Builder::default()
//!     // First, so that a second process forwards its sign-in link and exits at once.
//!     .plugin(tauri_plugin_sign_in::single_instance())
//!     .plugin(tauri_plugin_deep_link::init())
//!     .plugin(tauri_plugin_opener::init())
//!     .plugin(tauri_plugin_clipboard_manager::init())
//!     .plugin(
//!         tauri_plugin_sign_in::Builder::new()
//!             // Drop what the app keeps of an account (by its id) when it changes or goes.
//!             .on_account_changed(|_app, _account| {})
//!             .build(),
//!     )
//!     .setup(|app| {
//!         let handle = app.handle().clone();
//!         tauri::async_runtime::spawn(async move {
//!             // The app's own API calls, with the connected account's session: tokens are
//!             // refreshed (and DPoP proofs made) as needed.
//!             if let Some(provider) = handle.sign_in().provider() {
//!                 match provider.session.authorized_get("https://api.example.com/me").await {
//!                     Ok(_answer) => {}
//!                     Err(error) => handle.sign_in().connection_failed(&provider, &error).await,
//!                 }
//!                 handle.sign_in().connection_used();
//!             }
//!         });
//!         Ok(())
//!     })
//! #   ;
//! ```
//!
//! The capability of the window grants `sign-in:default` (every command below) and
//! `core:event:allow-listen` (the event).
//!
//! # A sign-in, step by step
//!
//! 1. At start the plugin reads `provider.toml` (from the variable the configuration names, else
//!    the app's config folder; without a file, and with the `demo-provider` feature, it starts
//!    the embedded demo provider), announces the
//!    provider to the window, discovers its endpoints (or uses those last discovered, sealed,
//!    when it cannot be reached), and restores the saved connection and any sign-in in progress
//!    from the keyring.
//! 2. `connect` starts a sign-in (`state`, PKCE verifier, nonce; a pushed request when the
//!    provider takes them), keeps it in the keyring's `sign-in` entry for its lifetime (10
//!    minutes), and opens the authorization page in the system browser. With
//!    `redirect = "loopback"` it first starts a listener on `127.0.0.1` for this sign-in only.
//! 3. The provider redirects to the app's scheme; the OS starts a second process with the link,
//!    which [`single_instance`] forwards to this one (or, when the app was closed, the link is
//!    read at its cold start). Links from every path go through one function, once each.
//! 4. The core checks the callback against the sign-in in progress; one that is not for it is
//!    ignored with a notice and the sign-in keeps waiting. The code is exchanged, the tokens
//!    saved in the keyring, the account named (userinfo, else the verified ID token) and the
//!    window told: `connection-changed` with the new [`Status`].
//! 5. The app makes its API calls with [`SignIn::provider`]'s `session`, reports a dead grant
//!    with [`SignIn::connection_failed`] (the window then asks to connect again, unless the
//!    person has started connecting again meanwhile) and calls
//!    [`SignIn::connection_used`] afterwards (a refresh may have changed whether the keyring
//!    holds the tokens).
//! 6. `disconnect` revokes the grant at the provider, deletes the tokens, and calls the app's
//!    `on_account_changed`.
//!
//! Several accounts can be linked (the `accounts` module): `add_account` runs these steps for
//! another account beside those linked, each account with its own session, keyring entries and
//! sign-in; the status is the chosen account's (`choose_account`), with the list of every
//! account, and [`SignIn::provider`] gives the chosen account's session. Every state and step
//! of one account is tabled in the `connection` module's documentation.
//!
//! # The pieces
//!
//! | Module | What it is |
//! | --- | --- |
//! | `lib.rs` | [`Builder`], [`SignIn`] (what the app uses), [`SignInExt`], [`single_instance`]. |
//! | `commands` | The window's commands, thin calls into [`SignIn`]: `status`, `connect`, `retry`, `cancel`, `open_browser_again`, `copy_link`, `disconnect`, `add_account`, `choose_account`. |
//! | `accounts` | The linked accounts: one `connection` per account in a keyed collection, the chosen one, the list kept for the next start; one sign-in waits at a time and a link goes to it; an account linked twice is given back. Unit-tested with the `connection` fakes. |
//! | `connection` | The state machine, without Tauri: the window, the OS and the clock behind traits, unit-tested with fakes against the demo provider; its transition table is tested row by row. |
//! | `desktop` | Those traits over Tauri: the [`CONNECTION_CHANGED`] event, the browser, the keyring, the loopback listener, the app's hook. |
//! | `deep_link` | The one place where links enter: the deep-link plugin, a second process, a cold start; only the exact callback address counts, once. |
//! | `loopback` | The loopback redirect listener (RFC 8252 §7.3) and its request checks. |
//! | `store` | The OS keyring: each account's token set and sign-in in progress over split entries named by its slot, the tombstones of entries it could not delete. |
//! | `config`, `presets` | The plugin's configuration ([`PluginConfig`]); `provider.toml`: the sign-in's fields, the presets (`microsoft`, `google`), and the app's own fields ([`AppFields`]). |
//! | `provider` | Setting the provider up: the settings or the embedded demo provider, discovery, the saved connection. |
//! | `embedded` | The embedded demo provider (feature `demo-provider`). |
//! | `saved_metadata` | The endpoints last discovered, sealed with a key in the keyring, for starts without a network. |
//! | `status` | What the window is told ([`Status`]). |
//! | `messages` | Every sentence of the sign-in a person reads, in the window and on the loopback listener's pages. |
//! | `error` | [`Error`] (technical `Display`) and [`CommandError`] (the sentence the window gets). |
//!
//! # Rules it enforces
//!
//! - **No secret leaves the backend**: commands and events carry only the [`Status`]; tokens,
//!   codes, verifiers and keys never reach the window, IPC, logs or error text.
//! - **Sentences are for people, errors for logs**: every failure the window shows is a plain
//!   sentence from `messages`, naming the provider; server text is never quoted.
//! - **A link counts once, and only the callback address**: the redirect URI's scheme (in any
//!   case), no authority, exactly its path; a link seen already is dropped.
//! - **The loopback listener binds `127.0.0.1` only**, lives only while its sign-in waits,
//!   checks `Host` before anything else and never echoes a request.
//! - **Tokens live in the keyring or nowhere**: no plaintext fallback; a keyring that fails
//!   leaves the connection in memory for this run, with a warning in the status.
//! - **Nothing disconnected comes back**: an entry the keyring would not delete is tombstoned
//!   and never restored.
//! - **Keyring and file work never blocks an async thread** (`photolink_oauth::sync`).
//! - **Steps run one at a time**, and the window receives changes in the order they happened
//!   (`revision` increases with each). One function, under the one lock the steps hold,
//!   changes the connection's phase, the app's reports included.
//! - **One sign-in waits at a time, and an account is linked once**: adding or connecting an
//!   account ends a sign-in waiting for another; a link goes to the account whose sign-in it
//!   finishes; an account signed in to twice (same issuer and subject) keeps its first grant.
//! - **A sign-in's resources end with it**: a waiting sign-in owns its secrets, its loopback
//!   listener, its expiry and its keyring entry, so leaving the waiting phase ends them all,
//!   however it is left.
//!
//! # The app's names
//!
//! The redirect URI is the app's identifier as a scheme, `{identifier}:/oauth/callback`
//! (`com.example.notes` has `com.example.notes:/oauth/callback`), unless
//! [`Builder::redirect_uri`] names another; the keyring entries are kept under the identifier as
//! the service. The sentences a person reads name the app by its product name
//! (`productName` in `tauri.conf.json`).
//!
//! # Configuration
//!
//! [`PluginConfig`], from `plugins.sign-in` in `tauri.conf.json`, each value replaceable through
//! the [`Builder`]: the environment variable that names the settings file
//! (`providerConfigEnv`), how long a sign-in waits (`signInLifetimeSeconds`) and a variable that
//! shortens it (`signInLifetimeEnv`). The plugin reads no environment variable it is not given.
//!
//! # Cargo features
//!
//! `demo-provider` (off by default): without a settings file, the plugin starts a demo provider
//! inside the app and signs in to it (`Provider::embedded`), so that the app can be tried with
//! nothing set up. Without it the demo provider is not linked, and a missing file is an error
//! whose sentence says where to write one.
//!
//! # Timing marks
//!
//! A few `info` events of target `photolink_bench` mark the moments a benchmark measures:
//! `link-received` (a sign-in link was accepted), `callback-checked`, `token-request-start`,
//! `keyring-write-start`, `keyring-write-end` and `connected-sent` (the steps of finishing a
//! sign-in). They carry nothing but their name.

mod accounts;
/// Files written whole or not at all; public because the app writes its own files (saved
/// originals) the same one way.
pub mod atomic_file;
mod commands;
mod config;
mod connection;
mod deep_link;
mod desktop;
#[cfg(feature = "demo-provider")]
mod embedded;
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

pub use config::{
    AppFields, AppSettings, ConfigError, ConfigProblem, FieldError, FieldProblem,
    LONGEST_SIGN_IN_LIFETIME, PluginConfig, PluginConfigError, ProviderConfig, SyntaxError,
    WebUrlError, check_web_url, parse,
};
pub use desktop::CONNECTION_CHANGED;
pub use error::{BrowserNotOpened, CommandError, Error};
pub use messages::web_address_problem;
pub use provider::Provider;
pub use status::{AccountItem, Connection, Notice, ProviderSummary, Status, Tone};

use desktop::{AccountChanged, DesktopAccounts};
use provider::AppNames;

/// The sign-in of this process (managed by the plugin; reach it with [`SignInExt::sign_in`]).
pub struct SignIn<R: Runtime> {
    accounts: Arc<DesktopAccounts<R>>,
}

impl<R: Runtime> SignIn<R> {
    /// Where the connection stands, as the window is shown it.
    pub fn status(&self) -> Status {
        self.accounts.status()
    }

    /// The provider and the chosen account's session, once set up (never waits):
    /// `provider.session` makes the app's authorized requests (DPoP, refresh and 401 handling
    /// included). Another account chosen has another session.
    pub fn provider(&self) -> Option<Arc<Provider>> {
        self.accounts.provider()
    }

    /// The provider and session of the account `id` (as in [`AccountItem::id`]), once set
    /// up: what the app tells that account's data apart by.
    pub fn account_provider(&self, id: u32) -> Option<Arc<Provider>> {
        self.accounts.provider_of(id)
    }

    /// The app's request with `provider`'s session failed: a grant that died means the person
    /// has to connect that account again, which the window then shows. It waits for the
    /// sign-in step that runs, if any, and changes nothing once the person has started
    /// connecting again, nor when the account is no longer linked.
    pub async fn connection_failed(&self, provider: &Provider, error: &photolink_oauth::Error) {
        self.accounts.connection_failed(provider, error).await;
    }

    /// The app used the session (a refresh may have saved tokens, or failed to): brings the
    /// keyring warning up to date.
    pub fn connection_used(&self) {
        self.accounts.chosen().connection_used();
    }

    /// The name of the provider in use, for the app's sentences.
    pub fn provider_name(&self) -> String {
        self.accounts.chosen().provider_name()
    }

    /// The sentence for a failed request with the session, naming the provider in use.
    pub fn explain(&self, error: &photolink_oauth::Error) -> String {
        messages::oauth(error, &self.provider_name())
    }

    fn command_error(&self, error: &Error) -> CommandError {
        tracing::warn!(%error, "a command failed");
        CommandError::new(self.accounts.chosen().explain(error))
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
    redirect_uri: Option<String>,
    /// Replaces the values of `plugins.sign-in` in `tauri.conf.json` it gives.
    config: PluginConfig,
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
            redirect_uri: None,
            config: PluginConfig::default(),
            account_changed: None,
        }
    }

    /// The environment variable that names the provider settings file, read instead of
    /// `provider.toml` in the app's config folder when set
    /// ([`PluginConfig::provider_config_env`]).
    pub fn provider_config_env(mut self, name: impl Into<String>) -> Self {
        self.config.provider_config_env = Some(name.into());
        self
    }

    /// How long a sign-in waits for the browser, at most [`LONGEST_SIGN_IN_LIFETIME`] (whole
    /// seconds count; [`PluginConfig::sign_in_lifetime_seconds`]).
    pub fn sign_in_lifetime(mut self, lifetime: std::time::Duration) -> Self {
        self.config.sign_in_lifetime_seconds = Some(lifetime.as_secs());
        self
    }

    /// The environment variable that shortens the sign-in's lifetime, in whole seconds
    /// ([`PluginConfig::sign_in_lifetime_env`]).
    pub fn sign_in_lifetime_env(mut self, name: impl Into<String>) -> Self {
        self.config.sign_in_lifetime_env = Some(name.into());
        self
    }

    /// The address the provider sends the sign-in back to, when it is not the app's identifier
    /// as a scheme (`{identifier}:/oauth/callback`); the app registers its scheme with the OS.
    pub fn redirect_uri(mut self, redirect_uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(redirect_uri.into());
        self
    }

    /// The app's own fields in `provider.toml`: read with the sign-in's, handed back as
    /// [`Provider::app`].
    pub fn app_fields(mut self, fields: AppFields) -> Self {
        self.fields = fields;
        self
    }

    /// Called with an account's id (as in [`AccountItem::id`]) when that account changed or
    /// went away (a new sign-in, Disconnect, a grant that died): the app drops whatever of that
    /// account it shows or keeps, and nothing of the others.
    pub fn on_account_changed(
        mut self,
        account_changed: impl Fn(&AppHandle<R>, u32) + Send + Sync + 'static,
    ) -> Self {
        self.account_changed = Some(Box::new(account_changed));
        self
    }

    pub fn build(self) -> TauriPlugin<R, Option<PluginConfig>> {
        let Self {
            fields,
            redirect_uri,
            config,
            account_changed,
        } = self;
        // `None` when tauri.conf.json has no `plugins.sign-in` section.
        tauri::plugin::Builder::<R, Option<PluginConfig>>::new("sign-in")
            .invoke_handler(tauri::generate_handler![
                commands::status,
                commands::connect,
                commands::retry,
                commands::cancel,
                commands::open_browser_again,
                commands::copy_link,
                commands::disconnect,
                commands::add_account,
                commands::choose_account,
            ])
            .setup(move |app, api| {
                let plugin = api.config().clone().unwrap_or_default().with(config)?;
                messages::name_the_app(&app.package_info().name);
                let mut names = AppNames::of(&app.config().identifier);
                if let Some(redirect_uri) = redirect_uri {
                    names.redirect_uri = redirect_uri;
                }
                app.manage(deep_link::DeepLinks::new(names.redirect_uri.clone()));
                let announced = provider::announced(app, &fields, &plugin);
                let accounts = desktop::accounts(app, fields, names, plugin, account_changed);
                app.manage(SignIn {
                    accounts: accounts.clone(),
                });
                accounts.announce(announced);
                tauri::async_runtime::spawn(async move { accounts.start_up().await });
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
