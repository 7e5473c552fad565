//! The provider settings file (`provider.toml`): where it lives, what it holds, and how a bad
//! file is explained.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use photolink_oauth::{ClientSecret, IssuerTemplate};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use url::Url;

use crate::presets::{self, Preset};

/// File name of the provider settings in the app's config directory.
pub const CONFIG_FILE_NAME: &str = "provider.toml";
/// The longest a sign-in waits for the browser, and how long it waits unless configured (the
/// core's default `pending_lifetime`): the saved sign-in in the keyring is kept that long.
pub const LONGEST_SIGN_IN_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The plugin's configuration: `plugins.sign-in` in the app's `tauri.conf.json` (camelCase
/// keys), each value replaced by the one given to the [`Builder`](crate::Builder), if any.
///
/// ```json
/// "plugins": {
///   "sign-in": {
///     "providerConfigEnv": "MYAPP_PROVIDER_CONFIG",
///     "signInLifetimeSeconds": 300
///   }
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PluginConfig {
    /// An environment variable that names the provider settings file; when it is set, that
    /// file is read instead of `provider.toml` in the app's config folder (and must exist).
    /// Without it no variable is read.
    #[serde(default)]
    pub provider_config_env: Option<String>,
    /// How long a sign-in waits for the browser, in whole seconds: 1 to 600, 600 unless given.
    #[serde(default)]
    pub sign_in_lifetime_seconds: Option<u64>,
    /// An environment variable that shortens the sign-in's lifetime further, in whole seconds
    /// (tests of the expiry use it). Without it no variable is read.
    #[serde(default)]
    pub sign_in_lifetime_env: Option<String>,
}

/// A plugin configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginConfigError {
    #[error("signInLifetimeSeconds must be from 1 to {longest}, not {0}", longest = LONGEST_SIGN_IN_LIFETIME.as_secs())]
    SignInLifetime(u64),
    #[error("{0} must name an environment variable, not be empty")]
    EmptyEnvName(&'static str),
}

impl PluginConfig {
    /// `self` (from `tauri.conf.json`) with every value `builder` gives in its place, checked.
    pub fn with(self, builder: Self) -> Result<Self, PluginConfigError> {
        let config = Self {
            provider_config_env: builder.provider_config_env.or(self.provider_config_env),
            sign_in_lifetime_seconds: builder
                .sign_in_lifetime_seconds
                .or(self.sign_in_lifetime_seconds),
            sign_in_lifetime_env: builder.sign_in_lifetime_env.or(self.sign_in_lifetime_env),
        };
        for (name, value) in [
            ("providerConfigEnv", &config.provider_config_env),
            ("signInLifetimeEnv", &config.sign_in_lifetime_env),
        ] {
            if value
                .as_deref()
                .is_some_and(|value| value.trim().is_empty())
            {
                return Err(PluginConfigError::EmptyEnvName(name));
            }
        }
        if let Some(seconds) = config.sign_in_lifetime_seconds
            && !(1..=LONGEST_SIGN_IN_LIFETIME.as_secs()).contains(&seconds)
        {
            return Err(PluginConfigError::SignInLifetime(seconds));
        }
        Ok(config)
    }

    /// Where the provider settings are: the file the configured variable names, when it is
    /// set in `environment`, else `provider.toml` in `config_dir`.
    pub fn config_source(
        &self,
        environment: impl Fn(&str) -> Option<std::ffi::OsString>,
        config_dir: &Path,
    ) -> ConfigSource {
        let named = self.provider_config_env.as_deref().and_then(|env| {
            environment(env)
                .filter(|value| !value.is_empty())
                .map(|value| (env.to_owned(), PathBuf::from(value)))
        });
        match named {
            Some((env, path)) => ConfigSource::Env { env, path },
            None => ConfigSource::Default(config_dir.join(CONFIG_FILE_NAME)),
        }
    }

    /// How long a sign-in waits: the configured lifetime, shortened by the configured
    /// variable when `environment` sets it to a whole number of seconds above zero.
    pub fn sign_in_lifetime(&self, environment: impl Fn(&str) -> Option<String>) -> Duration {
        let configured = self
            .sign_in_lifetime_seconds
            .map_or(LONGEST_SIGN_IN_LIFETIME, Duration::from_secs);
        let asked = self
            .sign_in_lifetime_env
            .as_deref()
            .and_then(environment)
            .and_then(|value| value.trim().parse::<u64>().ok())
            .filter(|seconds| *seconds > 0)
            .map(Duration::from_secs);
        asked.map_or(configured, |asked| asked.min(configured))
    }
}

/// A provider the app connects to, as written in `provider.toml`. `Debug` shows no client
/// secret (it is the core's [`ClientSecret`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// What the list of linked accounts records of the provider an account belongs to (see
    /// [`key`](Self::key)); only needed to rename a provider whose accounts are linked.
    #[serde(default)]
    pub id: Option<String>,
    /// Name shown in the window, e.g. "Demo Photos".
    pub name: String,
    /// Issuer identifier: used for discovery unless both endpoints below are given, and checked
    /// against the `iss` of authorization responses.
    pub issuer: String,
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    pub client_id: String,
    /// Only for providers that demand one; native apps normally have none.
    #[serde(default)]
    pub client_secret: Option<ClientSecret>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Extra authorization request parameters, e.g. `prompt`.
    #[serde(default)]
    pub authorize_params: BTreeMap<String, String>,
    /// RFC 8707 resource indicator: the API the tokens are for, sent on the authorization
    /// request and on every token request.
    #[serde(default)]
    pub resource: Option<String>,
    /// How the browser hands the sign-in back: the app's scheme (the default) or a loopback
    /// listener.
    #[serde(default)]
    pub redirect: RedirectStyle,
    /// The loopback listener's fixed port, for providers that require the exact redirect URI
    /// to be registered; without it the OS picks a free port for each sign-in.
    #[serde(default)]
    pub redirect_port: Option<u16>,
    /// A provider whose settings the plugin knows (the `presets` module); the file's own fields win.
    #[serde(default)]
    pub preset: Option<Preset>,
    /// Which accounts a preset with tenants signs in (`common` when absent).
    #[serde(default, deserialize_with = "presets::tenant")]
    pub tenant: Option<String>,
    /// A multi-tenant issuer as its discovery document names it, with `{tenantid}` for the
    /// tenant; the ID token's `tid` claim names the tenant (see [`IssuerTemplate`]).
    #[serde(default)]
    pub issuer_template: Option<String>,
    /// Push every authorization request to the provider first (RFC 9126), even when its
    /// metadata does not require it; the provider must offer a pushed authorization request
    /// endpoint. Requests are pushed anyway whenever the provider offers one.
    #[serde(default)]
    pub par: bool,
    /// Use DPoP-bound tokens (RFC 9449) even when the provider's metadata does not advertise
    /// `dpop_signing_alg_values_supported`; when it does, the app uses DPoP anyway.
    #[serde(default)]
    pub dpop: bool,
    /// The app's own fields of the same file, as its [`AppFields::read`] made them.
    #[serde(skip)]
    pub app: AppSettings,
}

