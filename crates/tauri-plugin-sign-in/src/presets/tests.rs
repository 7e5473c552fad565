//! Presets applied to `provider.toml` text, through the same `parse` the app uses.

use crate::config::an_app::{fields, parse};
use crate::config::{ProviderConfig, Redirect};

use super::*;

const CLIENT_ID: &str = "00000000-1111-2222-3333-444444444444";

fn microsoft(extra: &str) -> Result<ProviderConfig, String> {
    parse(&format!(
        "preset = \"microsoft\"\nclient_id = \"{CLIENT_ID}\"\n{extra}"
    ))
}

fn google(extra: &str) -> Result<ProviderConfig, String> {
    parse(&format!(
        "preset = \"google\"\nclient_id = \"1234-abc.apps.googleusercontent.com\"\nclient_secret = \"GOCSPX-not-confidential\"\n{extra}"
    ))
}

#[test]
fn the_microsoft_preset_needs_only_a_client_id() {
    let config = microsoft("").unwrap();
    assert_eq!(config.preset, Some(Preset::Microsoft));
    assert_eq!(config.client_id, CLIENT_ID);
    assert_eq!(config.name, "Microsoft OneDrive");
    assert_eq!(
        config.issuer,
        "https://login.microsoftonline.com/common/v2.0"
    );
    assert_eq!(
        config.scopes,
        [
            "openid",
            "profile",
            "email",
            "offline_access",
            "Files.Read",
            "User.Read"
        ]
    );
    assert_eq!(
        fields(&config).photos_endpoint,
        "https://graph.microsoft.com/v1.0"
    );
    assert_eq!(
        fields(&config).photo_api.as_deref(),
        Some("microsoft-graph")
    );
    assert_eq!(config.redirect(), Redirect::Loopback { port: None });
    assert!(config.client_secret.is_none(), "a public client");
    assert!(config.authorize_params.is_empty());
    assert!(
        config.explicit_endpoints().is_none(),
        "endpoints are discovered"
    );
    let template = config.issuer_template().expect("an issuer template");
    assert_eq!(
        template.as_str(),
        "https://login.microsoftonline.com/{tenantid}/v2.0"
    );
    assert_eq!(template.claim(), "tid");
    assert_eq!(
        template
            .issuer_for("72f988bf-86f1-41af-91ab-2d7cd011db47")
            .unwrap(),
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
    );
}

#[test]
fn the_tenant_goes_into_the_microsoft_issuer() {
    for tenant in [
        "common",
        "organizations",
        "consumers",
        "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "contoso.onmicrosoft.com",
    ] {
        let config = microsoft(&format!("tenant = \"{tenant}\"\n")).unwrap();
        assert_eq!(
            config.issuer,
            format!("https://login.microsoftonline.com/{tenant}/v2.0")
        );
        assert_eq!(config.tenant.as_deref(), Some(tenant));
        let template = config.issuer_template().unwrap();
        assert!(
            template
                .issuer_for("72f988bf-86f1-41af-91ab-2d7cd011db47")
                .is_ok(),
            "{tenant}"
        );
    }
}

#[test]
fn a_tenant_that_is_not_a_plain_name_is_refused_at_its_line() {
    for tenant in [
        "",
        "a/b",
        "../evil",
        "evil.example/x",
        "a b",
        ".contoso.com",
        "contoso..com",
        "contoso.com.",
        "{tenantid}",
        "a?b",
    ] {
        let error = microsoft(&format!("tenant = \"{tenant}\"\n")).unwrap_err();
        assert!(error.starts_with("line 3:"), "{tenant:?}: {error}");
        assert!(error.contains("`tenant`"), "{tenant:?}: {error}");
    }
}

#[test]
fn the_google_photos_preset_asks_for_the_pickers_scope_only_and_googles_client_secret() {
    let config = parse(
        "preset = \"google-photos\"\nclient_id = \"1234-abc.apps.googleusercontent.com\"\nclient_secret = \"GOCSPX-not-confidential\"\n",
    )
    .unwrap();
    assert_eq!(config.preset, Some(Preset::GooglePhotos));
    assert_eq!(config.name, "Google Photos");
    assert_eq!(config.issuer, "https://accounts.google.com");
    assert_eq!(config.redirect(), Redirect::Loopback { port: None });
    assert_eq!(
        config.scopes,
        [
            "openid",
            "email",
            "profile",
            "https://www.googleapis.com/auth/photospicker.mediaitems.readonly"
        ]
    );
    assert_eq!(
        fields(&config).photos_endpoint,
        "https://photospicker.googleapis.com/v1"
    );
    assert_eq!(
        fields(&config).photo_api.as_deref(),
        Some("google-photos-picker")
    );
    assert_eq!(config.authorize_params.len(), 2);
    let error =
        parse("preset = \"google-photos\"\nclient_id = \"1234-abc.apps.googleusercontent.com\"\n")
            .unwrap_err();
    assert!(error.contains("client_secret"), "{error}");
}

