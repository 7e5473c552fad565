//! Setting up the provider the app connects to: from `provider.toml`, or, with the
//! `demo-provider` feature, the embedded demo provider when no file exists.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "demo-provider")]
use photolink_demo_provider::ProviderHandle;
use photolink_oauth::{
    ClientConfig, HttpClient, OAuthClient, ServerMetadata, Session, TokenStore, discover_with,
};
use tauri::{AppHandle, Manager, Runtime};

use crate::config::{
    AppFields, AppSettings, ConfigError, ConfigProblem, ConfigSource, PluginConfig, ProviderConfig,
    Redirect,
};
use crate::error::Error;
use crate::saved_metadata::{self, SavedMetadata};
use crate::status::ProviderSummary;
use crate::store::{
    FORGOTTEN_FILE_NAME, ForgottenEntries, KeyringTokenStore, OpenProblem, OsKeyring, Slot,
    SplitEntry,
};
use photolink_oauth::sync::blocking;

/// What the sign-in is called for this app: the address the browser sends it back to, and the
/// OS keyring's service its entries are kept under.
#[derive(Debug, Clone)]
pub struct AppNames {
    /// The redirect URI: the app's private-use scheme (RFC 8252 §7.1), `{identifier}:/oauth/callback`
    /// unless the app names another.
    pub redirect_uri: String,
    /// The app's entries in the OS keyring, under its identifier.
    pub keyring: Arc<OsKeyring>,
}

impl AppNames {
    /// The names that follow from the app's identifier (`com.example.notes`).
    pub fn of(identifier: &str) -> Self {
        Self {
            redirect_uri: format!("{identifier}:/oauth/callback"),
            keyring: Arc::new(OsKeyring::new(identifier)),
        }
    }
}

/// The provider in use and the session with it.
pub struct Provider {
    pub summary: ProviderSummary,
    pub session: Arc<Session>,
    /// Why the saved connection could not be restored, when there was one.
    pub open_problem: Option<OpenProblem>,
    /// The keyring store behind the session, when it is one: whether a Disconnect it could
    /// not complete will last.
    pub saved_connection: Option<Arc<KeyringTokenStore>>,
    /// Where the browser sends the sign-in back.
    pub redirect: Redirect,
    /// What the app read from its own fields of the settings file (nothing for the embedded
    /// demo provider).
    pub app: AppSettings,
    /// The embedded demo provider, running while the app runs, when no settings file exists.
    #[cfg(feature = "demo-provider")]
    pub embedded: Option<Arc<ProviderHandle>>,
}

/// Which providers the settings ask for.
enum Choice {
    Configured {
        source: ConfigSource,
        configs: Vec<ProviderConfig>,
    },
    #[cfg(feature = "demo-provider")]
    Embedded,
}

impl Choice {
    /// Reads the settings file (if any) where `plugin` says, the app's `fields` with it.
    fn read<R: Runtime>(
        app: &AppHandle<R>,
        fields: &AppFields,
        plugin: &PluginConfig,
    ) -> Result<Self, Error> {
        let config_dir = app
            .path()
            .app_config_dir()
            .map_err(|_| Error::MissingDirectory("settings"))?;
        let source = plugin.config_source(|name| std::env::var_os(name), &config_dir);
        match source.load(fields)? {
            Some(configs) => Ok(Self::Configured { source, configs }),
            #[cfg(feature = "demo-provider")]
            None => Ok(Self::Embedded),
            #[cfg(not(feature = "demo-provider"))]
            None => Err(Error::Config(ConfigError {
                path: source.path().to_owned(),
                problem: ConfigProblem::Absent,
            })),
        }
    }

    fn summaries(&self) -> Vec<ProviderSummary> {
        match self {
            Self::Configured { configs, .. } => configs.iter().map(summary).collect(),
            #[cfg(feature = "demo-provider")]
            Self::Embedded => vec![ProviderSummary {
                id: crate::embedded::NAME.into(),
                name: crate::embedded::NAME.into(),
                issuer: None,
                embedded: true,
            }],
        }
    }
}

