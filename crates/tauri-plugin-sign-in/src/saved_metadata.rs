//! The configured provider's endpoints as last discovered, so that the app starts, and shows
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
//! The endpoints receive the tokens (the refresh token at the token endpoint, the access token
//! at userinfo), so the file must say only what discovery said. It is sealed with an
//! HMAC-SHA256 under a random key kept in the OS keyring ([`KEY_ACCOUNT`]), which no file
//! holds: a document edited on disk, one copied from another computer, or one whose key is
//! gone is no document. An authentic document must then pass the core's check of a discovered
//! one ([`ServerMetadata::check_for`]: the configured issuer, or with a configured template
//! its tenants, and the https rule), so a saved `{tenantid}` issuer never widens a
//! single-tenant configuration. A rejected file is as no file: start-up says the provider
//! cannot be reached. Each discovery replaces the file; it holds no secret.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use photolink_oauth::{IssuerTemplate, ServerMetadata};
use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::atomic_file::replace_file;
use crate::store::SecretEntry;

/// The file in the app's data folder.
pub const FILE_NAME: &str = "provider-metadata.json";
/// The file of one provider: [`FILE_NAME`] for the provider of a file that has one (`None`),
/// else a name of its own made from the provider's `key` (hashed: the key is any text).
pub fn file_name(key: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    match key {
        None => FILE_NAME.to_owned(),
        Some(key) => {
            let hash = Sha256::digest(key.as_bytes());
            let short: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
            format!("provider-metadata-{short}.json")
        }
    }
}

/// Keyring user name of the key that seals the file.
pub const KEY_ACCOUNT: &str = "provider-metadata-key";
/// The key's length in bytes: the hash's output length, the least RFC 2104 recommends.
const KEY_BYTES: usize = 32;
/// Larger files are not read: a discovery document is a few KiB.
const MAX_FILE_BYTES: u64 = 256 * 1024;
/// Put before the document in the MAC, so that the key authenticates nothing else.
const MAC_CONTEXT: &[u8] = b"photolink provider metadata v1\0";

/// The last discovered metadata of the configured provider. Cheap to clone; blocking calls
/// (the file and the keyring).
#[derive(Clone)]
pub struct SavedMetadata {
    path: PathBuf,
    key: Arc<dyn SecretEntry>,
}

/// What the file holds: the document and its seal.
#[derive(Serialize, Deserialize)]
struct Sealed {
    /// [`Saved`] as JSON text, exactly the bytes the MAC covers.
    document: String,
    /// HMAC-SHA256 of [`MAC_CONTEXT`] and `document`, base64url.
    mac: String,
}

/// The sealed document.
#[derive(Serialize, Deserialize)]
struct Saved {
    /// The issuer as `provider.toml` names it (the document may spell it as a template).
    configured_issuer: String,
    metadata: ServerMetadata,
}

impl SavedMetadata {
    /// Metadata kept in the file at `path` (created by the first [`save`](Self::save)), sealed
    /// with the key in the keyring entry `key`.
    pub fn at(path: PathBuf, key: Arc<dyn SecretEntry>) -> Self {
        Self { path, key }
    }

