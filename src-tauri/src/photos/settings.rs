//! PhotoLink's own fields in `provider.toml`: where the account's photos are and which photo
//! API serves them. The sign-in reads the rest of the file and hands these to [`FIELDS`].

use serde::Deserialize;
use url::Url;

use tauri_plugin_sign_in::{AppFields, AppSettings, check_web_url, web_address_problem};

/// The photo API fields, read with the sign-in's from the same file.
pub const FIELDS: AppFields = AppFields {
    names: &["photos_endpoint", "photo_api"],
    read,
};

/// Where the photos are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoSettings {
    /// Which photo API `endpoint` speaks.
    pub api: PhotoApi,
    /// The photo list for `photolink`, the API root for the others (see [`PhotoApi`]). The
    /// Bearer token is sent to this origin only.
    pub endpoint: Url,
}

/// The `photo_api` field: which photo API the account's photos come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PhotoApi {
    /// PhotoLink's own list format; `photos_endpoint` is the list's URL.
    #[default]
    PhotoLink,
    /// OneDrive through Microsoft Graph; `photos_endpoint` is the Graph root
    /// (`https://graph.microsoft.com/v1.0`).
    MicrosoftGraph,
    /// Google Drive API v3; `photos_endpoint` is its root
    /// (`https://www.googleapis.com/drive/v3`).
    GoogleDrive,
    /// The photos a person chooses in Google Photos, through the Google Photos Picker API;
    /// `photos_endpoint` is its root (`https://photospicker.googleapis.com/v1`).
    GooglePhotosPicker,
}

impl<'de> Deserialize<'de> for PhotoApi {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "photolink" => Ok(Self::PhotoLink),
            "microsoft-graph" => Ok(Self::MicrosoftGraph),
            "google-drive" => Ok(Self::GoogleDrive),
            "google-photos-picker" => Ok(Self::GooglePhotosPicker),
            _ => Err(serde::de::Error::custom(
                "the field `photo_api` must be \"photolink\", \"microsoft-graph\", \"google-drive\" or \"google-photos-picker\"",
            )),
        }
    }
}

/// The fields as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    photos_endpoint: String,
    #[serde(default)]
    photo_api: PhotoApi,
}

fn read(fields: toml::de::Deserializer<'_>) -> Result<AppSettings, toml::de::Error> {
    let fields = Fields::deserialize(fields)?;
    let endpoint = check_web_url(&fields.photos_endpoint).map_err(|problem| {
        serde::de::Error::custom(web_address_problem("photos_endpoint", &problem))
    })?;
    Ok(AppSettings::new(PhotoSettings {
        api: fields.photo_api,
        endpoint,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tauri_plugin_sign_in::{ProviderConfig, parse};

    const EXAMPLE_TOP: &str = "name = \"X\"\nissuer = \"https://a.example\"\nclient_id = \"c\"\nphotos_endpoint = \"https://a.example/photos\"\n";

    /// PhotoLink's settings of the file's one provider.
    fn settings(providers: &[ProviderConfig]) -> &PhotoSettings {
        let [provider] = providers else {
            panic!("{} providers, not one", providers.len());
        };
        provider.app.get().unwrap()
    }

    #[test]
    fn the_photo_api_is_photolinks_own_unless_another_is_named() {
        let config = parse(EXAMPLE_TOP, &FIELDS).unwrap();
        assert_eq!(settings(&config).api, PhotoApi::PhotoLink);
        assert_eq!(
            settings(&config).endpoint.as_str(),
            "https://a.example/photos"
        );
        for (written, api) in [
            ("photolink", PhotoApi::PhotoLink),
            ("microsoft-graph", PhotoApi::MicrosoftGraph),
            ("google-drive", PhotoApi::GoogleDrive),
            ("google-photos-picker", PhotoApi::GooglePhotosPicker),
        ] {
            let text = format!("{EXAMPLE_TOP}photo_api = \"{written}\"\n");
            let config = parse(&text, &FIELDS).unwrap();
            assert_eq!(settings(&config).api, api, "{written}");
        }
        let text = format!("{EXAMPLE_TOP}photo_api = \"onedrive\"\n");
        let error = parse(&text, &FIELDS).unwrap_err().to_string();
        assert!(error.starts_with("line 5:"), "{error}");
        assert!(error.contains("`photo_api`"), "{error}");
    }

    #[test]
    fn a_photos_endpoint_that_is_no_web_address_is_named() {
        for bad in ["not a url", "ftp://a.example/photos"] {
            let text = EXAMPLE_TOP.replace("https://a.example/photos", bad);
            let error = parse(&text, &FIELDS).unwrap_err().to_string();
            assert!(error.contains("`photos_endpoint`"), "{error}");
        }
        let error = parse(
            "name = \"X\"\nissuer = \"https://a.example\"\nclient_id = \"c\"\n",
            &FIELDS,
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("photos_endpoint"), "{error}");
    }

    #[test]
    fn the_presets_name_their_photo_api() {
        let microsoft = parse("preset = \"microsoft\"\nclient_id = \"c\"\n", &FIELDS).unwrap();
        assert_eq!(settings(&microsoft).api, PhotoApi::MicrosoftGraph);
        let google = parse(
            "preset = \"google\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            &FIELDS,
        )
        .unwrap();
        assert_eq!(settings(&google).api, PhotoApi::GoogleDrive);
        let google_photos = parse(
            "preset = \"google-photos\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            &FIELDS,
        )
        .unwrap();
        assert_eq!(settings(&google_photos).api, PhotoApi::GooglePhotosPicker);
    }
}