/// The app's own fields in `provider.toml` (a photo API, say): the file is one, the
/// sign-in reads its fields and hands the app's to the app, which reads and checks them. A
/// field that is neither the sign-in's nor the app's is refused, naming its line.
#[derive(Clone, Copy)]
pub struct AppFields {
    /// The names of the app's fields.
    pub names: &'static [&'static str],
    /// Reads them (a preset's values included); an error that names no line names its field.
    pub read: fn(toml::de::Deserializer<'_>) -> Result<AppSettings, toml::de::Error>,
}

impl AppFields {
    /// An app with no fields of its own in the file.
    pub const NONE: Self = Self {
        names: &[],
        read: |_| Ok(AppSettings::default()),
    };
}

/// What the app read from its own fields; it takes it back with [`get`](Self::get).
#[derive(Clone)]
pub struct AppSettings(Arc<dyn Any + Send + Sync>);

impl AppSettings {
    pub fn new(settings: impl Any + Send + Sync) -> Self {
        Self(Arc::new(settings))
    }

    /// The settings, when they are a `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl Default for AppSettings {
    fn default() -> Self {
        Self::new(())
    }
}

impl fmt::Debug for AppSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppSettings(..)")
    }
}

/// The `redirect` field: how the browser hands the sign-in back to the app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RedirectStyle {
    /// The app's scheme, `{identifier}:/oauth/callback`, through the OS (RFC 8252 §7.1).
    #[default]
    Scheme,
    /// `http://127.0.0.1:{port}/oauth/callback`, to a listener the app runs while the
    /// sign-in lasts (RFC 8252 §7.3).
    Loopback,
}

impl<'de> Deserialize<'de> for RedirectStyle {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "scheme" => Ok(Self::Scheme),
            "loopback" => Ok(Self::Loopback),
            _ => Err(serde::de::Error::custom(
                "the field `redirect` must be \"scheme\" or \"loopback\"",
            )),
        }
    }
}

/// Where the browser sends the sign-in back, as the connection uses it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Redirect {
    /// The app's private-use scheme.
    #[default]
    Scheme,
    /// A loopback listener on `port`, or on a free port when `None`.
    Loopback { port: Option<u16> },
}

/// Explicit endpoints, when the file gives them instead of relying on discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplicitEndpoints {
    pub authorization: String,
    pub token: String,
}