fn summary(config: &ProviderConfig) -> ProviderSummary {
    ProviderSummary {
        id: config.key().to_owned(),
        name: config.name.clone(),
        issuer: Some(config.issuer.clone()),
        embedded: false,
    }
}

/// The providers the app may connect to, before setting any up (none when the settings
/// cannot be read; setting up says why).
pub fn announced<R: Runtime>(
    app: &AppHandle<R>,
    fields: &AppFields,
    plugin: &PluginConfig,
) -> Vec<ProviderSummary> {
    Choice::read(app, fields, plugin)
        .map(|choice| choice.summaries())
        .unwrap_or_default()
}

/// One provider's settings, read and set up once for every account at it: its summary, the
/// client (endpoints discovered), where the browser sends the sign-in back, the app's fields
/// and the embedded demo provider when it runs.
pub struct ProviderSetting {
    summary: ProviderSummary,
    client: OAuthClient,
    redirect: Redirect,
    app: AppSettings,
    #[cfg(feature = "demo-provider")]
    embedded: Option<Arc<ProviderHandle>>,
    /// The app data folder, where each account's tombstones are kept.
    data_dir: PathBuf,
}

impl ProviderSetting {
    /// Reads the settings, starts the embedded provider if there are none and discovers the
    /// server's endpoints of the provider whose key is `key` (the file's first when `None`).
    /// The app's `fields` of the settings file are read with the sign-in's; `names` are the
    /// app's.
    pub async fn read<R: Runtime>(
        app: &AppHandle<R>,
        fields: &AppFields,
        names: &AppNames,
        plugin: &PluginConfig,
        key: Option<&str>,
    ) -> Result<Self, Error> {
        // The settings file is read on the blocking pool, as every file is.
        let choice = {
            let (app, fields, plugin) = (app.clone(), *fields, plugin.clone());
            blocking(move || Choice::read(&app, &fields, &plugin)).await?
        };
        let lifetime = plugin.sign_in_lifetime(|name| std::env::var(name).ok());
        let data_dir = data_dir(app)?;
        match choice {
            Choice::Configured {
                source,
                mut configs,
            } => {
                let several = configs.len() > 1;
                let at = match key {
                    None => Some(0),
                    Some(key) => configs.iter().position(|config| config.key() == key),
                };
                let Some(at) = at else {
                    return Err(Error::ProviderGone);
                };
                let config = configs.swap_remove(at);
                tracing::info!(issuer = %config.issuer, "using a configured provider");
                let saved = SavedMetadata::at(
                    data_dir.join(saved_metadata::file_name(several.then(|| config.key()))),
                    Arc::new(names.keyring.named(saved_metadata::KEY_ACCOUNT)),
                );
                let client = configured_client(&config, &names.redirect_uri, lifetime, &saved)
                    .await
                    .map_err(|error| settings_error(&source, error))?;
                Ok(Self {
                    summary: summary(&config),
                    client,
                    redirect: config.redirect(),
                    app: config.app,
                    #[cfg(feature = "demo-provider")]
                    embedded: None,
                    data_dir,
                })
            }
            #[cfg(feature = "demo-provider")]
            Choice::Embedded => {
                let summary = Choice::Embedded.summaries().remove(0);
                if key.is_some_and(|key| key != summary.id) {
                    return Err(Error::ProviderGone);
                }
                let handle = crate::embedded::start(&data_dir).await?;
                let summary = ProviderSummary {
                    issuer: Some(handle.issuer_url().to_owned()),
                    ..summary
                };
                tracing::info!(
                    issuer = handle.issuer_url(),
                    "using the embedded demo provider"
                );
                let config = with_sign_in_lifetime(
                    crate::embedded::client_config(&names.redirect_uri),
                    lifetime,
                );
                let client = OAuthClient::discover(config, handle.issuer_url()).await?;
                Ok(Self {
                    summary,
                    client,
                    redirect: Redirect::Scheme,
                    app: AppSettings::default(),
                    embedded: Some(Arc::new(handle)),
                    data_dir,
                })
            }
        }
    }
}

