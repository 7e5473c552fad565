//! Provider presets: `preset = "microsoft"`, `"google"` or `"google-photos"` in `provider.toml` fills in
//! what that provider needs, so that a person only gives the client id they registered (and,
//! for Google, the client secret Google issues to desktop clients).
//!
//! # What each preset writes
//!
//! A preset is `provider.toml` text ([`MICROSOFT`], [`GOOGLE`], [`GOOGLE_PHOTOS`]); `docs/providers.md` shows the
//! same text. Nothing here reaches the OAuth core as a provider name: a preset only fills in
//! ordinary fields, and the Microsoft preset's multi-tenant issuer reaches the core as an
//! `issuer_template`, a rule that any provider may use.
//!
//! # How a preset applies ([`read`])
//!
//! 1. The file is parsed as TOML; syntax errors keep their line. A preset applies to the
//!    fields of one provider: the whole file, or one `[[providers]]` table.
//! 2. When it names a known preset, `{tenant}` in the preset's text becomes the file's
//!    `tenant` (`common` when absent). A tenant that is not a plain name leaves the preset
//!    out, so the `tenant` line itself is reported.
//! 3. Every field of the preset that the file does not give is added; `[authorize_params]`
//!    is merged name by name. **A field the file gives always wins**, even an empty list.
//! 4. The whole is read as if the person had written it: an error in the person's own text
//!    names its line, one in a preset's value names the `preset` line.
//!
//! Checks that need the whole settings (a preset's required fields, `tenant` without a preset
//! that has tenants) are in `ProviderConfig::validate`.

use std::ops::Range;

use serde::{Deserialize, Deserializer};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The tenant the Microsoft preset signs in when the file names none: any work, school or
/// personal Microsoft account.
const DEFAULT_TENANT: &str = "common";

/// The Microsoft identity platform (v2.0 endpoints) for OneDrive through Microsoft Graph. A
/// public client with PKCE and a loopback redirect (the "Mobile and desktop applications"
/// platform matches `http://127.0.0.1/oauth/callback` on any port). `openid`, `profile` and
/// `email` give the account's name in the window and an ID token whose `iss`/`tid` pair is
/// checked against the issuer template; `offline_access` gives a refresh token.
pub const MICROSOFT: &str = r#"
name = "Microsoft OneDrive"
issuer = "https://login.microsoftonline.com/{tenant}/v2.0"
issuer_template = "https://login.microsoftonline.com/{tenantid}/v2.0"
redirect = "loopback"
scopes = ["openid", "profile", "email", "offline_access", "Files.Read", "User.Read"]
photo_api = "microsoft-graph"
photos_endpoint = "https://graph.microsoft.com/v1.0"
"#;

/// Google, for Google Drive. Google's desktop clients accept only loopback redirects; its
/// token endpoint wants the client secret it issues to each desktop client (which Google
/// itself says is not confidential for installed apps); `access_type=offline` and
/// `prompt=consent` make it issue a refresh token every time.
pub const GOOGLE: &str = r#"
name = "Google Drive"
issuer = "https://accounts.google.com"
redirect = "loopback"
scopes = ["openid", "email", "profile", "https://www.googleapis.com/auth/drive.readonly"]
photo_api = "google-drive"
photos_endpoint = "https://www.googleapis.com/drive/v3"

[authorize_params]
access_type = "offline"
prompt = "consent"
"#;

/// Google, for the photos a person chooses in Google Photos through the Picker API (the only
/// Google Photos API that reads a person's library since 2025). Signed in as [`GOOGLE`] is,
/// with the Picker's one scope instead of Drive's.
pub const GOOGLE_PHOTOS: &str = r#"
name = "Google Photos"
issuer = "https://accounts.google.com"
redirect = "loopback"
scopes = ["openid", "email", "profile", "https://www.googleapis.com/auth/photospicker.mediaitems.readonly"]
photo_api = "google-photos-picker"
photos_endpoint = "https://photospicker.googleapis.com/v1"

[authorize_params]
access_type = "offline"
prompt = "consent"
"#;

/// The `preset` field: a provider whose settings the plugin knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// [`MICROSOFT`].
    Microsoft,
    /// [`GOOGLE`].
    Google,
    /// [`GOOGLE_PHOTOS`].
    GooglePhotos,
}