impl ProviderConfig {
    /// The provider's key: its `id`, else its `name`. The list of linked accounts records it
    /// for each account, so it must stay the same while accounts are linked; two providers of
    /// one file never share it.
    pub fn key(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.name)
    }

    /// Where the browser sends the sign-in back.
    pub fn redirect(&self) -> Redirect {
        match self.redirect {
            RedirectStyle::Scheme => Redirect::Scheme,
            RedirectStyle::Loopback => Redirect::Loopback {
                port: self.redirect_port,
            },
        }
    }

    /// The multi-tenant issuer template the file (or its preset) gives, if any (a template
    /// that cannot be used was refused when the file was read).
    pub fn issuer_template(&self) -> Option<IssuerTemplate> {
        let template = self.issuer_template.as_deref()?;
        IssuerTemplate::new(template, TENANT_PLACEHOLDER, TENANT_CLAIM).ok()
    }

    /// The endpoints written in the file, or `None` to discover them from the issuer.
    pub fn explicit_endpoints(&self) -> Option<ExplicitEndpoints> {
        Some(ExplicitEndpoints {
            authorization: self.authorization_endpoint.clone()?,
            token: self.token_endpoint.clone()?,
        })
    }

    fn validate(&self) -> Result<(), FieldError> {
        if self.name.trim().is_empty() {
            return Err(FieldError::new("name", FieldProblem::Empty));
        }
        if self.id.as_ref().is_some_and(|id| id.trim().is_empty()) {
            return Err(FieldError::new("id", FieldProblem::Empty));
        }
        if self.client_id.trim().is_empty() {
            return Err(FieldError::new("client_id", FieldProblem::Empty));
        }
        let urls = [
            ("issuer", Some(&self.issuer)),
            (
                "authorization_endpoint",
                self.authorization_endpoint.as_ref(),
            ),
            ("token_endpoint", self.token_endpoint.as_ref()),
            ("revocation_endpoint", self.revocation_endpoint.as_ref()),
            ("userinfo_endpoint", self.userinfo_endpoint.as_ref()),
        ];
        for (field, value) in urls {
            if let Some(value) = value {
                check_web_url(value)
                    .map_err(|problem| FieldError::new(field, FieldProblem::WebUrl(problem)))?;
            }
        }
        match (&self.authorization_endpoint, &self.token_endpoint) {
            (Some(_), None) => {
                return Err(FieldError::new(
                    "token_endpoint",
                    FieldProblem::MissingBeside("authorization_endpoint"),
                ));
            }
            (None, Some(_)) => {
                return Err(FieldError::new(
                    "authorization_endpoint",
                    FieldProblem::MissingBeside("token_endpoint"),
                ));
            }
            _ => {}
        }
        match (self.redirect, self.redirect_port) {
            (_, Some(0)) => {
                return Err(FieldError::new("redirect_port", FieldProblem::PortZero));
            }
            (RedirectStyle::Scheme, Some(_)) => {
                return Err(FieldError::new(
                    "redirect_port",
                    FieldProblem::PortWithoutLoopback,
                ));
            }
            _ => {}
        }
        if let Some(resource) = &self.resource {
            let url = Url::parse(resource)
                .map_err(|e| FieldError::new("resource", FieldProblem::NotAnAbsoluteUri(e)))?;
            if url.fragment().is_some() {
                return Err(FieldError::new("resource", FieldProblem::Fragment));
            }
            if self.authorize_params.contains_key("resource") {
                return Err(FieldError::new(
                    "resource",
                    FieldProblem::AlsoInAuthorizeParams,
                ));
            }
        }
        self.validate_preset_fields()?;
        if let Some(scope) = self
            .scopes
            .iter()
            .find(|s| s.is_empty() || s.contains(char::is_whitespace))
        {
            return Err(FieldError::new(
                "scopes",
                FieldProblem::NotOneScope(scope.clone()),
            ));
        }
        Ok(())
    }
}

/// The placeholder for the tenant in `issuer_template`.
const TENANT_PLACEHOLDER: &str = "{tenantid}";
/// The ID-token claim that names the tenant of a templated issuer.
const TENANT_CLAIM: &str = "tid";

impl ProviderConfig {
    /// The fields that presets bring: `tenant` only with a preset that has tenants, the
    /// client secret a preset requires, a usable `issuer_template`.
    fn validate_preset_fields(&self) -> Result<(), FieldError> {
        if self.tenant.is_some() && !self.preset.is_some_and(Preset::has_tenants) {
            return Err(FieldError::new("tenant", FieldProblem::TenantWithoutPreset));
        }
        if let Some(preset) = self.preset.filter(|p| p.requires_client_secret())
            && self.client_secret.is_none()
        {
            return Err(FieldError::new(
                "client_secret",
                FieldProblem::SecretRequired(preset),
            ));
        }
        if let Some(template) = &self.issuer_template {
            IssuerTemplate::new(template, TENANT_PLACEHOLDER, TENANT_CLAIM).map_err(|_| {
                FieldError::new("issuer_template", FieldProblem::NotATenantTemplate)
            })?;
            check_web_url(template).map_err(|problem| {
                FieldError::new("issuer_template", FieldProblem::WebUrl(problem))
            })?;
        }
        Ok(())
    }
}

/// Why a settings file cannot be used: the file, and what is wrong with it. `Display` is
/// technical; the window's sentence comes from the `messages` module.
#[derive(Debug, Clone, thiserror::Error)]
#[error("provider settings {}: {problem}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    pub problem: ConfigProblem,
}

/// What is wrong with a settings file, naming the line and field where known.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigProblem {
    /// The config folder has no settings file, and the app has no embedded provider to use
    /// instead (the `demo-provider` feature).
    #[error("the file does not exist, and there is no embedded provider")]
    Absent,
    /// The environment variable named in `env` names a file that does not exist.
    #[error("the file does not exist (it is named by {env})")]
    Missing { env: String },
    #[error("the file cannot be read ({0})")]
    Unreadable(std::io::ErrorKind),
    /// Not TOML, or a field of the wrong type, unknown or missing: where, and what.
    #[error("{0}")]
    Syntax(SyntaxError),
    /// A field's value cannot be used.
    #[error("{0}")]
    Field(FieldError),
    /// A field's value in one of several `[[providers]]` tables cannot be used; `line` is the
    /// table's.
    #[error("the [[providers]] table at line {line}: {error}")]
    ProviderField { line: usize, error: FieldError },
    /// Two providers of the file have the same key ([`ProviderConfig::key`]); `line` is the
    /// second one's.
    #[error(
        "line {line}: another provider has the key \"{key}\" (its `id`, or its `name` when it has no `id`); give each provider its own `id`"
    )]
    DuplicateProvider { line: usize, key: String },
    /// A field outside the `[[providers]]` tables of a file that has them.
    #[error(
        "line {line}: the field is outside the [[providers]] tables; in a file with [[providers]], every field belongs to one of them"
    )]
    OutsideProviders { line: usize },
    /// `providers` is not a list of `[[providers]]` tables.
    #[error(
        "line {line}: `providers` must be [[providers]] tables, each with the fields of one provider"
    )]
    NotProviderTables { line: usize },
    /// The provider's server, reached with the file's settings, showed them wrong (an issuer
    /// that is not the server's, an endpoint without https).
    #[error("{0}")]
    Provider(photolink_oauth::Error),
}