#[test]
fn the_google_preset_needs_a_client_id_and_googles_client_secret() {
    let config = google("").unwrap();
    assert_eq!(config.preset, Some(Preset::Google));
    assert_eq!(config.name, "Google Drive");
    assert_eq!(config.issuer, "https://accounts.google.com");
    assert_eq!(config.redirect(), Redirect::Loopback { port: None });
    assert_eq!(
        config.scopes,
        [
            "openid",
            "email",
            "profile",
            "https://www.googleapis.com/auth/drive.readonly"
        ]
    );
    assert_eq!(
        fields(&config).photos_endpoint,
        "https://www.googleapis.com/drive/v3"
    );
    assert_eq!(fields(&config).photo_api.as_deref(), Some("google-drive"));
    let params: Vec<(&str, &str)> = config
        .authorize_params
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    assert_eq!(params, [("access_type", "offline"), ("prompt", "consent")]);
    assert_eq!(
        config.client_secret.as_ref().map(|s| s.secret()),
        Some("GOCSPX-not-confidential")
    );
    assert!(config.issuer_template().is_none());
    assert!(config.tenant.is_none());

    let error = parse("preset = \"google\"\nclient_id = \"1234-abc.apps.googleusercontent.com\"\n")
        .unwrap_err();
    assert!(error.contains("`client_secret` is missing"), "{error}");
    assert!(error.contains("preset google requires it"), "{error}");
}

#[test]
fn explicit_fields_override_the_preset() {
    let config = microsoft(
        "name = \"Work OneDrive\"\nissuer = \"https://login.microsoftonline.com/organizations/v2.0\"\n\
         scopes = [\"offline_access\", \"Files.Read\"]\nredirect_port = 8765\n\
         photos_endpoint = \"https://graph.microsoft.com/beta\"\n",
    )
    .unwrap();
    assert_eq!(config.name, "Work OneDrive");
    assert_eq!(
        config.issuer,
        "https://login.microsoftonline.com/organizations/v2.0"
    );
    assert_eq!(config.scopes, ["offline_access", "Files.Read"]);
    assert_eq!(
        fields(&config).photos_endpoint,
        "https://graph.microsoft.com/beta"
    );
    assert_eq!(config.redirect(), Redirect::Loopback { port: Some(8765) });

    let scheme = microsoft("redirect = \"scheme\"\n").unwrap();
    assert_eq!(scheme.redirect(), Redirect::Scheme);
    let no_scopes = microsoft("scopes = []\n").unwrap();
    assert!(
        no_scopes.scopes.is_empty(),
        "an empty list is a given value"
    );
    let no_template =
        microsoft("issuer_template = \"https://login.example.com/{tenantid}/v1\"\n").unwrap();
    assert_eq!(
        no_template.issuer_template().unwrap().as_str(),
        "https://login.example.com/{tenantid}/v1"
    );
}

#[test]
fn authorize_params_merge_name_by_name() {
    let config = google("[authorize_params]\nprompt = \"select_account consent\"\nlogin_hint = \"alex@example.com\"\n")
        .unwrap();
    let params: Vec<(&str, &str)> = config
        .authorize_params
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    assert_eq!(
        params,
        [
            ("access_type", "offline"),
            ("login_hint", "alex@example.com"),
            ("prompt", "select_account consent")
        ]
    );
}

#[test]
fn an_unknown_preset_is_named_with_its_line() {
    let error = parse("client_id = \"x\"\npreset = \"dropbox\"\n").unwrap_err();
    assert!(error.starts_with("line 2:"), "{error}");
    assert!(error.contains("`preset`"), "{error}");
    assert!(error.contains("\"microsoft\" or \"google\""), "{error}");
}

#[test]
fn errors_in_the_persons_own_lines_keep_their_line_under_a_preset() {
    let error = microsoft("client_idd = \"x\"\n").unwrap_err();
    assert!(error.starts_with("line 3:"), "{error}");
    assert!(error.contains("client_idd"), "{error}");
    let error = google("redirect = \"localhost\"\n").unwrap_err();
    assert!(error.starts_with("line 4:"), "{error}");
    assert!(error.contains("`redirect`"), "{error}");
    let error = microsoft("photos_endpoint = 3\n").unwrap_err();
    assert!(error.starts_with("line 3, `photos_endpoint`:"), "{error}");
    let error = parse("preset = \"microsoft\"\n").unwrap_err();
    assert!(error.contains("client_id"), "{error}");
}

#[test]
fn a_tenant_needs_a_preset_with_tenants() {
    let without = parse(
        "name = \"X\"\nissuer = \"https://a.example\"\nclient_id = \"c\"\n\
         photos_endpoint = \"https://a.example/photos\"\ntenant = \"common\"\n",
    )
    .unwrap_err();
    assert!(
        without.contains("`tenant` is given without a preset"),
        "{without}"
    );
    let google = google("tenant = \"common\"\n").unwrap_err();
    assert!(
        google.contains("`tenant` is given without a preset"),
        "{google}"
    );
}

