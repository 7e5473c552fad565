//! Errors of the sign-in. `Display` is technical (for logs); the window gets the plain sentence
//! from [`messages`](crate::messages), naming the provider in use: in the status, or as a
//! command's [`CommandError`], which serialises as that sentence. Neither ever holds a secret or
//! server text.

use serde::Serialize;

use crate::config::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[cfg(feature = "demo-provider")]
    #[error("embedded demo provider: {0}")]
    DemoProvider(#[from] photolink_demo_provider::Error),
    #[error(transparent)]
    OAuth(#[from] photolink_oauth::Error),
    #[error("no {0} folder")]
    MissingDirectory(&'static str),
    #[error("no sign-in is waiting")]
    NotWaiting,
    #[error("no such account")]
    NoSuchAccount,
    /// The account's provider is no longer in the settings file (its key is not).
    #[error("the account's provider is not in the settings")]
    ProviderGone,
    /// Add account named a provider the settings do not have.
    #[error("no such provider")]
    NoSuchProvider,
    #[error("clipboard: {0}")]
    Clipboard(#[source] tauri_plugin_clipboard_manager::Error),
    #[error("cannot listen on 127.0.0.1 for the browser's redirect: {0}")]
    RedirectListener(std::io::Error),
}

/// The system browser could not be opened: the platform's error, for the log. The window gets
/// a notice from [`messages`](crate::messages) instead.
#[derive(Debug, thiserror::Error)]
#[error("the system browser could not be opened: {0}")]
pub struct BrowserNotOpened(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl Error {
    /// Whether trying again can help without the person changing anything first.
    pub fn is_retryable(&self) -> bool {
        use photolink_oauth::Error as OAuth;
        match self {
            Self::Config(_)
            | Self::ProviderGone
            | Self::MissingDirectory(_)
            | Self::OAuth(OAuth::InvalidConfig(_) | OAuth::InsecureEndpoint { .. }) => false,
            #[cfg(feature = "demo-provider")]
            Self::DemoProvider(_) => false,
            _ => true,
        }
    }
}

/// A command's failure as the window receives it: the plain sentence for the [`Error`], naming
/// the provider in use. The error itself stays technical, for the log.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct CommandError(String);

impl CommandError {
    pub(crate) fn new(sentence: String) -> Self {
        Self(sentence)
    }
}