/// A TOML error at a line of the file, with the key written on it when that helps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: Option<usize>,
    pub key: Option<String>,
    /// toml's own description, without its final period.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.key) {
            (Some(line), Some(key)) => write!(f, "line {line}, `{key}`: {}", self.message),
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}

/// A field whose value cannot be used, and why. `Display` is technical; the sentence a person
/// reads comes from the `messages` module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the field `{field}` {problem}")]
pub struct FieldError {
    pub field: &'static str,
    pub problem: FieldProblem,
}

impl FieldError {
    fn new(field: &'static str, problem: FieldProblem) -> Self {
        Self { field, problem }
    }
}

/// What is wrong with a field's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldProblem {
    #[error("is empty")]
    Empty,
    #[error("is not a web address: {0}")]
    WebUrl(WebUrlError),
    /// One of a pair that must be given together is missing; the other one is given.
    #[error("is missing while {0} is given")]
    MissingBeside(&'static str),
    #[error("is 0")]
    PortZero,
    #[error("is given without redirect = \"loopback\"")]
    PortWithoutLoopback,
    #[error("is not an absolute URI ({0})")]
    NotAnAbsoluteUri(url::ParseError),
    #[error("has a fragment")]
    Fragment,
    #[error("is given in authorize_params too")]
    AlsoInAuthorizeParams,
    /// The file's scope, as written, which is empty or holds whitespace.
    #[error("holds {0:?}, not one scope name")]
    NotOneScope(String),
    #[error("is given without a preset that has tenants")]
    TenantWithoutPreset,
    /// The preset requires a client secret, and none is given.
    #[error("is missing, and preset {} requires it", .0.name())]
    SecretRequired(Preset),
    #[error("is not an address with {{tenantid}} as one whole path segment")]
    NotATenantTemplate,
}

/// Where the settings come from ([`PluginConfig::config_source`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// The environment variable `env` names this file; it must exist.
    Env { env: String, path: PathBuf },
    /// `provider.toml` in the config directory; it may be absent.
    Default(PathBuf),
}

impl ConfigSource {
    /// The settings file's path.
    pub fn path(&self) -> &Path {
        match self {
            Self::Env { path, .. } | Self::Default(path) => path,
        }
    }

    /// Reads the settings, the app's `fields` with them: `Ok(None)` means "no file in the
    /// config folder".
    pub fn load(&self, fields: &AppFields) -> Result<Option<Vec<ProviderConfig>>, ConfigError> {
        let path = self.path();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return match self {
                    Self::Default(_) => Ok(None),
                    Self::Env { env, .. } => Err(ConfigError {
                        path: path.to_owned(),
                        problem: ConfigProblem::Missing { env: env.clone() },
                    }),
                };
            }
            Err(error) => {
                return Err(ConfigError {
                    path: path.to_owned(),
                    problem: ConfigProblem::Unreadable(error.kind()),
                });
            }
        };
        parse(&text, fields)
            .map(Some)
            .map_err(|problem| ConfigError {
                path: path.to_owned(),
                problem,
            })
    }
}

/// Parses and checks the file's text, the app's `fields` with it: its providers in the file's
/// order, one for a file in the single-provider form (its fields at the top), one per
/// `[[providers]]` table otherwise. The error names the line and field.
pub fn parse(text: &str, fields: &AppFields) -> Result<Vec<ProviderConfig>, ConfigProblem> {
    let syntax = |error: toml::de::Error| ConfigProblem::Syntax(syntax_error(text, &error));
    let line = |offset: usize| line_at(text, offset);
    let root = DeTable::parse(text).map_err(syntax)?;
    let (tables, several) = match form(root, &line)? {
        Form::One(table) => (vec![table], false),
        Form::Several(tables) => (tables, true),
    };
    let mut providers: Vec<ProviderConfig> = Vec::with_capacity(tables.len());
    for table in tables {
        let table_line = line(table.span().start);
        let key_line = ["id", "name"]
            .iter()
            .find_map(|field| table.get_ref().get(*field))
            .map_or(table_line, |value| line(value.span().start));
        let config = presets::read(table, |whole| read_both(whole, fields)).map_err(syntax)?;
        config.validate().map_err(|error| match several {
            true => ConfigProblem::ProviderField {
                line: table_line,
                error,
            },
            false => ConfigProblem::Field(error),
        })?;
        if providers.iter().any(|other| other.key() == config.key()) {
            return Err(ConfigProblem::DuplicateProvider {
                line: key_line,
                key: config.key().to_owned(),
            });
        }
        providers.push(config);
    }
    Ok(providers)
}