impl Provider {
    /// The provider of `setting` with the session of the account in `slot`, over its saved
    /// connection in the keyring. `choose_account` asks the provider for its account chooser
    /// (`prompt=select_account`, OpenID Connect's), for an account added beside one linked
    /// already, unless the settings give a `prompt` of their own.
    pub async fn open(
        setting: &ProviderSetting,
        names: &AppNames,
        slot: Slot,
        choose_account: bool,
    ) -> Result<Self, Error> {
        let client = asking_for_the_account_chooser(&setting.client, choose_account)?;
        let issuer = client.metadata().issuer.clone();
        let keyring = names.keyring.clone();
        let forgotten = ForgottenEntries::of_slot(&setting.data_dir, FORGOTTEN_FILE_NAME, slot);
        let (store, open_problem) = blocking(move || {
            let entry = SplitEntry::tokens(keyring, slot);
            KeyringTokenStore::open(issuer, Box::new(entry), forgotten)
        })
        .await;
        let store = Arc::new(store);
        let mut provider = Self::new(setting.summary.clone(), client, store.clone())?;
        provider.open_problem = open_problem;
        provider.saved_connection = Some(store);
        provider.redirect = setting.redirect;
        provider.app = setting.app.clone();
        #[cfg(feature = "demo-provider")]
        {
            provider.embedded = setting.embedded.clone();
        }
        Ok(provider)
    }

    /// A provider over any token store (tests use stores that fail on demand).
    pub fn new(
        summary: ProviderSummary,
        client: OAuthClient,
        store: Arc<dyn TokenStore>,
    ) -> Result<Self, Error> {
        Ok(Self {
            summary,
            session: Arc::new(Session::new(client, store)?),
            open_problem: None,
            saved_connection: None,
            redirect: Redirect::Scheme,
            app: AppSettings::default(),
            #[cfg(feature = "demo-provider")]
            embedded: None,
        })
    }
}

/// `client`, asking the provider for its account chooser (`prompt=select_account`) when
/// `choose_account` and the settings give no `prompt` of their own.
pub fn asking_for_the_account_chooser(
    client: &OAuthClient,
    choose_account: bool,
) -> Result<OAuthClient, photolink_oauth::Error> {
    let config = client.config();
    let prompt_set = config
        .extra_authorize_params
        .iter()
        .any(|(n, _)| n == "prompt");
    if !choose_account || prompt_set {
        return Ok(client.clone());
    }
    let config = config
        .clone()
        .with_authorize_param("prompt", "select_account");
    OAuthClient::with_http_client(config, client.metadata().clone(), client.http().clone())
}

fn data_dir<R: Runtime>(app: &AppHandle<R>) -> Result<PathBuf, Error> {
    app.path()
        .app_data_dir()
        .map_err(|_| Error::MissingDirectory("data"))
}

/// The client settings with the sign-in `lifetime` the plugin's configuration gives.
fn with_sign_in_lifetime(mut config: ClientConfig, lifetime: Duration) -> ClientConfig {
    if lifetime != config.pending_lifetime {
        tracing::info!(
            seconds = lifetime.as_secs(),
            "sign-ins expire as configured"
        );
        config.pending_lifetime = lifetime;
    }
    config
}

