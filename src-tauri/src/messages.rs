//! Every sentence the window shows about PhotoLink's photos. The sign-in's sentences, and those
//! of a failed request to the photo API, are the sign-in plugin's.

use crate::error::AppError;

/// The sentence for a failure of the photo code, naming the provider in use.
pub fn app(error: &AppError, provider: &str) -> String {
    match error {
        AppError::PhotoList(_) => format!("{provider} sent a photo list PhotoLink could not read."),
        AppError::UnknownPageToken => {
            "That page of photos is no longer available. Try again.".into()
        }
        AppError::AccountChanged => "The account changed while its photos were loading.".into(),
        AppError::OAuth(error) => tauri_plugin_sign_in::sentence(error, provider),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_errors_have_sentences_naming_the_provider() {
        assert_eq!(
            app(&AppError::PhotoList("not json".into()), "Demo Photos"),
            "Demo Photos sent a photo list PhotoLink could not read."
        );
        assert_eq!(
            app(&AppError::UnknownPageToken, "Demo Photos"),
            "That page of photos is no longer available. Try again."
        );
        let network = AppError::OAuth(photolink_oauth::Error::Network("refused".into()));
        assert_eq!(
            app(&network, "Demo Photos"),
            "PhotoLink could not reach Demo Photos. Check your connection and try again."
        );
    }
}
