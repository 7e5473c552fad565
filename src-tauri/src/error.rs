//! Errors of the app shell. `Display` is a sentence for people; commands send it to the window
//! as a plain string (never a secret: the OAuth core's messages carry none).

use serde::{Serialize, Serializer};

use crate::config::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} Fix the file and start PhotoLink again.")]
    Config(#[from] ConfigError),
    #[error("The built-in Demo Photos provider could not start: {0}")]
    DemoProvider(#[from] photolink_demo_provider::Error),
    #[error(transparent)]
    OAuth(#[from] photolink_oauth::Error),
    #[error("PhotoLink could not find its {0} folder.")]
    MissingDirectory(&'static str),
    #[error("The photo service sent a photo list PhotoLink could not read ({0}).")]
    PhotoList(String),
    #[error("No sign-in is waiting for your browser.")]
    NotWaiting,
    #[error("The link could not be copied: {0}")]
    Clipboard(String),
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

impl Serialize for AppError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
