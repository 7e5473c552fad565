//! Errors of the app shell. `Display` is technical (for logs); the window gets the plain
//! sentence from [`messages`](crate::messages), naming the provider in use: in the status, or
//! as a command's [`CommandError`](crate::commands::CommandError). Neither ever holds a secret
//! or server text.

use crate::config::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("provider settings: {0}")]
    Config(#[from] ConfigError),
    #[error("embedded demo provider: {0}")]
    DemoProvider(#[from] photolink_demo_provider::Error),
    #[error(transparent)]
    OAuth(#[from] photolink_oauth::Error),
    #[error("no {0} folder")]
    MissingDirectory(&'static str),
    #[error("unreadable photo list: {0}")]
    PhotoList(String),
    /// The window asked for a page of photos by a token PhotoLink did not hand out (or has
    /// forgotten since).
    #[error("a page token PhotoLink did not hand out")]
    UnknownPageToken,
    /// The account went away (or was replaced) while its photos were being listed.
    #[error("the account changed while its photos were listed")]
    AccountChanged,
    #[error("no sign-in is waiting")]
    NotWaiting,
    #[error("clipboard: {0}")]
    Clipboard(String),
    #[error("cannot listen on 127.0.0.1 for the browser's redirect: {0}")]
    RedirectListener(std::io::Error),
}

impl AppError {
    /// Whether trying again can help without the person changing anything first.
    pub fn is_retryable(&self) -> bool {
        use photolink_oauth::Error as OAuth;
        !matches!(
            self,
            Self::Config(_)
                | Self::DemoProvider(_)
                | Self::MissingDirectory(_)
                | Self::OAuth(OAuth::InvalidConfig(_) | OAuth::InsecureEndpoint { .. })
        )
    }
}