    /// The saved document for `configured_issuer` and its `template`; `None` when there is
    /// none, or it is damaged, unsealed or sealed with another key, saved for another issuer,
    /// or refused by the check of a discovered document.
    pub fn load(
        &self,
        configured_issuer: &str,
        template: Option<&IssuerTemplate>,
    ) -> Option<ServerMetadata> {
        let bytes = read_capped(&self.path)?;
        let sealed: Sealed = serde_json::from_slice(&bytes).ok()?;
        let key = match self.key.read() {
            Ok(Some(text)) => key_from_text(&text)?,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(%error, "could not read the key of the saved provider endpoints");
                return None;
            }
        };
        let mac = URL_SAFE_NO_PAD.decode(&sealed.mac).ok()?;
        if hmac::verify(&key, &mac_input(&sealed.document), &mac).is_err() {
            tracing::warn!(
                "the saved provider endpoints were changed outside the app; ignoring them"
            );
            return None;
        }
        let saved: Saved = serde_json::from_str(&sealed.document).ok()?;
        if saved.configured_issuer != configured_issuer {
            return None;
        }
        match saved.metadata.check_for(configured_issuer, template) {
            Ok(()) => Some(saved.metadata),
            Err(error) => {
                tracing::warn!(%error, "the saved provider endpoints are refused; ignoring them");
                None
            }
        }
    }

    /// Keeps `metadata`, just discovered for `configured_issuer`, replacing what was saved.
    /// Best effort: without it only an offline start-up is lost, so a failure is logged.
    pub fn save(&self, configured_issuer: &str, metadata: &ServerMetadata) {
        let saved = Saved {
            configured_issuer: configured_issuer.to_owned(),
            metadata: metadata.clone(),
        };
        let written = self
            .key_for_saving()
            .and_then(|key| {
                let document = serde_json::to_string(&saved).map_err(std::io::Error::other)?;
                let mac = hmac::sign(&key, &mac_input(&document));
                let sealed = Sealed {
                    mac: URL_SAFE_NO_PAD.encode(mac.as_ref()),
                    document,
                };
                serde_json::to_vec_pretty(&sealed).map_err(std::io::Error::other)
            })
            .and_then(|json| replace_file(&self.path, &json));
        if let Err(error) = written {
            tracing::warn!(%error, "could not keep the provider's endpoints for offline start-ups");
        }
    }

    /// The sealing key, made and kept in the keyring when there is none yet (or it is damaged).
    fn key_for_saving(&self) -> std::io::Result<hmac::Key> {
        if let Some(key) = self
            .key
            .read()
            .map_err(std::io::Error::other)?
            .as_deref()
            .and_then(key_from_text)
        {
            return Ok(key);
        }
        let bytes: [u8; KEY_BYTES] = rand::random();
        self.key
            .write(&URL_SAFE_NO_PAD.encode(bytes))
            .map_err(std::io::Error::other)?;
        Ok(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
    }
}

/// The key in a keyring entry's text; `None` when the text is not one.
fn key_from_text(text: &str) -> Option<hmac::Key> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    (bytes.len() == KEY_BYTES).then(|| hmac::Key::new(hmac::HMAC_SHA256, &bytes))
}

fn mac_input(document: &str) -> Vec<u8> {
    [MAC_CONTEXT, document.as_bytes()].concat()
}

