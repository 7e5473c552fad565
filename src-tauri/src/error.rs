//! Errors of PhotoLink's photo code. `Display` is technical (for logs); the window gets the plain
//! sentence from [`messages`](crate::messages), naming the provider in use, as a command's
//! [`CommandError`](crate::commands::CommandError). Neither ever holds a secret or server text.

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The photo API refused or failed a request, or the connection it needs is gone.
    #[error(transparent)]
    OAuth(#[from] photolink_oauth::Error),
    /// The photo API answered a list request with something that is not a photo list of its
    /// format (not JSON, another shape, a cut-off body): the core's error says what.
    #[error("unreadable photo list: {0}")]
    UnreadableList(#[source] photolink_oauth::Error),
    /// The photo API answered in its format but without what PhotoLink needs from it (a
    /// folder without a usable id, a page of changes without its next link, a picking session
    /// without its picker's address), or a list of changes that did not end within its cap.
    /// The reason is PhotoLink's own words, never the server's.
    #[error("an unusable answer from the photo API: {0}")]
    UnusableAnswer(&'static str),
    /// The photos chosen in a picker could not be kept in the account's cache folder (no
    /// folder, or writing it failed: the log says why).
    #[error("the photos chosen could not be kept")]
    ChosenNotKept,
    /// The photo API named an address outside it for a request with the token: a download
    /// outside its origin, or a next page outside its root.
    #[error("an address outside the photo API, refused for the token")]
    AddressRefused,
    /// Neither the settings file nor an embedded provider gives a photo API to list from.
    #[error("no photo API is set up")]
    NoPhotoApi,
    /// The window asked for a page of photos by a token PhotoLink did not hand out (or has
    /// forgotten since).
    #[error("a page token PhotoLink did not hand out")]
    UnknownPageToken,
    /// The account went away (or was replaced) while its photos were being listed.
    #[error("the account changed while its photos were listed")]
    AccountChanged,
    #[error(transparent)]
    Save(Box<SaveError>),
}

/// Why an original was not saved. `Display` is technical, for the log; the window gets the
/// sentence from [`messages::save`](crate::messages::save). Neither holds a token.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The original's address is one PhotoLink may not fetch it from (outside the photo API
    /// for the token, or not `https` where that is required).
    #[error("the original's address was refused: {0}")]
    AddressRefused(AppError),
    /// The photo service (or the way to it) failed: an error status, a cut-off answer, no
    /// connection, an expired connection.
    #[error("the photo service failed: {0}")]
    Provider(AppError),
    #[error("the original is larger than PhotoLink saves")]
    TooLarge,
    /// The file could not be written (disk full, no permission, …).
    #[error("the file could not be written: {0}")]
    Disk(std::io::Error),
    #[error("the save was cancelled")]
    Cancelled,
    /// No listed photo has that id (any more).
    #[error("no listed photo has that id")]
    NoSuchPhoto,
    /// Another original is being saved.
    #[error("another original is being saved")]
    Busy,
    /// The save dialog went away without an answer.
    #[error("the save dialog closed without an answer")]
    DialogGone,
    /// The save dialog answered with something that is not a path on this computer.
    #[error("the save dialog answered no path on this computer")]
    DialogPath,
}

impl SaveError {
    /// The connection's failure behind this one, if any (a grant that ended, say), for the
    /// connection to act on.
    pub fn connection_failure(&self) -> Option<&AppError> {
        match self {
            Self::Provider(error) => Some(error),
            _ => None,
        }
    }
}
