//! The configured provider's endpoints as last discovered, so that PhotoLink starts, and shows
//! the saved gallery, while the provider cannot be reached (a laptop offline on a train).
//!
//! Discovery (RFC 8414 / OpenID) needs the network. After each successful discovery the
//! document is written to [`FILE_NAME`] in the app's data folder, together with the configured
//! issuer it answers for. When a later start-up cannot reach the provider at all
//! ([`photolink_oauth::Error::Network`]), the saved document for the same configured issuer
//! stands in: the saved connection opens, the photo list answers from its cache with
//! `offline: true`, and the first request that reaches the provider again works as usual. Any
//! other discovery failure (a missing or wrong document, another issuer) is never papered over.
//!
//! # Why a file may decide the endpoints
//!
//! The file sits in the same user's folders as `provider.toml`, which already names the issuer
//! and may name every endpoint itself; whoever can change one can change the other. The core
//! validates a saved document like a discovered one (the https rule, its issuer), and each
//! discovery replaces it. It holds no secret.

use std::path::{Path, PathBuf};

use photolink_oauth::ServerMetadata;
use serde::{Deserialize, Serialize};

/// The file in the app's data folder.
pub const FILE_NAME: &str = "provider-metadata.json";

/// The last discovered metadata of the configured provider.
pub struct SavedMetadata {
    path: PathBuf,
}

/// What the file holds.
#[derive(Serialize, Deserialize)]
struct Saved {
    /// The issuer as `provider.toml` names it (the document may spell it as a template).
    configured_issuer: String,
    metadata: ServerMetadata,
}

impl SavedMetadata {
    /// Metadata kept in the file at `path` (created by the first [`save`](Self::save)).
    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    /// The saved document for `configured_issuer`; `None` when there is none, it is damaged,
    /// or it was saved for another issuer.
    pub fn load(&self, configured_issuer: &str) -> Option<ServerMetadata> {
        let bytes = std::fs::read(&self.path).ok()?;
        let saved: Saved = serde_json::from_slice(&bytes).ok()?;
        (saved.configured_issuer == configured_issuer).then_some(saved.metadata)
    }

    /// Keeps `metadata`, just discovered for `configured_issuer`, replacing what was saved.
    /// Best effort: without it only an offline start-up is lost, so a failure is logged.
    pub fn save(&self, configured_issuer: &str, metadata: &ServerMetadata) {
        let saved = Saved {
            configured_issuer: configured_issuer.to_owned(),
            metadata: metadata.clone(),
        };
        let written = serde_json::to_vec_pretty(&saved)
            .map_err(std::io::Error::other)
            .and_then(|json| replace_file(&self.path, &json));
        if let Err(error) = written {
            tracing::warn!(%error, "could not keep the provider's endpoints for offline start-ups");
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so that a
/// reader sees the old file or the new one, never half of one.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension("json.new");
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://id.example.com";

    fn folder() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "photolink-saved-metadata-{}-{:x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn metadata() -> ServerMetadata {
        ServerMetadata::new(
            ISSUER,
            "https://id.example.com/authorize",
            "https://id.example.com/token",
        )
    }

    #[test]
    fn saved_metadata_comes_back_for_the_same_issuer_only() {
        let dir = folder();
        let saved = SavedMetadata::at(dir.join(FILE_NAME));
        assert_eq!(saved.load(ISSUER), None, "nothing saved yet");

        saved.save(ISSUER, &metadata());

        assert_eq!(saved.load(ISSUER), Some(metadata()));
        assert_eq!(saved.load("https://other.example.com"), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_damaged_file_is_no_metadata_and_the_next_save_replaces_it() {
        let dir = folder();
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, b"{\"configured_issuer\": \"https://id.exa").unwrap();
        let saved = SavedMetadata::at(path.clone());
        assert_eq!(saved.load(ISSUER), None);

        saved.save(ISSUER, &metadata());

        assert_eq!(saved.load(ISSUER), Some(metadata()));
        assert!(!path.with_extension("json.new").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
