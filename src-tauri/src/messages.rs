//! Every sentence the window shows about PhotoLink's photos and saving them. The sign-in's sentences, and those
//! of a failed request to the photo API, are the sign-in plugin's.

use crate::error::{AppError, SaveError};

/// The sentence for a failure of the photo code, naming the provider in use.
pub fn app(error: &AppError, provider: &str) -> String {
    match error {
        AppError::UnreadableList(_) => {
            format!("{provider} sent a photo list PhotoLink could not read.")
        }
        AppError::NoPhotoApi => format!(
            "PhotoLink does not know where {provider} keeps your photos. Add the photo API to the provider settings and start PhotoLink again."
        ),
        AppError::Save(error) => save(error, provider),
        AppError::AddressRefused => format!(
            "{provider} named an address outside its photo service, so PhotoLink did not send your sign-in there."
        ),
        AppError::UnknownPageToken => {
            "That page of photos is no longer available. Try again.".into()
        }
        AppError::AccountChanged => "The account changed while its photos were loading.".into(),
        AppError::OAuth(error) => tauri_plugin_sign_in::sentence(error, provider),
    }
}

/// A save of an original that worked: `file_name` is the name the person chose.
pub fn original_saved(file_name: &str) -> String {
    format!("Saved {file_name}.")
}

/// Why an original was not saved; `provider` is the provider's display name. Every sentence
/// says that nothing was saved, since a failed save leaves no file behind.
pub fn save(error: &SaveError, provider: &str) -> String {
    use std::io::ErrorKind;
    match error {
        SaveError::AddressRefused(_) => format!(
            "The original was not saved: {provider} gave an address for it that PhotoLink does not download from."
        ),
        SaveError::Provider(error) => {
            format!("The original was not saved. {}", app(error, provider))
        }
        SaveError::TooLarge => format!(
            "The original was not saved: {provider} sent more than PhotoLink saves of one photo (4 GiB)."
        ),
        SaveError::Disk(error) => match error.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
                "The original was not saved: the disk is full. Free some space or choose another place, and try again.".into()
            }
            ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
                "The original was not saved: PhotoLink may not write in that folder. Choose another place and try again.".into()
            }
            _ => "The original was not saved: the file could not be written there. Choose another place and try again.".into(),
        },
        SaveError::Cancelled => "Saving was cancelled. Nothing was saved.".into(),
        SaveError::NoSuchPhoto => {
            "The original was not saved: that photo is no longer listed. Reopen it and try again."
                .into()
        }
        SaveError::Busy => {
            "Another original is being saved. Wait for it to finish, or cancel it.".into()
        }
        SaveError::DialogGone | SaveError::DialogPath => {
            "The original was not saved: PhotoLink could not use the save dialog.".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use photolink_oauth::Error as OAuthError;

    use super::*;

    const PROVIDER: &str = "Demo Photos";

    /// A list PhotoLink could not read, as the core reports a body that is not JSON.
    fn unreadable_list() -> AppError {
        AppError::UnreadableList(OAuthError::UnexpectedResponse {
            status: 200,
            detail: "not JSON".into(),
            retry_after: None,
        })
    }

    #[test]
    fn photo_errors_have_sentences_naming_the_provider() {
        assert_eq!(
            app(&unreadable_list(), "Demo Photos"),
            "Demo Photos sent a photo list PhotoLink could not read."
        );
        assert_eq!(
            app(&AppError::UnknownPageToken, "Demo Photos"),
            "That page of photos is no longer available. Try again."
        );
        // The sign-in plugin's sentence, which names the app once the plugin has started (not
        // in these tests).
        let network = AppError::OAuth(photolink_oauth::Error::Network("refused".into()));
        assert_eq!(
            app(&network, "Demo Photos"),
            tauri_plugin_sign_in::sentence(
                &photolink_oauth::Error::Network("refused".into()),
                "Demo Photos"
            )
        );
        assert!(
            app(&network, "Demo Photos")
                .ends_with("could not reach Demo Photos. Check your connection and try again."),
        );
    }

    #[test]
    fn a_refused_address_and_an_unreadable_list_are_told_apart() {
        let refused = AppError::AddressRefused;
        let unreadable = unreadable_list();
        assert_ne!(refused.to_string(), unreadable.to_string());
        assert_eq!(
            app(&refused, PROVIDER),
            "Demo Photos named an address outside its photo service, so PhotoLink did not send your sign-in there."
        );
        assert_eq!(
            app(&unreadable, PROVIDER),
            "Demo Photos sent a photo list PhotoLink could not read."
        );
        assert_ne!(
            app(&AppError::NoPhotoApi, PROVIDER),
            app(&unreadable, PROVIDER)
        );
    }

    #[test]
    fn every_failed_save_has_its_own_sentence_and_quotes_nothing() {
        use std::io::{Error, ErrorKind};
        let hostile = "access_token=leaked <script>";
        let errors = [
            SaveError::AddressRefused(AppError::AddressRefused),
            SaveError::Provider(AppError::OAuth(OAuthError::UnexpectedResponse {
                status: 503,
                detail: hostile.into(),
                retry_after: None,
            })),
            SaveError::TooLarge,
            SaveError::Disk(Error::new(ErrorKind::StorageFull, hostile)),
            SaveError::Disk(Error::new(ErrorKind::PermissionDenied, hostile)),
            SaveError::Disk(Error::other(hostile)),
            SaveError::Cancelled,
            SaveError::NoSuchPhoto,
            SaveError::Busy,
            SaveError::DialogGone,
        ];
        let sentences: Vec<_> = errors.iter().map(|e| save(e, PROVIDER)).collect();
        for (error, sentence) in errors.iter().zip(&sentences) {
            assert!(!sentence.contains("leaked"), "{error:?} → {sentence}");
            assert!(sentence.ends_with('.'), "{sentence}");
        }
        let distinct: std::collections::HashSet<_> = sentences.iter().collect();
        assert_eq!(distinct.len(), sentences.len(), "{sentences:#?}");
        assert_eq!(
            sentences[1],
            "The original was not saved. Demo Photos had a problem (HTTP 503). Try again later."
        );
        assert_eq!(
            sentences[3],
            "The original was not saved: the disk is full. Free some space or choose another place, and try again."
        );
        assert_eq!(sentences[6], "Saving was cancelled. Nothing was saved.");
    }
}