/// How a file is written: one provider's fields at the top, or `[[providers]]` tables.
enum Form<'a> {
    One(Spanned<DeTable<'a>>),
    Several(Vec<Spanned<DeTable<'a>>>),
}

/// The file's form: its `[[providers]]` tables when it has them, else the whole file.
fn form<'a>(
    root: Spanned<DeTable<'a>>,
    line: &impl Fn(usize) -> usize,
) -> Result<Form<'a>, ConfigProblem> {
    let span = root.span();
    let mut root = root.into_inner();
    let Some(listed) = root.remove("providers") else {
        return Ok(Form::One(Spanned::new(span, root)));
    };
    if let Some(outside) = root.values().map(|value| value.span().start).min() {
        return Err(ConfigProblem::OutsideProviders {
            line: line(outside),
        });
    }
    let not_tables = ConfigProblem::NotProviderTables {
        line: line(listed.span().start),
    };
    let DeValue::Array(items) = listed.into_inner() else {
        return Err(not_tables);
    };
    let tables = items
        .into_iter()
        .map(|item| {
            let span = item.span();
            match item.into_inner() {
                DeValue::Table(table) => Some(Spanned::new(span, table)),
                _ => None,
            }
        })
        .collect::<Option<Vec<_>>>()
        .filter(|tables| !tables.is_empty());
    tables.map(Form::Several).ok_or(not_tables)
}

/// The line (from 1) of `offset` in `text`.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Reads the whole file (preset applied): the sign-in's fields here, the app's by the app.
fn read_both(
    whole: Spanned<DeTable<'_>>,
    fields: &AppFields,
) -> Result<ProviderConfig, toml::de::Error> {
    let span = whole.span();
    let (mut sign_in, mut app) = (DeTable::new(), DeTable::new());
    for (name, value) in whole.into_inner() {
        let part = match fields.names.contains(&name.get_ref().as_ref()) {
            true => &mut app,
            false => &mut sign_in,
        };
        part.insert(name, value);
    }
    let mut config = ProviderConfig::deserialize(toml::de::Deserializer::from(Spanned::new(
        span.clone(),
        sign_in,
    )))?;
    config.app = (fields.read)(toml::de::Deserializer::from(Spanned::new(span, app)))?;
    Ok(config)
}

fn syntax_error(text: &str, error: &toml::de::Error) -> SyntaxError {
    let message = error.message().trim_end_matches('.').to_owned();
    let Some(span) = error.span() else {
        return SyntaxError {
            line: None,
            key: None,
            message,
        };
    };
    let before = &text[..span.start.min(text.len())];
    let line = line_at(text, span.start);
    // toml names the line but not the field; a value's error names the key before it.
    let line_text = text[before.rfind('\n').map_or(0, |at| at + 1)..]
        .lines()
        .next()
        .unwrap_or_default();
    let key = line_text
        .split_once('=')
        .map(|(key, _)| key.trim())
        .filter(|key| !key.is_empty() && !message.contains(key))
        .map(str::to_owned);
    SyntaxError {
        line: Some(line),
        key,
        message,
    }
}

/// Why a field meant to hold a web address does not. `Display` is technical; the sentence a
/// person reads comes from the `messages` module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebUrlError {
    #[error("not an address ({0})")]
    NotAnAddress(#[from] url::ParseError),
    /// The address's scheme, which is not `http` or `https`.
    #[error("the scheme {0}: is not http or https")]
    NotWeb(String),
}

/// `value` as an `http` or `https` address (the app checks its own fields with it).
pub fn check_web_url(value: &str) -> Result<Url, WebUrlError> {
    let url = Url::parse(value)?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(WebUrlError::NotWeb(url.scheme().to_owned()));
    }
    Ok(url)
}

/// An app with fields of its own, for the tests of reading the file: a photo API's
/// fields, kept as written.
#[cfg(test)]
pub(crate) mod an_app {
    use serde::Deserialize;

    use super::{AppFields, AppSettings, ProviderConfig};

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Fields {
        pub photos_endpoint: String,
        #[serde(default)]
        pub photo_api: Option<String>,
    }

    pub const FIELDS: AppFields = AppFields {
        names: &["photos_endpoint", "photo_api"],
        read: |fields| Ok(AppSettings::new(Fields::deserialize(fields)?)),
    };

    /// The one provider of a file's text read with these fields; the error as its technical
    /// text.
    pub fn parse(text: &str) -> Result<ProviderConfig, String> {
        let mut providers = parse_all(text)?;
        assert_eq!(providers.len(), 1, "a file of one provider");
        Ok(providers.remove(0))
    }

    /// Every provider of a file's text read with these fields.
    pub fn parse_all(text: &str) -> Result<Vec<ProviderConfig>, String> {
        super::parse(text, &FIELDS).map_err(|problem| problem.to_string())
    }

    /// The app's fields of a file that was read with them.
    pub fn fields(config: &ProviderConfig) -> &Fields {
        config.app.get().expect("read with the app's fields")
    }
}

#[cfg(test)]
mod tests {
    use super::an_app::{self, parse};
    use super::*;

    const EXAMPLE: &str = r#"
name = "Demo Photos"
issuer = "https://photos.example.com"
client_id = "photolink-desktop"
scopes = ["photos:read"]
photos_endpoint = "https://photos.example.com/photos"

[authorize_params]
prompt = "consent"
"#;

    #[test]
    fn a_minimal_config_parses_with_its_extra_authorize_params_and_defaults() {
        let config = parse(EXAMPLE).unwrap();
        assert_eq!(config.name, "Demo Photos");
        assert_eq!(config.scopes, ["photos:read"]);
        assert_eq!(
            config.authorize_params.get("prompt").map(String::as_str),
            Some("consent")
        );
        assert!(config.explicit_endpoints().is_none());
        assert!(config.client_secret.is_none());
        assert!(!config.dpop, "DPoP is asked for only when written");
    }