/// An OAuth client for the provider in `provider.toml`: endpoints from the file when it gives
/// them, else discovered (or, while the provider cannot be reached, as last discovered: see
/// [`saved_metadata`]); revocation and userinfo endpoints in the file win over discovery.
async fn configured_client(
    config: &ProviderConfig,
    redirect_uri: &str,
    lifetime: Duration,
    saved: &SavedMetadata,
) -> Result<OAuthClient, photolink_oauth::Error> {
    let mut client_config = with_sign_in_lifetime(
        ClientConfig::new(&config.client_id, redirect_uri)
            .with_scopes(config.scopes.clone())
            .with_par(config.par)
            .with_dpop(config.dpop),
        lifetime,
    );
    if let Some(secret) = &config.client_secret {
        client_config = client_config.with_client_secret(secret.clone());
    }
    for (name, value) in &config.authorize_params {
        client_config = client_config.with_authorize_param(name, value);
    }
    if let Some(resource) = &config.resource {
        client_config = client_config.with_resource(resource);
    }
    if let Some(template) = config.issuer_template() {
        client_config = client_config.with_issuer_template(template);
    }
    let mut metadata = match config.explicit_endpoints() {
        Some(endpoints) => {
            ServerMetadata::new(&config.issuer, endpoints.authorization, endpoints.token)
        }
        None => {
            let discovered = discover_with(
                &HttpClient::new(client_config.http.clone())?,
                &config.issuer,
                client_config.issuer_template.as_ref(),
            )
            .await;
            // The saved document's file and key: blocking calls (the keyring may prompt).
            let saved = saved.clone();
            let issuer = config.issuer.clone();
            match discovered {
                Ok(metadata) => {
                    let kept = metadata.clone();
                    blocking(move || saved.save(&issuer, &kept)).await;
                    metadata
                }
                Err(error @ photolink_oauth::Error::Network(_)) => {
                    let template = client_config.issuer_template.clone();
                    let metadata = blocking(move || saved.load(&issuer, template.as_ref()))
                        .await
                        .ok_or(error)?;
                    tracing::warn!(
                        "the provider cannot be reached: using its endpoints as last discovered"
                    );
                    metadata
                }
                Err(error) => return Err(error),
            }
        }
    };
    if config.revocation_endpoint.is_some() {
        metadata.revocation_endpoint = config.revocation_endpoint.clone();
    }
    if config.userinfo_endpoint.is_some() {
        metadata.userinfo_endpoint = config.userinfo_endpoint.clone();
    }
    OAuthClient::new(client_config, metadata)
}

/// Errors that only a change to the settings file can fix name the file; others (the server
/// cannot be reached, …) stay as they are, since trying again may help.
fn settings_error(source: &ConfigSource, error: photolink_oauth::Error) -> Error {
    use photolink_oauth::Error as OAuth;
    match error {
        OAuth::InvalidConfig(_) | OAuth::InsecureEndpoint { .. } | OAuth::IssuerMismatch { .. } => {
            Error::Config(ConfigError {
                path: source.path().to_owned(),
                problem: ConfigProblem::Provider(error),
            })
        }
        other => Error::OAuth(other),
    }
}

#[cfg(test)]
mod tests {
    use photolink_demo_provider::{self as demo, Config, ProviderHandle};

    use super::*;
    use crate::config::LONGEST_SIGN_IN_LIFETIME;
    use crate::config::an_app::parse;

    const REDIRECT_URI: &str = "com.example.photolink:/oauth/callback";

    #[test]
    fn the_apps_names_follow_from_its_identifier() {
        let names = AppNames::of("com.example.photolink");
        assert_eq!(names.redirect_uri, REDIRECT_URI);
        let names = AppNames::of("org.example.notes");
        assert_eq!(names.redirect_uri, "org.example.notes:/oauth/callback");
    }

    /// Saved metadata in a fresh temporary folder, removed when dropped.
    struct TempSaved(PathBuf, SavedMetadata);

    impl TempSaved {
        fn new() -> Self {
            let dir = std::env::temp_dir().join(format!(
                "photolink-provider-{}-{:x}",
                std::process::id(),
                rand::random::<u64>()
            ));
            let key = Arc::new(crate::store::fakes::FakeEntry::default());
            let saved = SavedMetadata::at(dir.join(saved_metadata::FILE_NAME), key);
            Self(dir, saved)
        }
    }