/// The file's bytes, unless it is missing, unreadable or larger than [`MAX_FILE_BYTES`].
fn read_capped(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    (bytes.len() as u64 <= MAX_FILE_BYTES).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NamedEntries;
    use crate::store::fakes::{CredentialManagerStandIn, FakeEntry};

    const ISSUER: &str = "https://id.example.com";

    #[test]
    fn each_provider_of_several_has_a_file_of_its_own_and_one_provider_the_usual_one() {
        assert_eq!(file_name(None), FILE_NAME);
        let work = file_name(Some("work"));
        assert_eq!(work, file_name(Some("work")), "the same key, the same file");
        assert_ne!(work, file_name(Some("Work Photos")));
        assert_ne!(work, FILE_NAME);
        let weird = file_name(Some("../a key/with \\ anything"));
        assert!(
            weird.starts_with("provider-metadata-")
                && weird.ends_with(".json")
                && !weird.contains(['/', '\\', ' ']),
            "{weird}"
        );
    }

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
        let mut metadata = ServerMetadata::new(
            ISSUER,
            "https://id.example.com/authorize",
            "https://id.example.com/token",
        );
        metadata.userinfo_endpoint = Some("https://id.example.com/userinfo".into());
        metadata
    }

    /// Saved metadata in a fresh folder, with its key entry.
    fn saved_in(dir: &Path) -> (SavedMetadata, FakeEntry) {
        let key = FakeEntry::default();
        (
            SavedMetadata::at(dir.join(FILE_NAME), Arc::new(key.clone())),
            key,
        )
    }

    /// The file as someone with access to the folder but not the keyring edits it.
    fn edit_file(path: &Path, from: &str, to: &str) {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains(from), "{from} is not in {text}");
        std::fs::write(path, text.replace(from, to)).unwrap();
    }

    /// A file sealed with the right key around a document the app would never have saved.
    fn seal(saved: &SavedMetadata, configured_issuer: &str, metadata: ServerMetadata) {
        let key = saved.key_for_saving().unwrap();
        let document = serde_json::to_string(&Saved {
            configured_issuer: configured_issuer.into(),
            metadata,
        })
        .unwrap();
        let mac = hmac::sign(&key, &mac_input(&document));
        let sealed = Sealed {
            mac: URL_SAFE_NO_PAD.encode(mac.as_ref()),
            document,
        };
        std::fs::write(&saved.path, serde_json::to_vec(&sealed).unwrap()).unwrap();
    }

    #[test]
    fn the_sealing_key_fits_a_credential_manager_entry() {
        // The stand-in refuses a write past Windows' limits, as Credential Manager does.
        let keyring = CredentialManagerStandIn::default();
        let saved = SavedMetadata::at(
            folder().join(FILE_NAME),
            Arc::from(keyring.entry(KEY_ACCOUNT)),
        );

        saved.key_for_saving().unwrap();

        assert_eq!(keyring.names(), [KEY_ACCOUNT]);
    }

    #[test]
    fn saved_metadata_comes_back_for_the_same_issuer_only() {
        let dir = folder();
        let (saved, key) = saved_in(&dir);
        assert_eq!(saved.load(ISSUER, None), None, "nothing saved yet");

        saved.save(ISSUER, &metadata());

        assert_eq!(saved.load(ISSUER, None), Some(metadata()));
        assert_eq!(saved.load("https://other.example.com", None), None);
        let file = std::fs::read_to_string(dir.join(FILE_NAME)).unwrap();
        let key = key.text().expect("the key is in the keyring");
        assert!(!file.contains(&key), "the key is not in the file");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_damaged_file_is_no_metadata_and_the_next_save_replaces_it() {
        let dir = folder();
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, b"{\"configured_issuer\": \"https://id.exa").unwrap();
        let (saved, _) = saved_in(&dir);
        assert_eq!(saved.load(ISSUER, None), None);

        saved.save(ISSUER, &metadata());

        assert_eq!(saved.load(ISSUER, None), Some(metadata()));
        assert!(!dir.join(format!("{FILE_NAME}.new")).exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_endpoint_moved_to_another_host_in_the_file_is_ignored() {
        let dir = folder();
        let (saved, _) = saved_in(&dir);
        saved.save(ISSUER, &metadata());
        for (from, to) in [
            ("https://id.example.com/token", "https://evil.example/token"),
            (
                "https://id.example.com/userinfo",
                "https://evil.example/userinfo",
            ),
        ] {
            saved.save(ISSUER, &metadata());
            edit_file(&dir.join(FILE_NAME), from, to);
            assert_eq!(saved.load(ISSUER, None), None, "{to} was used");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_issuer_changed_in_the_file_is_ignored() {
        let dir = folder();
        let (saved, _) = saved_in(&dir);
        saved.save(ISSUER, &metadata());
        edit_file(&dir.join(FILE_NAME), ISSUER, "https://evil.example");
        assert_eq!(saved.load("https://evil.example", None), None);
        assert_eq!(saved.load(ISSUER, None), None);

        // Sealed with the right key, a document naming another issuer is still refused.
        let mut other = metadata();
        other.issuer = "https://evil.example".into();
        seal(&saved, ISSUER, other);
        assert_eq!(saved.load(ISSUER, None), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_saved_template_never_widens_a_single_tenant_configuration() {
        let dir = folder();
        let (saved, _) = saved_in(&dir);
        let single = "https://login.example.com/contoso/v2.0";
        let template = "https://login.example.com/{tenantid}/v2.0";
        let mut widened = ServerMetadata::new(
            template,
            "https://login.example.com/contoso/oauth2/v2.0/authorize",
            "https://login.example.com/contoso/oauth2/v2.0/token",
        );
        seal(&saved, single, widened.clone());
        assert_eq!(saved.load(single, None), None, "no template is configured");

        let configured = IssuerTemplate::new(template, "{tenantid}", "tid").unwrap();
        assert_eq!(
            saved.load(single, Some(&configured)),
            Some(widened.clone()),
            "with the template configured, the multi-tenant document is the one discovery takes"
        );

        widened.issuer = single.into();
        widened.token_endpoint = "http://login.example.com/token".into();
        seal(&saved, single, widened);
        assert_eq!(saved.load(single, None), None, "the https rule applies too");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_whose_key_is_gone_or_replaced_is_ignored() {
        let dir = folder();
        let (saved, key) = saved_in(&dir);
        saved.save(ISSUER, &metadata());
        let file = std::fs::read(dir.join(FILE_NAME)).unwrap();

        key.delete().unwrap();
        assert_eq!(saved.load(ISSUER, None), None, "no key");
        key.fail_reads
            .store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(
            saved.load(ISSUER, None),
            None,
            "a keyring that cannot be read"
        );
        key.fail_reads
            .store(false, std::sync::atomic::Ordering::SeqCst);

        saved.save(ISSUER, &metadata());
        assert_eq!(saved.load(ISSUER, None), Some(metadata()), "a new key");
        std::fs::write(dir.join(FILE_NAME), file).unwrap();
        assert_eq!(saved.load(ISSUER, None), None, "sealed with the old key");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_from_before_it_was_sealed_is_ignored() {
        let dir = folder();
        let (saved, _) = saved_in(&dir);
        saved.save(ISSUER, &metadata());
        let unsealed = serde_json::to_vec(&Saved {
            configured_issuer: ISSUER.into(),
            metadata: metadata(),
        })
        .unwrap();
        std::fs::write(dir.join(FILE_NAME), unsealed).unwrap();
        assert_eq!(saved.load(ISSUER, None), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_sealed_file_past_the_size_cap_is_not_read() {
        let dir = folder();
        let (saved, _) = saved_in(&dir);
        let mut large = metadata();
        large.scopes_supported = vec!["s".repeat(1024); 300];
        saved.save(ISSUER, &large);
        let size = std::fs::metadata(dir.join(FILE_NAME)).unwrap().len();
        assert!(size > MAX_FILE_BYTES, "{size}");
        assert_eq!(saved.load(ISSUER, None), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn nothing_is_saved_while_the_keyring_refuses_the_key() {
        let dir = folder();
        let (saved, key) = saved_in(&dir);
        key.fail_writes
            .store(true, std::sync::atomic::Ordering::SeqCst);
        saved.save(ISSUER, &metadata());
        assert!(!dir.join(FILE_NAME).exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Any bytes in the file: no panic, and nothing comes back that was not sealed.
            #[test]
            fn any_file_gives_no_metadata(
                bytes in proptest::collection::vec(any::<u8>(), 0..2048),
            ) {
                let dir = folder();
                let (saved, _) = saved_in(&dir);
                saved.save(ISSUER, &metadata());
                std::fs::write(dir.join(FILE_NAME), &bytes).unwrap();
                prop_assert_eq!(saved.load(ISSUER, None), None);
                std::fs::remove_dir_all(dir).unwrap();
            }

            /// Any change of one byte of a sealed file makes it no metadata (or, where JSON
            /// reads it the same, the same metadata), never other metadata.
            #[test]
            fn a_sealed_file_with_a_byte_changed_is_never_other_metadata(
                at in any::<prop::sample::Index>(),
                value in any::<u8>(),
            ) {
                let dir = folder();
                let (saved, _) = saved_in(&dir);
                saved.save(ISSUER, &metadata());
                let mut bytes = std::fs::read(dir.join(FILE_NAME)).unwrap();
                let at = at.index(bytes.len());
                bytes[at] = value;
                std::fs::write(dir.join(FILE_NAME), &bytes).unwrap();
                let loaded = saved.load(ISSUER, None);
                prop_assert!(loaded.is_none() || loaded == Some(metadata()), "{:?}", loaded);
                std::fs::remove_dir_all(dir).unwrap();
            }

            /// Any key entry text (full range of characters, past the key's length).
            #[test]
            fn any_key_entry_is_a_key_of_32_bytes_or_none(text in "\\PC{0,80}") {
                let decoded = URL_SAFE_NO_PAD.decode(&text).ok();
                let expected = decoded.is_some_and(|bytes| bytes.len() == KEY_BYTES);
                prop_assert_eq!(key_from_text(&text).is_some(), expected);
            }

            /// Saving then loading gives the document back, whatever its text fields hold.
            #[test]
            fn a_saved_document_round_trips(
                path in "[\\x00-\\u{10FFFF}]{0,40}",
                scopes in proptest::collection::vec(any::<String>(), 0..4),
            ) {
                let dir = folder();
                let (saved, _) = saved_in(&dir);
                let mut document = metadata();
                document.token_endpoint = format!("https://id.example.com/{}", urlencoded(&path));
                document.scopes_supported = scopes;
                saved.save(ISSUER, &document);
                prop_assert_eq!(saved.load(ISSUER, None), Some(document));
                std::fs::remove_dir_all(dir).unwrap();
            }
        }

        fn urlencoded(text: &str) -> String {
            url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
        }
    }
}