    const TWO_PROVIDERS: &str = r#"[[providers]]
name = "Demo Photos"
issuer = "https://photos.example.com"
client_id = "photolink-desktop"
photos_endpoint = "https://photos.example.com/photos"

[[providers]]
id = "work"
name = "Work Photos"
issuer = "https://work.example.com"
client_id = "photolink"
photos_endpoint = "https://work.example.com/photos"
photo_api = "google-drive"

[providers.authorize_params]
prompt = "consent"
"#;

    #[test]
    fn a_file_of_one_provider_is_read_as_it_always_was() {
        let providers = an_app::parse_all(EXAMPLE).unwrap();
        assert_eq!(providers.len(), 1);
        assert_eq!(providers[0].name, "Demo Photos");
        assert_eq!(providers[0].key(), "Demo Photos", "the key is the name");
        assert_eq!(
            an_app::fields(&providers[0]).photos_endpoint,
            "https://photos.example.com/photos"
        );
    }

    #[test]
    fn several_providers_are_read_in_order_each_with_its_own_fields_and_key() {
        let providers = an_app::parse_all(TWO_PROVIDERS).unwrap();
        let keys: Vec<_> = providers.iter().map(ProviderConfig::key).collect();
        assert_eq!(keys, ["Demo Photos", "work"]);
        assert_eq!(providers[1].name, "Work Photos");
        assert_eq!(
            providers[1]
                .authorize_params
                .get("prompt")
                .map(String::as_str),
            Some("consent")
        );
        assert!(providers[0].authorize_params.is_empty());
        assert_eq!(an_app::fields(&providers[0]).photo_api, None);
        assert_eq!(
            an_app::fields(&providers[1]).photo_api.as_deref(),
            Some("google-drive")
        );
    }

    #[test]
    fn each_provider_takes_its_own_preset() {
        let text = "[[providers]]\npreset = \"microsoft\"\nclient_id = \"m\"\n\n[[providers]]\npreset = \"google\"\nclient_id = \"g\"\nclient_secret = \"s\"\n";
        let providers = an_app::parse_all(text).unwrap();
        assert_eq!(providers[0].name, "Microsoft OneDrive");
        assert!(providers[0].issuer_template().is_some());
        assert_eq!(providers[1].name, "Google Drive");
        assert_eq!(providers[1].issuer, "https://accounts.google.com");
        let error = an_app::parse_all(&text.replace("client_secret = \"s\"\n", "")).unwrap_err();
        assert!(error.contains("line 5"), "the second table's line: {error}");
        assert!(error.contains("`client_secret`"), "{error}");
    }

    #[test]
    fn two_providers_with_one_key_are_refused_naming_the_second() {
        let same_name = TWO_PROVIDERS.replace(
            "id = \"work\"\nname = \"Work Photos\"",
            "name = \"Demo Photos\"",
        );
        let error = an_app::parse_all(&same_name).unwrap_err();
        assert!(error.starts_with("line 8:"), "{error}");
        assert!(error.contains("\"Demo Photos\""), "{error}");
        assert!(error.contains("`id`"), "{error}");
        let same_id = TWO_PROVIDERS.replace("id = \"work\"", "id = \"Demo Photos\"");
        let error = an_app::parse_all(&same_id).unwrap_err();
        assert!(error.starts_with("line 8:"), "the `id` line: {error}");
        let renamed = TWO_PROVIDERS.replace("name = \"Work Photos\"", "name = \"Demo Photos\"");
        assert!(
            an_app::parse_all(&renamed).is_ok(),
            "the `id` tells them apart"
        );
    }

    #[test]
    fn a_bad_list_of_providers_is_named_with_its_line() {
        let outside = format!("name = \"X\"\n{TWO_PROVIDERS}");
        let error = an_app::parse_all(&outside).unwrap_err();
        assert!(error.starts_with("line 1:"), "{error}");
        assert!(error.contains("[[providers]]"), "{error}");
        for bad in ["providers = 3\n", "providers = []\n", "providers = [1]\n"] {
            let error = an_app::parse_all(bad).unwrap_err();
            assert!(error.starts_with("line 1:"), "{bad}: {error}");
            assert!(error.contains("`providers`"), "{bad}: {error}");
        }
        let misspelled =
            TWO_PROVIDERS.replace("client_id = \"photolink\"", "client_idd = \"photolink\"");
        let error = an_app::parse_all(&misspelled).unwrap_err();
        assert!(error.starts_with("line 11:"), "{error}");
        let empty_id = TWO_PROVIDERS.replace("id = \"work\"", "id = \" \"");
        let error = an_app::parse_all(&empty_id).unwrap_err();
        assert!(error.contains("`id`"), "{error}");
        assert!(error.contains("line 7"), "the table's line: {error}");
    }

    #[test]
    fn dpop_can_be_asked_for() {
        let config = parse(&format!("dpop = true\n{EXAMPLE}")).unwrap();
        assert!(config.dpop);
        let error = parse(&format!("dpop = \"yes\"\n{EXAMPLE}")).unwrap_err();
        assert!(error.starts_with("line 1, `dpop`:"), "{error}");
    }

    #[test]
    fn explicit_endpoints_need_both() {
        let both = format!(
            "{EXAMPLE_TOP}authorization_endpoint = \"https://a.example/authorize\"\ntoken_endpoint = \"https://a.example/token\"\n"
        );
        assert!(parse(&both).unwrap().explicit_endpoints().is_some());
        let one = format!("{EXAMPLE_TOP}token_endpoint = \"https://a.example/token\"\n");
        let error = parse(&one).unwrap_err();
        assert!(error.contains("`authorization_endpoint`"), "{error}");
    }