    impl Drop for TempSaved {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// The demo provider at `/common/v2.0`, its discovery document naming its issuer as the
    /// template `http://127.0.0.1:PORT/{tenantid}/v2.0`, as a multi-tenant provider does.
    async fn multi_tenant_provider() -> (ProviderHandle, u16) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap()
            .port();
        let handle = demo::start(Config {
            port,
            issuer_path: "/common/v2.0".into(),
            advertised_issuer: Some(format!("http://127.0.0.1:{port}/{{tenantid}}/v2.0")),
            ..Config::default()
        })
        .await
        .unwrap();
        (handle, port)
    }

    fn settings(port: u16, template: &str) -> ProviderConfig {
        parse(&format!(
            "name = \"Tenants\"\nclient_id = \"photolink-desktop\"\n\
             issuer = \"http://127.0.0.1:{port}/common/v2.0\"\n\
             photos_endpoint = \"http://127.0.0.1:{port}/photos\"\n{template}"
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn the_issuer_template_in_the_settings_reaches_discovery() {
        let (_provider, port) = multi_tenant_provider().await;
        let config = settings(
            port,
            &format!("issuer_template = \"http://127.0.0.1:{port}/{{tenantid}}/v2.0\"\n"),
        );

        let client = configured_client(
            &config,
            REDIRECT_URI,
            LONGEST_SIGN_IN_LIFETIME,
            &TempSaved::new().1,
        )
        .await
        .unwrap();

        assert_eq!(
            client.metadata().issuer,
            format!("http://127.0.0.1:{port}/{{tenantid}}/v2.0")
        );
        assert!(client.config().issuer_template.is_some());
    }

    #[tokio::test]
    async fn without_the_template_a_templated_issuer_is_refused() {
        let (_provider, port) = multi_tenant_provider().await;
        let error = configured_client(
            &settings(port, ""),
            REDIRECT_URI,
            LONGEST_SIGN_IN_LIFETIME,
            &TempSaved::new().1,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, photolink_oauth::Error::IssuerMismatch { .. }),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_provider_out_of_reach_starts_from_its_endpoints_as_last_discovered() {
        let (provider, port) = multi_tenant_provider().await;
        let config = settings(
            port,
            &format!("issuer_template = \"http://127.0.0.1:{port}/{{tenantid}}/v2.0\"\n"),
        );
        let saved = TempSaved::new();
        let never_saved = TempSaved::new();
        let discovered =
            configured_client(&config, REDIRECT_URI, LONGEST_SIGN_IN_LIFETIME, &saved.1)
                .await
                .unwrap();
        provider.shutdown().await;

        let offline = configured_client(&config, REDIRECT_URI, LONGEST_SIGN_IN_LIFETIME, &saved.1)
            .await
            .unwrap();
        assert_eq!(offline.metadata(), discovered.metadata());

        let error = configured_client(
            &config,
            REDIRECT_URI,
            LONGEST_SIGN_IN_LIFETIME,
            &never_saved.1,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, photolink_oauth::Error::Network(_)),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_provider_out_of_reach_with_a_tampered_saved_file_cannot_be_reached() {
        let (provider, port) = multi_tenant_provider().await;
        let config = settings(
            port,
            &format!("issuer_template = \"http://127.0.0.1:{port}/{{tenantid}}/v2.0\"\n"),
        );
        let saved = TempSaved::new();
        configured_client(&config, REDIRECT_URI, LONGEST_SIGN_IN_LIFETIME, &saved.1)
            .await
            .unwrap();
        provider.shutdown().await;
        let path = saved.0.join(saved_metadata::FILE_NAME);
        let file = std::fs::read_to_string(&path).unwrap();
        let token_endpoint = format!("http://127.0.0.1:{port}/common/v2.0/token");
        assert!(file.contains(&token_endpoint), "{file}");
        std::fs::write(
            &path,
            file.replace(&token_endpoint, "http://127.0.0.1:9/token"),
        )
        .unwrap();

        let error = configured_client(&config, REDIRECT_URI, LONGEST_SIGN_IN_LIFETIME, &saved.1)
            .await
            .unwrap_err();

        assert!(
            matches!(error, photolink_oauth::Error::Network(_)),
            "{error:?}"
        );
    }
}
