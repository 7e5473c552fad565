//! Every sentence the window shows about PhotoLink's photos and saving them. The sign-in's sentences, and those
//! of a failed request to the photo API, are the sign-in plugin's.

use crate::error::{AppError, SaveError};

/// The sentence for a failure of the photo code, naming the provider in use.
pub fn app(error: &AppError, provider: &str) -> String {
    match error {
        AppError::UnreadableList(_) => {
            format!("{provider} sent a photo list PhotoLink could not read.")
        }
        AppError::UnusableAnswer(_) => {
            format!("{provider} sent an answer PhotoLink could not use. Try again later.")
        }
        AppError::ChosenNotKept => {
            "PhotoLink could not keep the photos you chose on this computer. Check that the disk has room, then choose again.".into()
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

/// What the Google Photos Picker means, above the gallery of the photos chosen.
pub fn picker_explanation(chosen: usize) -> String {
    let what = "PhotoLink sees only the photos you choose in Google Photos, never the rest of your library.";
    if chosen == 0 {
        format!(
            "{what} Choose photos… opens Google Photos in your browser: pick photos there and press Done."
        )
    } else {
        format!("{what} Choose photos… again to add more: the ones you pick are added to these.")
    }
}

/// The photos chosen were listed more than 60 minutes ago: Google's links to them have expired.
pub fn picker_links_expired() -> String {
    "Google Photos lets PhotoLink load these photos for 60 minutes after you choose them. The saved thumbnails still show; to see a photo in full, choose it again (Choose photos… adds to these, it removes nothing).".into()
}

/// The picker is open in the browser; choosing ends after `timeout_seconds`.
pub fn picker_waiting(timeout_seconds: u64) -> String {
    let minutes = timeout_seconds.div_ceil(60);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!(
        "Choose photos in the Google Photos page that opened in your browser, then press Done. This ends in {minutes} {unit} if nothing is chosen."
    )
}

pub const PICKER_READING: &str = "Reading the photos you chose…";
pub const PICKER_ENDED: &str = "Choosing photos ended before you pressed Done in Google Photos. Choose photos… to start again.";
pub const PICKER_NO_BROWSER: &str = "PhotoLink could not open your browser to choose photos.";
pub const PICKER_BUSY: &str =
    "Photos are already being chosen in your browser. Press Done there, or wait for it to end.";

/// Choosing ended with `picked` photos, `added` of them new to the gallery.
pub fn picker_added(picked: usize, added: usize) -> String {
    let photos = |n: usize| if n == 1 { "photo" } else { "photos" };
    match (picked, added) {
        (0, _) => "No photos were chosen.".into(),
        (picked, added) if added == picked => format!("Added {added} {}.", photos(added)),
        (picked, added) => format!(
            "Added {added} {} ({} already here).",
            photos(added),
            picked - added
        ),
    }
}

#[cfg(test)]
mod tests {
    use photolink_oauth::{Error as OAuthError, NetworkFailure, ResponseProblem};

    use super::*;

    const PROVIDER: &str = "Demo Photos";

    /// A list PhotoLink could not read, as the core reports a body that is not JSON.
    fn unreadable_list() -> AppError {
        AppError::UnreadableList(OAuthError::UnexpectedResponse {
            status: 200,
            detail: ResponseProblem::MalformedJson,
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
        let network = AppError::OAuth(photolink_oauth::Error::Network(
            NetworkFailure::CouldNotConnect,
        ));
        assert_eq!(
            app(&network, "Demo Photos"),
            tauri_plugin_sign_in::sentence(
                &photolink_oauth::Error::Network(NetworkFailure::CouldNotConnect),
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
                detail: ResponseProblem::ProblemReport {
                    title: None,
                    detail: None,
                },
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

    #[test]
    fn choosing_photos_says_what_the_picker_means_what_was_added_and_when_it_ends() {
        assert!(picker_explanation(0).contains("only the photos you choose"));
        assert!(picker_explanation(3).contains("added to these"));
        assert!(picker_links_expired().contains("60 minutes"));
        assert!(picker_links_expired().contains("adds to these"));
        assert!(picker_waiting(1800).ends_with("This ends in 30 minutes if nothing is chosen."));
        assert!(picker_waiting(10).contains("ends in 1 minute "));
        assert_eq!(picker_added(3, 3), "Added 3 photos.");
        assert_eq!(picker_added(1, 1), "Added 1 photo.");
        assert_eq!(picker_added(3, 1), "Added 1 photo (2 already here).");
        assert_eq!(picker_added(0, 0), "No photos were chosen.");
    }
}
