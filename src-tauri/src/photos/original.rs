//! Saving a photo's original to a file the person chose: the download goes through the
//! [`PhotoLibrary`] (the same session, token rules and address rules as the full image the
//! viewer shows) and is written piece by piece to a hidden temporary file beside the chosen one
//! ([`Replacement`]), which takes the chosen name only once every byte is on disk. A save that
//! is cancelled or fails removes its temporary file, so no partial file is ever left, and a file
//! already at that name stays as it was.
//!
//! Only the bytes of the photo API's answer reach the file: never a header, so never a token.
//! The name suggested in the save dialog is the service's title made safe for a file name
//! ([`suggested_file_name`]): server text is data.

use std::path::Path;
use std::time::{Duration, Instant};

use photolink_oauth::{Error as OAuthError, is_invisible};
use serde::Serialize;
use tokio::sync::watch;

use super::library::PhotoLibrary;
use crate::error::{AppError, SaveError};
use crate::sync::blocking;
use tauri_plugin_sign_in::atomic_file::Replacement;

/// The largest original saved: 4 GiB, far above any photo, so a server that never stops
/// sending cannot fill the disk.
pub const ORIGINAL_MAX_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// The longest suggested file name, in characters, extension included.
pub const FILE_NAME_MAX_CHARS: usize = 120;
/// The longest suggested file name in UTF-8 bytes, well within every file system's 255.
pub const FILE_NAME_MAX_BYTES: usize = 200;
/// The name suggested when the title leaves nothing usable.
const FALLBACK_STEM: &str = "Photo";
/// How often the window is told how far a save has come (and at the end).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// How far a save has come, as the window is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Bytes written so far.
    pub bytes: u64,
    /// The original's size, when the service announced it.
    pub total: Option<u64>,
}

/// The error of fetching the original, sorted: a refused address, or the service's failure.
fn download_failed(error: AppError) -> SaveError {
    match error {
        AppError::AddressRefused
        | AppError::OAuth(OAuthError::InsecureEndpoint { .. } | OAuthError::InvalidConfig(_)) => {
            SaveError::AddressRefused(error)
        }
        error => SaveError::Provider(error),
    }
}

/// A save in progress can be cancelled through this (see [`cancel_switch`]).
pub type CancelSwitch = watch::Sender<bool>;

/// A switch to cancel a save with, and the save's side of it.
pub fn cancel_switch() -> (CancelSwitch, watch::Receiver<bool>) {
    watch::channel(false)
}

/// Downloads the original of the photo `id` stands for into `path` (whose folder must exist),
/// telling `progress` how far it has come, until done, failed, or cancelled through
/// `cancelled`. Returns the bytes written. On any failure nothing is left at or beside `path`.
pub async fn save(
    library: &PhotoLibrary,
    id: &str,
    path: &Path,
    mut progress: impl FnMut(Progress),
    mut cancelled: watch::Receiver<bool>,
) -> Result<u64, SaveError> {
    let opened = tokio::select! {
        biased;
        () = until_cancelled(&mut cancelled) => return Err(SaveError::Cancelled),
        opened = library.download_original(id) => opened,
    };
    let mut download = opened
        .ok_or(SaveError::NoSuchPhoto)?
        .map_err(download_failed)?;
    let total = download.content_length();
    if total.is_some_and(|total| total > ORIGINAL_MAX_BYTES) {
        return Err(SaveError::TooLarge);
    }
    let mut file = Replacement::begin(path).map_err(SaveError::Disk)?;
    let mut written = 0u64;
    progress(Progress { bytes: 0, total });
    let mut told = Instant::now();
    let mut reported = 0u64;
    loop {
        let chunk = tokio::select! {
            biased;
            () = until_cancelled(&mut cancelled) => return Err(SaveError::Cancelled),
            chunk = download.next_chunk() => Some(chunk),
            // A download that pauses still shows how far it came, not the last report before.
            () = tokio::time::sleep_until((told + PROGRESS_EVERY).into()), if written > reported => None,
        };
        if let Some(chunk) = chunk {
            let Some(chunk) = chunk.map_err(|error| SaveError::Provider(error.into()))? else {
                break;
            };
            written += chunk.len() as u64;
            if written > ORIGINAL_MAX_BYTES {
                return Err(SaveError::TooLarge);
            }
            file.write(&chunk).map_err(SaveError::Disk)?;
        }
        if written > reported && told.elapsed() >= PROGRESS_EVERY {
            progress(Progress {
                bytes: written,
                total,
            });
            reported = written;
            told = Instant::now();
        }
    }
    // The last chance to cancel: after this the file is in place.
    if *cancelled.borrow() {
        return Err(SaveError::Cancelled);
    }
    // Syncing a large file to disk takes a while: off the async workers.
    blocking(move || file.commit())
        .await
        .map_err(SaveError::Disk)?;
    progress(Progress {
        bytes: written,
        total,
    });
    Ok(written)
}

