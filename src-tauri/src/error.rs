//! Errors of PhotoLink's photo code. `Display` is technical (for logs); the window gets the plain
//! sentence from [`messages`](crate::messages), naming the provider in use, as a command's
//! [`CommandError`](crate::commands::CommandError). Neither ever holds a secret or server text.

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The photo API refused or failed a request, or the connection it needs is gone.
    #[error(transparent)]
    OAuth(#[from] photolink_oauth::Error),
    #[error("unreadable photo list: {0}")]
    PhotoList(String),
    /// The window asked for a page of photos by a token PhotoLink did not hand out (or has
    /// forgotten since).
    #[error("a page token PhotoLink did not hand out")]
    UnknownPageToken,
    /// The account went away (or was replaced) while its photos were being listed.
    #[error("the account changed while its photos were listed")]
    AccountChanged,
}