    const EXAMPLE_TOP: &str = "name = \"X\"\nissuer = \"https://a.example\"\nclient_id = \"c\"\nphotos_endpoint = \"https://a.example/photos\"\n";

    #[test]
    fn the_client_secret_is_read_but_never_printed() {
        let config = parse(&format!("{EXAMPLE_TOP}client_secret = \"s3cr3t-value\"\n")).unwrap();
        let secret = config.client_secret.as_ref().expect("a client secret");
        assert_eq!(secret.secret(), "s3cr3t-value");
        let printed = format!("{config:?} {config:#?}");
        assert!(!printed.contains("s3cr3t-value"), "{printed}");
    }

    #[test]
    fn a_misspelled_field_is_named_with_its_line() {
        let error = parse(&format!("{EXAMPLE_TOP}client_idd = \"x\"\n")).unwrap_err();
        assert!(error.starts_with("line 5:"), "{error}");
        assert!(error.contains("client_idd"), "{error}");
    }

    #[test]
    fn a_missing_field_is_named() {
        let error = parse("name = \"X\"\nissuer = \"https://a.example\"\nphotos_endpoint = \"https://a.example/p\"\n")
            .unwrap_err();
        assert!(error.contains("client_id"), "{error}");
    }

    #[test]
    fn the_apps_fields_go_to_the_app_and_its_errors_name_their_line() {
        let config = parse(&format!("{EXAMPLE_TOP}photo_api = \"google-drive\"\n")).unwrap();
        let fields = an_app::fields(&config);
        assert_eq!(fields.photos_endpoint, "https://a.example/photos");
        assert_eq!(fields.photo_api.as_deref(), Some("google-drive"));
        let error = parse(&format!("{EXAMPLE_TOP}photo_api = 3\n")).unwrap_err();
        assert!(error.starts_with("line 5, `photo_api`:"), "{error}");
        let error = parse(&EXAMPLE_TOP.replace("photos_endpoint", "photo_endpoint")).unwrap_err();
        assert!(error.starts_with("line 4:"), "{error}");
        assert!(error.contains("photo_endpoint"), "{error}");
        let error = super::parse(EXAMPLE_TOP, &AppFields::NONE)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("photos_endpoint"),
            "an app without fields: {error}"
        );
    }

    #[test]
    fn bad_values_are_named() {
        let error =
            parse(&EXAMPLE_TOP.replace("https://a.example\"", "ftp://a.example\"")).unwrap_err();
        assert!(error.contains("`issuer`"), "{error}");
        let error = parse(&format!("{EXAMPLE_TOP}scopes = [\"a b\"]\n")).unwrap_err();
        assert!(error.contains("`scopes`"), "{error}");
        let error = parse("name = ").unwrap_err();
        assert!(error.starts_with("line 1, `name`:"), "{error}");
    }

    #[test]
    fn a_resource_is_read_and_a_bad_or_doubled_one_is_named() {
        let config = parse(&format!(
            "{EXAMPLE_TOP}resource = \"https://api.a.example/photos\"\n"
        ))
        .unwrap();
        assert_eq!(
            config.resource.as_deref(),
            Some("https://api.a.example/photos")
        );
        for bad in ["photos", "https://api.a.example/#x"] {
            let error = parse(&format!("{EXAMPLE_TOP}resource = \"{bad}\"\n")).unwrap_err();
            assert!(error.contains("`resource`"), "{error}");
        }
        let doubled = format!(
            "{EXAMPLE_TOP}resource = \"https://api.a.example\"\n[authorize_params]\nresource = \"https://api.a.example\"\n"
        );
        let error = parse(&doubled).unwrap_err();
        assert!(error.contains("`resource`"), "{error}");
    }

    #[test]
    fn the_redirect_is_the_scheme_unless_loopback_is_asked_for() {
        assert_eq!(parse(EXAMPLE_TOP).unwrap().redirect(), Redirect::Scheme);
        let scheme = parse(&format!("{EXAMPLE_TOP}redirect = \"scheme\"\n")).unwrap();
        assert_eq!(scheme.redirect(), Redirect::Scheme);
        let loopback = parse(&format!("{EXAMPLE_TOP}redirect = \"loopback\"\n")).unwrap();
        assert_eq!(loopback.redirect(), Redirect::Loopback { port: None });
        let fixed = parse(&format!(
            "{EXAMPLE_TOP}redirect = \"loopback\"\nredirect_port = 8765\n"
        ))
        .unwrap();
        assert_eq!(fixed.redirect(), Redirect::Loopback { port: Some(8765) });
    }

    #[test]
    fn pushed_authorization_requests_are_off_unless_asked_for() {
        assert!(!parse(EXAMPLE_TOP).unwrap().par);
        assert!(parse(&format!("{EXAMPLE_TOP}par = true\n")).unwrap().par);
        let error = parse(&format!("{EXAMPLE_TOP}par = \"yes\"\n")).unwrap_err();
        assert!(error.contains("line 5"), "{error}");
    }

    #[test]
    fn a_bad_redirect_is_named_with_its_line() {
        let error = parse(&format!("{EXAMPLE_TOP}redirect = \"localhost\"\n")).unwrap_err();
        assert!(error.starts_with("line 5:"), "{error}");
        assert!(error.contains("`redirect`"), "{error}");
        let error = parse(&format!("{EXAMPLE_TOP}redirect_port = 8765\n")).unwrap_err();
        assert!(error.contains("`redirect_port`"), "{error}");
        let error = parse(&format!(
            "{EXAMPLE_TOP}redirect = \"loopback\"\nredirect_port = 0\n"
        ))
        .unwrap_err();
        assert!(error.contains("`redirect_port`"), "{error}");
        let error = parse(&format!(
            "{EXAMPLE_TOP}redirect = \"loopback\"\nredirect_port = 70000\n"
        ))
        .unwrap_err();
        assert!(error.starts_with("line 6, `redirect_port`:"), "{error}");
    }

    /// An environment with one variable set.
    fn environment(name: &'static str, value: &'static str) -> impl Fn(&str) -> Option<String> {
        move |asked| (asked == name).then(|| value.to_owned())
    }

    fn os_environment(
        name: &'static str,
        value: &'static str,
    ) -> impl Fn(&str) -> Option<std::ffi::OsString> {
        move |asked| (asked == name).then(|| value.into())
    }

    #[test]
    fn the_configured_variable_wins_and_must_name_an_existing_file() {
        let dir = Path::new("/nonexistent-app-config");
        let default = ConfigSource::Default(dir.join("provider.toml"));
        let config = PluginConfig {
            provider_config_env: Some("MYAPP_PROVIDER_CONFIG".into()),
            ..PluginConfig::default()
        };
        assert_eq!(config.config_source(|_| None, dir), default);
        assert_eq!(
            config.config_source(os_environment("MYAPP_PROVIDER_CONFIG", ""), dir),
            default
        );
        let env = config.config_source(
            os_environment("MYAPP_PROVIDER_CONFIG", "/nonexistent/p.toml"),
            dir,
        );
        assert_eq!(
            env,
            ConfigSource::Env {
                env: "MYAPP_PROVIDER_CONFIG".into(),
                path: "/nonexistent/p.toml".into()
            }
        );
        assert!(matches!(default.load(&AppFields::NONE), Ok(None)));
        let error = env.load(&AppFields::NONE).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/p.toml"), "{error}");
        assert!(
            error.to_string().contains("MYAPP_PROVIDER_CONFIG"),
            "{error}"
        );
    }

    #[test]
    fn without_a_configured_variable_no_environment_is_read() {
        let dir = Path::new("/nonexistent-app-config");
        let source = PluginConfig::default().config_source(
            |asked| panic!("{asked} was read without being configured"),
            dir,
        );
        assert_eq!(source, ConfigSource::Default(dir.join("provider.toml")));
        let lifetime = PluginConfig::default()
            .sign_in_lifetime(|asked| panic!("{asked} was read without being configured"));
        assert_eq!(lifetime, LONGEST_SIGN_IN_LIFETIME);
    }

    #[test]
    fn the_plugin_config_is_read_from_tauri_conf_in_camel_case() {
        let read = |json: serde_json::Value| serde_json::from_value::<Option<PluginConfig>>(json);
        assert_eq!(read(serde_json::Value::Null).unwrap(), None, "no section");
        let config = read(serde_json::json!({
            "providerConfigEnv": "MYAPP_PROVIDER_CONFIG",
            "signInLifetimeSeconds": 300,
            "signInLifetimeEnv": "MYAPP_SIGN_IN_LIFETIME_SECONDS",
        }))
        .unwrap()
        .unwrap();
        assert_eq!(
            config.provider_config_env.as_deref(),
            Some("MYAPP_PROVIDER_CONFIG")
        );
        assert_eq!(config.sign_in_lifetime_seconds, Some(300));
        let error = read(serde_json::json!({"provider_config_env": "X"})).unwrap_err();
        assert!(error.to_string().contains("provider_config_env"), "{error}");
    }

    #[test]
    fn the_builders_values_replace_the_files_and_are_checked() {
        let file = PluginConfig {
            provider_config_env: Some("FROM_FILE".into()),
            sign_in_lifetime_seconds: Some(300),
            sign_in_lifetime_env: None,
        };
        let builder = PluginConfig {
            provider_config_env: Some("FROM_BUILDER".into()),
            ..PluginConfig::default()
        };
        let merged = file.clone().with(builder).unwrap();
        assert_eq!(merged.provider_config_env.as_deref(), Some("FROM_BUILDER"));
        assert_eq!(
            merged.sign_in_lifetime_seconds,
            Some(300),
            "kept from the file"
        );
        for seconds in [0, 601] {
            let builder = PluginConfig {
                sign_in_lifetime_seconds: Some(seconds),
                ..PluginConfig::default()
            };
            assert_eq!(
                file.clone().with(builder),
                Err(PluginConfigError::SignInLifetime(seconds))
            );
        }
        let empty = PluginConfig {
            sign_in_lifetime_env: Some(" ".into()),
            ..PluginConfig::default()
        };
        assert_eq!(
            file.with(empty),
            Err(PluginConfigError::EmptyEnvName("signInLifetimeEnv"))
        );
    }

    #[test]
    fn the_lifetime_is_configured_and_the_variable_only_shortens_it() {
        let config = PluginConfig {
            sign_in_lifetime_seconds: Some(300),
            sign_in_lifetime_env: Some("LIFETIME".into()),
            ..PluginConfig::default()
        };
        assert_eq!(config.sign_in_lifetime(|_| None), Duration::from_secs(300));
        assert_eq!(
            config.sign_in_lifetime(environment("LIFETIME", "4")),
            Duration::from_secs(4)
        );
        for ignored in ["900", "0", "soon", ""] {
            assert_eq!(
                config.sign_in_lifetime(environment("LIFETIME", ignored)),
                Duration::from_secs(300),
                "{ignored:?}"
            );
        }
    }
}