impl Preset {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "microsoft" => Some(Self::Microsoft),
            "google" => Some(Self::Google),
            "google-photos" => Some(Self::GooglePhotos),
            _ => None,
        }
    }

    /// The name written in `provider.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Microsoft => "microsoft",
            Self::Google => "google",
            Self::GooglePhotos => "google-photos",
        }
    }

    /// Whether the provider has tenants (the `tenant` field applies).
    pub fn has_tenants(self) -> bool {
        matches!(self, Self::Microsoft)
    }

    /// Whether the provider needs the client secret it issued (the file must give it).
    pub fn requires_client_secret(self) -> bool {
        matches!(self, Self::Google | Self::GooglePhotos)
    }

    /// The preset's fields as `provider.toml` text, for `tenant`.
    fn text(self, tenant: &str) -> String {
        match self {
            Self::Microsoft => MICROSOFT.replace("{tenant}", tenant),
            Self::Google => GOOGLE.to_owned(),
            Self::GooglePhotos => GOOGLE_PHOTOS.to_owned(),
        }
    }
}

impl<'de> Deserialize<'de> for Preset {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::from_name(&String::deserialize(deserializer)?).ok_or_else(|| {
            serde::de::Error::custom(
                "the field `preset` must be \"microsoft\" or \"google\", or \"google-photos\"",
            )
        })
    }
}

/// Reads the `tenant` field: `common`, `organizations`, `consumers`, a tenant id or a verified
/// domain name; it becomes one path segment of the issuer, so only a plain name is taken.
pub fn tenant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let tenant = String::deserialize(deserializer)?;
    if is_plain_tenant(&tenant) {
        Ok(Some(tenant))
    } else {
        Err(serde::de::Error::custom(
            "the field `tenant` must be \"common\", \"organizations\", \"consumers\", a tenant id or a domain name",
        ))
    }
}

/// Letters, digits, `-` and single inner dots; at most a domain name's length.
fn is_plain_tenant(tenant: &str) -> bool {
    (1..=253).contains(&tenant.len())
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !tenant.starts_with('.')
        && !tenant.ends_with('.')
        && !tenant.contains("..")
}

/// Applies the preset of one provider's fields (the whole file, or one `[[providers]]` table;
/// see the module documentation) and hands the whole to `read`.
pub fn read<T>(
    root: Spanned<DeTable<'_>>,
    read: impl FnOnce(Spanned<DeTable<'_>>) -> Result<T, toml::de::Error>,
) -> Result<T, toml::de::Error> {
    let Some((preset, at)) = named_preset(root.get_ref()) else {
        return read(root);
    };
    let tenant = match root.get_ref().get("tenant").map(|t| t.get_ref().as_str()) {
        None => Some(DEFAULT_TENANT),
        Some(Some(tenant)) if is_plain_tenant(tenant) => Some(tenant),
        // Reported at the `tenant` line when the file is read.
        Some(_) => None,
    };
    let Some(tenant) = tenant else {
        return read(root);
    };
    let preset_text = preset.text(tenant);
    let preset_fields = DeTable::parse(&preset_text)?.into_inner();
    let span = root.span();
    let mut merged = root.into_inner();
    fill_in(&mut merged, preset_fields, &at);
    read(Spanned::new(span, merged))
}

/// The preset the file names and where, if it names a known one (an unknown name is reported
/// at its line when the file is read).
fn named_preset(root: &DeTable<'_>) -> Option<(Preset, Range<usize>)> {
    let value = root.get("preset")?;
    let preset = Preset::from_name(value.get_ref().as_str()?)?;
    Some((preset, value.span()))
}

/// Adds each of `preset`'s fields that `file` lacks, merging tables one level down, every
/// added value placed at `at` (the `preset` line).
fn fill_in<'a>(file: &mut DeTable<'a>, preset: DeTable<'a>, at: &Range<usize>) {
    for (name, value) in preset {
        match file.get_mut(name.get_ref().as_ref()) {
            None => {
                file.insert(placed(name, at), placed_value(value, at));
            }
            Some(given) => {
                if let (DeValue::Table(given), DeValue::Table(defaults)) =
                    (given.get_mut(), value.into_inner())
                {
                    for (name, value) in defaults {
                        if !given.contains_key(name.get_ref().as_ref()) {
                            given.insert(placed(name, at), placed_value(value, at));
                        }
                    }
                }
            }
        }
    }
}

fn placed<T>(item: Spanned<T>, at: &Range<usize>) -> Spanned<T> {
    Spanned::new(at.clone(), item.into_inner())
}

/// `value` and everything in it, placed at `at`.
fn placed_value<'a>(value: Spanned<DeValue<'a>>, at: &Range<usize>) -> Spanned<DeValue<'a>> {
    let inner = match value.into_inner() {
        DeValue::Array(items) => DeValue::Array(
            items
                .into_iter()
                .map(|item| placed_value(item, at))
                .collect(),
        ),
        DeValue::Table(table) => DeValue::Table(
            table
                .into_iter()
                .map(|(name, value)| (placed(name, at), placed_value(value, at)))
                .collect(),
        ),
        other => other,
    };
    Spanned::new(at.clone(), inner)
}

#[cfg(test)]
mod tests;