/// Resolves once the switch is turned on; never, when its sender is gone without that.
async fn until_cancelled(cancelled: &mut watch::Receiver<bool>) {
    if cancelled.wait_for(|on| *on).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The extensions of the image types PhotoLink shows, and of the originals cameras and phones
/// make; a title ending in one keeps it.
const IMAGE_EXTENSIONS: [&str; 18] = [
    "jpg", "jpeg", "png", "gif", "webp", "avif", "bmp", "heic", "heif", "tif", "tiff", "dng",
    "raw", "cr2", "cr3", "nef", "arw", "orf",
];

/// The extension for an image's media type (`image/png` → `png`), when it is one PhotoLink
/// knows.
pub fn extension_of(media_type: &str) -> Option<&'static str> {
    let media_type = media_type.split(';').next()?.trim().to_ascii_lowercase();
    Some(match media_type.as_str() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/avif" => "avif",
        "image/bmp" => "bmp",
        "image/heic" => "heic",
        "image/heif" => "heif",
        "image/tiff" => "tif",
        _ => return None,
    })
}

/// The file name suggested for saving a photo titled `title` (the service's text), whose
/// image is of `media_type` when that is known: no path separators, no control or invisible
/// characters, none of the characters Windows forbids, no leading dot (a hidden file) and no
/// trailing dot or space, not a name Windows reserves for a device, at most
/// [`FILE_NAME_MAX_CHARS`] characters and [`FILE_NAME_MAX_BYTES`] bytes, and ending in an image extension: the title's own when
/// it has one, else the media type's.
pub fn suggested_file_name(title: &str, media_type: Option<&str>) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| {
            if is_invisible(c) {
                ' '
            } else if matches!(c, '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let (stem, extension) = match cleaned.rsplit_once('.') {
        Some((stem, extension))
            if IMAGE_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str()) =>
        {
            (stem, Some(extension.to_ascii_lowercase()))
        }
        _ => (cleaned.as_str(), None),
    };
    let extension = extension.or_else(|| media_type.and_then(extension_of).map(str::to_owned));
    let suffix = extension.as_ref().map_or(0, |e| e.len() + 1);
    let (mut chars, mut bytes) = (0, 0);
    let stem: String = stem
        .chars()
        .take_while(|c| {
            chars += 1;
            bytes += c.len_utf8();
            chars + suffix <= FILE_NAME_MAX_CHARS && bytes + suffix <= FILE_NAME_MAX_BYTES
        })
        .collect();
    let mut stem = stem.trim_matches(|c: char| c == '.' || c == ' ').to_owned();
    if stem.is_empty() {
        stem = FALLBACK_STEM.to_owned();
    }
    if is_reserved_on_windows(&stem) {
        stem.push('_');
    }
    match extension {
        Some(extension) => format!("{stem}.{extension}"),
        None => stem,
    }
}

/// Whether Windows keeps `stem` for a device (`CON`, `NUL`, `COM1`, …), in any letter case.
fn is_reserved_on_windows(stem: &str) -> bool {
    let upper = stem.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ["COM", "LPT"].iter().any(|device| {
            upper
                .strip_prefix(device)
                .is_some_and(|n| n.len() == 1 && n.as_bytes()[0].is_ascii_digit())
        })
}

#[cfg(test)]
mod tests;