#[test]
fn a_bad_issuer_template_is_named() {
    for template in [
        "https://login.example.com/v2.0",
        "https://login.example.com/t-{tenantid}/v2.0",
        "ftp://login.example.com/{tenantid}/v2.0",
    ] {
        let error = microsoft(&format!("issuer_template = \"{template}\"\n")).unwrap_err();
        assert!(error.contains("`issuer_template`"), "{template}: {error}");
    }
}

#[test]
fn without_a_preset_nothing_is_filled_in() {
    let error =
        parse("client_id = \"c\"\nphotos_endpoint = \"https://a.example/p\"\n").unwrap_err();
    assert!(
        error.contains("name") || error.contains("issuer"),
        "{error}"
    );
    let config = parse(
        "name = \"X\"\nissuer = \"https://a.example\"\nclient_id = \"c\"\n\
         photos_endpoint = \"https://a.example/photos\"\n",
    )
    .unwrap();
    assert!(config.preset.is_none());
    assert!(config.issuer_template().is_none());
    assert_eq!(config.redirect(), Redirect::Scheme);
}

/// The provider guide and the example files it shows.
const GUIDE: &str = include_str!("../../../../docs/providers.md");
const DEMO_EXAMPLE: &str = include_str!("../../../../docs/examples/demo-provider.toml");
const MICROSOFT_EXAMPLE: &str = include_str!("../../../../docs/examples/microsoft.toml");
const GOOGLE_EXAMPLE: &str = include_str!("../../../../docs/examples/google.toml");
/// The settings reference and its example of several providers.
const SETTINGS: &str = include_str!("../../../../docs/settings.md");
const SEVERAL_EXAMPLE: &str = include_str!("../../../../docs/examples/several-providers.toml");

#[test]
fn the_guide_shows_each_example_file_unchanged() {
    for example in [DEMO_EXAMPLE, MICROSOFT_EXAMPLE, GOOGLE_EXAMPLE] {
        assert!(
            GUIDE.contains(&format!("```toml\n{example}```")),
            "docs/providers.md does not show this example as it is:\n{example}"
        );
    }
}

#[test]
fn the_guide_shows_each_preset_as_it_is() {
    for preset in [MICROSOFT, GOOGLE, GOOGLE_PHOTOS] {
        let shown = format!("```toml\n{}\n```", preset.trim());
        assert!(
            GUIDE.contains(&shown),
            "docs/providers.md does not show this preset as it is:\n{preset}"
        );
    }
}

#[test]
fn the_preset_examples_parse() {
    let microsoft = parse(MICROSOFT_EXAMPLE).unwrap();
    assert_eq!(microsoft.preset, Some(Preset::Microsoft));
    assert_eq!(
        microsoft.issuer,
        "https://login.microsoftonline.com/common/v2.0"
    );
    assert!(microsoft.issuer_template().is_some());
    let google = parse(GOOGLE_EXAMPLE).unwrap();
    assert_eq!(google.preset, Some(Preset::Google));
    assert!(google.client_secret.is_some());
}

#[test]
fn the_example_of_several_providers_is_shown_as_it_is_and_parses() {
    assert!(
        SETTINGS.contains(&format!("```toml\n{SEVERAL_EXAMPLE}```")),
        "docs/settings.md does not show this example as it is:\n{SEVERAL_EXAMPLE}"
    );
    let providers = crate::config::an_app::parse_all(SEVERAL_EXAMPLE).unwrap();
    let keys: Vec<_> = providers.iter().map(|p| p.key()).collect();
    assert_eq!(
        keys,
        ["Microsoft OneDrive", "google-drive"],
        "as the docs say"
    );
    assert_eq!(providers[0].preset, Some(Preset::Microsoft));
    assert_eq!(providers[1].name, "Google Drive");
    assert!(providers[1].client_secret.is_some());
}

#[tokio::test]
async fn the_demo_provider_example_fits_the_demo_provider() {
    let config = parse(DEMO_EXAMPLE).unwrap();
    assert_eq!(config.client_id, photolink_demo_provider::CLIENT_ID);
    assert_eq!(config.redirect(), Redirect::Loopback { port: None });
    assert!(config.preset.is_none());

    let provider = photolink_demo_provider::start(photolink_demo_provider::Config::default())
        .await
        .unwrap();
    let port = provider.local_addr().port();
    let on_this_port = |address: &str| address.replace("47900", &port.to_string());
    assert_eq!(on_this_port(&config.issuer), provider.issuer_url());
    assert_eq!(
        on_this_port(&fields(&config).photos_endpoint),
        provider.endpoints().photos
    );
    let known = ["photos:read", "profile"];
    assert!(
        config.scopes.iter().all(|s| known.contains(&s.as_str())),
        "{:?}",
        config.scopes
    );
}
