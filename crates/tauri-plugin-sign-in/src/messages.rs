//! Every sentence of the sign-in a person reads: in the window, and on the pages the loopback
//! listener answers the browser with. The OAuth core's errors are technical (short, for logs);
//! here each one becomes plain words for the person in front of the window, naming the provider
//! where that helps, and the app by the product name it is given at start ([`name_the_app`]).
//! Nothing a server sent is quoted: server text is data, and the codes it carries are only
//! logged.

use std::sync::OnceLock;

use photolink_oauth::{AuthorizationErrorCode, Error as OAuthError, TokenErrorCode, shown_text};

use crate::config::{ConfigError, FieldError, WebUrlError};
use crate::error::Error;

/// The app's name in its sentences: its product name, given once at start.
static APP_NAME: OnceLock<String> = OnceLock::new();

/// Names the app in every sentence from now on (the plugin's setup gives the product name of
/// `tauri.conf.json`). The first name given stays.
pub fn name_the_app(name: &str) {
    let _ = APP_NAME.set(name.to_owned());
}

/// The app's name inside a sentence ("return to {app}"); "the app" until it is named.
fn app() -> &'static str {
    APP_NAME.get().map_or("the app", String::as_str)
}

/// The app's name opening a sentence; "The app" until it is named.
fn app_opening() -> &'static str {
    APP_NAME.get().map_or("The app", String::as_str)
}

/// Disconnect forgot the account here, but its provider was not asked to withdraw the access
/// (it refused, or could not be set up: it left the settings, or cannot be reached). `None`:
/// the provider's name is not known (it left the settings).
pub fn access_not_withdrawn(provider: Option<&str>) -> String {
    let app = app();
    match provider {
        Some(provider) => format!(
            "You are disconnected on this computer, but {provider} could not be asked to withdraw {app}'s access. You can withdraw it in your {provider} account settings."
        ),
        None => format!(
            "You are disconnected on this computer, but the photo service could not be asked to withdraw {app}'s access. You can withdraw it in your account settings there."
        ),
    }
}

/// A sign-in whose time ran out (in the waiting view, or when its callback came too late).
pub const SIGN_IN_EXPIRED: &str = "That sign-in expired. Try again.";
/// The keyring entry exists but is not something the sign-in can use.
pub const SAVED_CONNECTION_UNREADABLE: &str =
    "Your saved connection could not be read. Connect again.";
/// A link that does not belong to the sign-in waiting for the browser.
pub const LINK_IGNORED_WHILE_WAITING: &str = "A sign-in link that does not belong to this sign-in was ignored. The sign-in is still waiting for your browser.";
/// A link that arrived while no sign-in was waiting.
pub const LINK_IGNORED_NOT_WAITING: &str =
    "A sign-in link was ignored because no sign-in is in progress.";
/// The browser could not be started.
pub const BROWSER_NOT_OPENED: &str =
    "Your browser could not be opened. Use Copy link and paste the address into your browser.";
/// The account just signed in to is linked already: the new grant is given back.
pub const ACCOUNT_ALREADY_LINKED: &str = "That account is linked already. Nothing changed. To add another, choose it at the sign-in page.";
/// "Copy link" worked.
pub const LINK_COPIED: &str = "Link copied. Paste it into your browser's address bar.";

/// The persistent warning while the connection cannot be kept in the keyring.
pub fn memory_only(reason: &impl std::fmt::Display) -> String {
    let (app, app_opening) = (app(), app_opening());
    format!(
        "{app_opening} could not save your connection in the system keyring ({reason}). \
         You are connected until {app} closes; after that you will need to connect again."
    )
}

/// The keyring could not be read at start.
pub fn keyring_unavailable(reason: &impl std::fmt::Display) -> String {
    let app_opening = app_opening();
    format!(
        "{app_opening} could not read the system keyring ({reason}), so it cannot restore or keep \
         your connection. You can still connect for this session."
    )
}

/// Disconnect forgot the account here, but the keyring still holds it (it will not be restored).
pub const DISCONNECTED_KEYRING_KEPT: &str = "You are disconnected. The system keyring did not let the saved connection be deleted; it will not be used, and it will be deleted at the next start.";
/// Disconnect forgot the account here, but the keyring still holds it and the sign-in could not
/// record that it must not be used: the next start may restore it.
pub const DISCONNECTED_KEYRING_KEPT_UNRECORDED: &str = "You are disconnected for now. The system keyring did not let the saved connection be deleted, and a note not to use it could not be saved, so the next start may connect it again. Disconnect again then, or remove the saved connection from the system keyring.";

/// A page the loopback listener answers the browser with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserPage {
    /// The sign-in is complete.
    Connected,
    /// The sign-in ended without a connection, for the reason the window shows (`sentence`).
    Failed(String),
    /// A callback that does not belong to the sign-in waiting.
    Ignored,
    /// Another path than the callback's.
    NotFound,
    /// A `Host` other than the listener's address.
    Misdirected,
    /// A method other than `GET`.
    MethodNotAllowed,
    /// A request head past the size limit.
    TooLarge,
    /// A request head that did not arrive in time.
    TooSlow,
    /// A request that is not HTTP/1.x as the listener reads it.
    Unreadable,
}

impl BrowserPage {
    /// The page's title (also in the browser's tab, after the app's name).
    pub fn title(&self) -> &'static str {
        match self {
            Self::Connected => "Signed in",
            Self::Failed(_) => "Sign-in did not complete",
            Self::Ignored => "Not this sign-in",
            Self::NotFound => "Not found",
            Self::Misdirected
            | Self::MethodNotAllowed
            | Self::TooLarge
            | Self::TooSlow
            | Self::Unreadable => "Not accepted",
        }
    }

    /// What the page says.
    pub fn sentence(&self) -> String {
        let (app, app_opening) = (app(), app_opening());
        match self {
            Self::Connected => {
                format!("You are signed in. You can close this tab and return to {app}.")
            }
            Self::Failed(sentence) => {
                format!("{sentence} You can close this tab and return to {app}.")
            }
            Self::Ignored => format!(
                "This address does not belong to the sign-in {app} is waiting for, so {app} ignored it. If you are signing in, return to {app} and use the sign-in page it opened."
            ),
            Self::NotFound => format!(
                "{app_opening} only receives sign-ins at this address. You can close this tab."
            ),
            Self::Misdirected => format!(
                "{app_opening} only receives sign-ins at 127.0.0.1, from the sign-in page it opened. You can close this tab."
            ),
            Self::MethodNotAllowed => format!(
                "{app_opening} only receives sign-ins opened as a link. You can close this tab."
            ),
            Self::TooLarge => {
                format!("That request was too large for {app}. You can close this tab.")
            }
            Self::TooSlow => "That request took too long to arrive. You can close this tab.".into(),
            Self::Unreadable => {
                format!("{app_opening} could not read that request. You can close this tab.")
            }
        }
    }

    /// The page's `<title>`: the app's name and the page's title.
    pub fn tab_title(&self) -> String {
        format!("{}: {}", app_opening(), self.title())
    }
}

/// Longest address shown in a settings problem, in characters.
const SHOWN_ADDRESS: usize = 120;

/// A settings file that cannot be used: which, what is wrong, and what to do.
pub fn settings(error: &ConfigError) -> String {
    use crate::config::ConfigProblem as Problem;
    let app = app();
    let problem = match &error.problem {
        Problem::Absent => {
            return format!(
                "There are no provider settings. Write them in {} and start {app} again.",
                error.path.display()
            );
        }
        Problem::Provider(error) => settings_problem(error),
        Problem::Field(error) => field_problem(error),
        Problem::ProviderField { line, error } => {
            format!(
                "the [[providers]] table at line {line}: {}",
                field_problem(error)
            )
        }
        other => other.to_string(),
    };
    format!(
        "The provider settings in {} cannot be used: {}. Fix the file and start {app} again.",
        error.path.display(),
        problem.trim_end_matches('.')
    )
}

/// A field of `provider.toml` whose value cannot be used, in words that complete "The provider
/// settings in … cannot be used: …".
fn field_problem(error: &FieldError) -> String {
    use crate::config::FieldProblem as P;
    let field = error.field;
    match &error.problem {
        P::Empty => format!("the field `{field}` must not be empty"),
        P::WebUrl(problem) => web_address_problem(field, problem),
        P::MissingBeside(_) => format!(
            "the field `{field}` is missing: give both authorization_endpoint and token_endpoint, \
             or neither to use discovery"
        ),
        P::PortZero => format!("the field `{field}` must be a port number from 1 to 65535"),
        P::PortWithoutLoopback => {
            format!("the field `{field}` only applies with redirect = \"loopback\"")
        }
        P::NotAnAbsoluteUri(problem) => {
            format!(
                "the field `{field}` is not a whole address such as https://api.example.com ({problem})"
            )
        }
        P::Fragment => format!("the field `{field}` may not have a fragment (#…)"),
        P::AlsoInAuthorizeParams => {
            format!("the field `{field}` is also in [authorize_params]: give it once, as `{field}`")
        }
        P::NotOneScope(scope) => {
            format!("the field `{field}` holds {scope:?}, which is not a single scope name")
        }
        P::TenantWithoutPreset => {
            format!("the field `{field}` only applies with preset = \"microsoft\"")
        }
        P::SecretRequired(preset) => format!(
            "the field `{field}` is missing: with preset = \"{}\" give the client secret the \
             provider issued with the client id",
            preset.name()
        ),
        P::NotATenantTemplate => format!(
            "the field `{field}` must be an address with {{tenantid}} as one whole path segment"
        ),
    }
}

/// A field meant to hold a web address that does not, in words that complete "The provider
/// settings in … cannot be used: …" (the app's own fields use it too).
pub fn web_address_problem(field: &str, problem: &WebUrlError) -> String {
    match problem {
        WebUrlError::NotAnAddress(error) => {
            format!("the field `{field}` is not a valid address ({error})")
        }
        WebUrlError::NotWeb(scheme) => {
            format!("the field `{field}` must be an https address, not {scheme}:")
        }
    }
}

/// What is wrong with `provider.toml`, when setting the provider up refused it, in words that
/// complete "The provider settings in … cannot be used: …". An address named here is the one
/// the file (or the server's configuration, for the file's issuer) gave, never other server text.
pub fn settings_problem(error: &OAuthError) -> String {
    use photolink_oauth::InsecureReason as Why;
    match error {
        OAuthError::IssuerMismatch { expected, .. } => format!(
            "the server's configuration names a different issuer than the file's issuer ({expected}); \
             check the issuer address, including any path and the trailing slash"
        ),
        OAuthError::InsecureEndpoint { url, reason } => {
            // The address may come from the server's configuration: shown shortened.
            let url = shown_text(url, SHOWN_ADDRESS);
            match reason {
                Why::LocalhostName => {
                    format!("{url} uses plain http on localhost; write 127.0.0.1 instead")
                }
                Why::IssuerNotOnLoopback => format!(
                    "{url} uses plain http, which {} accepts only when the issuer itself is on this computer",
                    app()
                ),
                _ => format!("{url} must use https"),
            }
        }
        OAuthError::InvalidConfig(problem) => config_problem(problem),
        other => other.to_string(),
    }
}

/// A provider setting the OAuth core refused, in words that complete "The provider settings
/// in … cannot be used: …", naming the field of `provider.toml` to fix.
fn config_problem(problem: &photolink_oauth::ConfigProblem) -> String {
    use photolink_oauth::{ConfigProblem as P, TemplateProblem as T};
    let app = app();
    match problem {
        P::EmptyClientId => "the client_id is empty".into(),
        P::RedirectUri(_) => "the redirect URI is not a valid address".into(),
        P::Scope(scope) => format!(
            "the scope \"{scope}\" in scopes is not a single word; write each scope as its own item"
        ),
        P::ReservedParameter(name) => format!(
            "the authorize_params entry {name} would replace a parameter {app} sets itself; remove it"
        ),
        P::ResourceTwice => {
            "the resource is given twice, as resource and in authorize_params; keep one".into()
        }
        P::Resource(_) => {
            "the resource is not an absolute address (such as https://api.example.com)".into()
        }
        P::ResourceFragment => "the resource may not have a # part".into(),
        P::IssuerTemplate { template, problem } => match problem {
            T::PlaceholderCount => format!(
                "the issuer_template {template} must hold its tenant placeholder exactly once"
            ),
            T::NotAnAddress => format!("the issuer_template {template} is not an address"),
            T::PlaceholderNotSegment => format!(
                "the issuer_template {template} must have its tenant placeholder as a whole part of the path"
            ),
            T::NoTenantClaim => {
                format!("the issuer_template {template} names no claim for the tenant")
            }
            _ => format!("the issuer_template {template} cannot be used"),
        },
        P::IssuerNotCovered { issuer, template } => {
            format!("the issuer {issuer} is not one the issuer_template {template} describes")
        }
        P::IssuerQueryOrFragment => "the issuer may not have a ? or # part".into(),
        P::Address { address, .. } => format!(
            "{} is not a valid address",
            shown_text(address.as_str(), SHOWN_ADDRESS)
        ),
        P::Proxy => "the proxy is not a valid proxy address".into(),
        P::NoPkceS256 => format!(
            "the server does not support PKCE with S256, which {app} requires for every sign-in"
        ),
        P::PushRequiredWithoutEndpoint => "the server's configuration requires pushed \
             authorization requests but names no address for them"
            .into(),
        P::NoPushEndpoint => {
            "par is on, but the server names no address for pushed authorization requests; \
             turn par off"
                .into()
        }
        P::PushRequired => {
            "the server accepts only pushed authorization requests; turn par on".into()
        }
        P::NoDpopEs256 => format!(
            "dpop is on, but the server does not accept the ES256 proofs {app} makes; turn dpop off"
        ),
        P::LifetimeTooLong => "the sign-in lifetime is too long".into(),
        other => other.to_string(),
    }
}

/// The sentence for an OAuth core error; `provider` is the provider's display name.
pub fn oauth(error: &OAuthError, provider: &str) -> String {
    use OAuthError as E;
    let (app, app_opening) = (app(), app_opening());
    match error {
        E::InvalidConfig(_) | E::InsecureEndpoint { .. } => format!(
            "The settings for {provider} cannot be used. Check the provider settings and start {app} again."
        ),
        E::NoPendingAuthorization
        | E::StateMismatch
        | E::InvalidCallback(_)
        | E::SavedSignInMismatch => "That sign-in link could not be used. Try again.".into(),
        E::AuthorizationExpired => SIGN_IN_EXPIRED.into(),
        E::IssuerMismatch { .. } => format!(
            "The sign-in answer did not come from {provider}, so {app} rejected it. Try again."
        ),
        E::Authorization { code, .. } => authorization(code, provider),
        E::PushedAuthorization { status, .. } if *status >= 500 => {
            format!("{provider} had a problem (HTTP {status}). Try again later.")
        }
        E::PushedAuthorization { code, .. } => pushed_authorization(code, provider),
        E::IdToken(_) => format!(
            "{app_opening} could not confirm that the sign-in came from {provider}, so it rejected it. Try again."
        ),
        // A 5xx is the server failing on its side, whatever error code it sends along.
        E::Token { status, .. } | E::UnexpectedResponse { status, .. } if *status >= 500 => {
            format!("{provider} had a problem (HTTP {status}). Try again later.")
        }
        E::Token { code, .. } => token(code, provider),
        E::UnexpectedResponse { status, .. } => {
            format!("{provider} gave an answer {app} could not use (HTTP {status}).")
        }
        E::DpopNotBound => format!(
            "{provider} did not bind the sign-in to this computer's key (DPoP), which the provider settings require, so {app} did not use it."
        ),
        E::ResponseTooLarge { .. } => {
            format!("{provider} sent an answer too large to read. Try again later.")
        }
        E::Network(_) => {
            format!(
                "{app_opening} could not reach {provider}. Check your connection and try again."
            )
        }
        E::Discovery { .. } => {
            format!("{app_opening} could not read {provider}'s sign-in settings. Try again later.")
        }
        E::NotConnected => "No account is connected.".into(),
        E::ReconnectNeeded => {
            format!("Your connection to {provider} has expired or was withdrawn. Connect again.")
        }
        E::NoUserinfoEndpoint => format!("{provider} does not share account details."),
        E::RevocationFailed { .. } => access_not_withdrawn(Some(provider)),
        E::Storage(_) => format!("{app_opening} could not use the system keyring."),
        E::Internal(_) => format!("Something went wrong inside {app}. Try again."),
        _ => "Something went wrong while talking to your photo service. Try again.".into(),
    }
}

fn authorization(code: &AuthorizationErrorCode, provider: &str) -> String {
    use AuthorizationErrorCode as C;
    let app = app();
    match code {
        C::AccessDenied => format!("You declined access at {provider}."),
        C::ServerError => format!("{provider} had a problem during sign-in. Try again."),
        C::TemporarilyUnavailable => {
            format!("{provider} is busy or down for maintenance. Try again later.")
        }
        C::InvalidScope => format!("{provider} does not allow the access {app} asks for."),
        C::InvalidRequest | C::UnauthorizedClient | C::UnsupportedResponseType | C::Other(_) => {
            format!("{provider} refused the sign-in.")
        }
    }
}

/// The provider refused the sign-in request the app sends it before opening the browser
/// (RFC 9126); the codes are authorization request codes, plus client authentication's.
fn pushed_authorization(code: &AuthorizationErrorCode, provider: &str) -> String {
    use AuthorizationErrorCode as C;
    let app = app();
    match code {
        C::TemporarilyUnavailable | C::ServerError => authorization(code, provider),
        C::InvalidScope => format!("{provider} does not allow the access {app} asks for."),
        C::UnauthorizedClient => {
            format!("{provider} does not recognise {app}. Check the provider settings.")
        }
        C::Other(other) if other == "invalid_client" => {
            format!("{provider} does not recognise {app}. Check the provider settings.")
        }
        _ => format!(
            "{provider} refused to start the sign-in, so your browser was not opened. Check the provider settings and try again."
        ),
    }
}

fn token(code: &TokenErrorCode, provider: &str) -> String {
    use TokenErrorCode as C;
    let app = app();
    match code {
        C::InvalidGrant => format!(
            "{provider} no longer accepts that sign-in (it expired, was used or was withdrawn). Try again."
        ),
        C::InvalidClient | C::UnauthorizedClient => {
            format!("{provider} does not recognise {app}. Check the provider settings.")
        }
        C::InvalidScope => format!("{provider} does not allow the access {app} asks for."),
        C::InvalidRequest | C::UnsupportedGrantType | C::Other(_) => {
            format!("{provider} refused to finish the sign-in. Try again.")
        }
    }
}

/// The sentence for any error of the sign-in.
pub fn error(error: &Error, provider: &str) -> String {
    let app_opening = app_opening();
    match error {
        Error::OAuth(error) => oauth(error, provider),
        Error::Config(error) => settings(error),
        #[cfg(feature = "demo-provider")]
        Error::DemoProvider(_) => format!(
            "The built-in Demo Photos provider could not start. Start {} again.",
            app()
        ),
        Error::MissingDirectory(which) => {
            format!("{app_opening} could not find its {which} folder.")
        }
        Error::NotWaiting => "No sign-in is waiting for your browser.".into(),
        Error::NoSuchAccount => "That account is no longer linked.".into(),
        Error::ProviderGone => format!(
            "This account's provider is no longer in the provider settings. Disconnect the account, or add its provider back and start {} again.",
            app()
        ),
        Error::NoSuchProvider => "That provider is not in the provider settings.".into(),
        Error::Clipboard(_) => "The link could not be copied.".into(),
        Error::RedirectListener(_) => format!(
            "{app_opening} could not get ready to receive the sign-in from your browser. Another program may be using the port in the provider settings (redirect_port). Try again."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use photolink_oauth::{
        CallbackProblem, ConfigProblem, InternalFailure, NetworkFailure, ResponseProblem,
        RevocationFailure, StoreError,
    };

    use crate::store::KeyringError;

    const PROVIDER: &str = "Demo Photos";

    #[test]
    fn a_refusal_names_the_provider() {
        let denied = OAuthError::Authorization {
            code: AuthorizationErrorCode::AccessDenied,
            description: Some("The user said no".into()),
            uri: None,
        };
        assert_eq!(
            oauth(&denied, PROVIDER),
            "You declined access at Demo Photos."
        );
    }

    #[test]
    fn an_expired_sign_in_says_so_and_invites_a_retry() {
        assert_eq!(
            oauth(&OAuthError::AuthorizationExpired, PROVIDER),
            "That sign-in expired. Try again."
        );
    }

    #[test]
    fn server_text_is_never_quoted() {
        let hostile = "access_token=leaked <script>";
        let errors = [
            OAuthError::Authorization {
                code: AuthorizationErrorCode::Other(hostile.into()),
                description: Some(hostile.into()),
                uri: Some(hostile.into()),
            },
            OAuthError::Token {
                code: TokenErrorCode::Other(hostile.into()),
                description: Some(hostile.into()),
                uri: None,
                status: 400,
                retry_after: None,
            },
            OAuthError::IssuerMismatch {
                expected: hostile.into(),
                found: Some(hostile.into()),
            },
            OAuthError::InsecureEndpoint {
                url: hostile.into(),
                reason: photolink_oauth::InsecureReason::NotHttps,
            },
            OAuthError::Storage(StoreError::new(KeyringError::Platform(hostile.into()))),
        ];
        for error in &errors {
            let sentence = oauth(error, PROVIDER);
            assert!(!sentence.contains("leaked"), "{error:?} → {sentence}");
            assert!(sentence.ends_with('.'), "{sentence}");
        }
    }

    #[test]
    fn every_sentence_is_plain_words() {
        let errors = [
            OAuthError::NoPendingAuthorization,
            OAuthError::StateMismatch,
            OAuthError::IssuerMismatch {
                expected: "a".into(),
                found: None,
            },
            OAuthError::ResponseTooLarge { limit: 1 },
            OAuthError::NotConnected,
            OAuthError::ReconnectNeeded,
            OAuthError::NoUserinfoEndpoint,
            OAuthError::InsecureEndpoint {
                url: "x".into(),
                reason: photolink_oauth::InsecureReason::NotHttps,
            },
            OAuthError::UnexpectedResponse {
                status: 404,
                detail: ResponseProblem::WebPage,
                retry_after: None,
            },
            OAuthError::Network(NetworkFailure::TimedOut),
            OAuthError::Discovery {
                attempts: Vec::new(),
            },
            OAuthError::InvalidCallback(CallbackProblem::NoState),
            OAuthError::RevocationFailed {
                reason: RevocationFailure::NoEndpoint,
            },
            OAuthError::Internal(InternalFailure::RandomSource),
            OAuthError::InvalidConfig(ConfigProblem::EmptyClientId),
        ];
        for error in &errors {
            let sentence = oauth(error, PROVIDER);
            assert!(
                !sentence.contains('_') && sentence.ends_with('.'),
                "{error:?} → {sentence}"
            );
        }
        assert_eq!(
            oauth(&OAuthError::ReconnectNeeded, PROVIDER),
            "Your connection to Demo Photos has expired or was withdrawn. Connect again."
        );
    }

    #[test]
    fn each_field_problem_has_its_own_sentence_naming_the_field() {
        use crate::config::{ConfigProblem, FieldProblem};
        use crate::presets::Preset;
        let sentence = |field, problem| {
            settings(&ConfigError {
                path: "/p.toml".into(),
                problem: ConfigProblem::Field(FieldError { field, problem }),
            })
        };
        let problems = [
            ("name", FieldProblem::Empty),
            (
                "issuer",
                FieldProblem::WebUrl(WebUrlError::NotWeb("ftp".into())),
            ),
            (
                "token_endpoint",
                FieldProblem::MissingBeside("authorization_endpoint"),
            ),
            ("redirect_port", FieldProblem::PortZero),
            ("redirect_port", FieldProblem::PortWithoutLoopback),
            (
                "resource",
                FieldProblem::NotAnAbsoluteUri(url::ParseError::RelativeUrlWithoutBase),
            ),
            ("resource", FieldProblem::Fragment),
            ("resource", FieldProblem::AlsoInAuthorizeParams),
            ("scopes", FieldProblem::NotOneScope("a b".into())),
            ("tenant", FieldProblem::TenantWithoutPreset),
            (
                "client_secret",
                FieldProblem::SecretRequired(Preset::Google),
            ),
            ("issuer_template", FieldProblem::NotATenantTemplate),
        ];
        let sentences: Vec<String> = problems
            .into_iter()
            .map(|(field, problem)| {
                let said = sentence(field, problem.clone());
                assert!(said.contains(&format!("`{field}`")), "{said}");
                assert!(
                    !said.contains(&problem.to_string()),
                    "the technical text is not the sentence: {said}"
                );
                said
            })
            .collect();
        let distinct: std::collections::BTreeSet<_> = sentences.iter().collect();
        assert_eq!(distinct.len(), sentences.len(), "{sentences:#?}");
        assert_eq!(
            sentences[1],
            "The provider settings in /p.toml cannot be used: the field `issuer` must be an https \
             address, not ftp:. Fix the file and start the app again."
        );
        let in_a_table = settings(&ConfigError {
            path: "/p.toml".into(),
            problem: ConfigProblem::ProviderField {
                line: 7,
                error: FieldError {
                    field: "client_id",
                    problem: FieldProblem::Empty,
                },
            },
        });
        assert_eq!(
            in_a_table,
            "The provider settings in /p.toml cannot be used: the [[providers]] table at line 7: \
             the field `client_id` must not be empty. Fix the file and start the app again."
        );
    }

    #[test]
    fn a_bad_settings_file_is_a_technical_error_and_a_sentence() {
        use crate::config::{ConfigProblem, FieldProblem};
        let error = ConfigError {
            path: "/home/a/provider.toml".into(),
            problem: ConfigProblem::Field(FieldError {
                field: "client_id",
                problem: FieldProblem::Empty,
            }),
        };
        assert_eq!(
            error.to_string(),
            "provider settings /home/a/provider.toml: the field `client_id` is empty"
        );
        assert_eq!(
            settings(&error),
            "The provider settings in /home/a/provider.toml cannot be used: the field `client_id` must not be empty. Fix the file and start the app again."
        );
        let absent = ConfigError {
            path: "/home/a/provider.toml".into(),
            problem: ConfigProblem::Absent,
        };
        assert_eq!(
            settings(&absent),
            "There are no provider settings. Write them in /home/a/provider.toml and start the app again."
        );
    }

    #[test]
    fn settings_problems_are_explained_without_the_servers_words() {
        let mismatch = OAuthError::IssuerMismatch {
            expected: "https://photos.example.com".into(),
            found: Some("https://impostor.example".into()),
        };
        assert_eq!(
            settings_problem(&mismatch),
            "the server's configuration names a different issuer than the file's issuer \
             (https://photos.example.com); check the issuer address, including any path and the \
             trailing slash"
        );
        let localhost = OAuthError::InsecureEndpoint {
            url: "http://localhost:8080/token".into(),
            reason: photolink_oauth::InsecureReason::LocalhostName,
        };
        assert_eq!(
            settings_problem(&localhost),
            "http://localhost:8080/token uses plain http on localhost; write 127.0.0.1 instead"
        );
        let long = OAuthError::InsecureEndpoint {
            url: photolink_oauth::CleanText::configured(&format!(
                "http://photos.example.com/{}",
                "a".repeat(5000)
            )),
            reason: photolink_oauth::InsecureReason::NotHttps,
        };
        let sentence = settings_problem(&long);
        assert!(
            sentence.len() < 200 && sentence.ends_with("… must use https"),
            "{sentence}"
        );
    }

    #[test]
    fn each_refused_setting_has_its_own_sentence_naming_the_field() {
        let metadata = photolink_oauth::ServerMetadata::new(
            "https://photos.example.com",
            "https://photos.example.com/authorize",
            "https://photos.example.com/token",
        );
        let refused = |config| match photolink_oauth::OAuthClient::new(config, metadata.clone()) {
            Err(error) => settings_problem(&error),
            Ok(_) => panic!("expected the settings to be refused"),
        };
        let base = || photolink_oauth::ClientConfig::new("id", "com.example.photolink:/cb");
        let sentences = [
            refused(photolink_oauth::ClientConfig::new(
                "",
                "com.example.photolink:/cb",
            )),
            refused(photolink_oauth::ClientConfig::new("id", "no scheme")),
            refused(base().with_scopes(["a b"])),
            refused(base().with_authorize_param("state", "x")),
            refused(base().with_resource("/photos")),
            refused(base().with_resource("https://api.example.com/#part")),
            refused(
                base()
                    .with_resource("https://api.example.com")
                    .with_authorize_param("resource", "https://api.example.com"),
            ),
        ];
        assert_eq!(
            sentences,
            [
                "the client_id is empty",
                "the redirect URI is not a valid address",
                "the scope \"a b\" in scopes is not a single word; write each scope as its own item",
                "the authorize_params entry state would replace a parameter the app sets itself; remove it",
                "the resource is not an absolute address (such as https://api.example.com)",
                "the resource may not have a # part",
                "the resource is given twice, as resource and in authorize_params; keep one",
            ]
        );
        let template = photolink_oauth::IssuerTemplate::new(
            "https://login.example.com/v2.0",
            "{tenantid}",
            "tid",
        )
        .unwrap_err();
        assert_eq!(
            settings_problem(&template),
            "the issuer_template https://login.example.com/v2.0 must hold its tenant placeholder exactly once"
        );
        let dpop = OAuthError::InvalidConfig(ConfigProblem::NoDpopEs256);
        assert_eq!(
            settings_problem(&dpop),
            "dpop is on, but the server does not accept the ES256 proofs the app makes; turn dpop off"
        );
    }

    #[test]
    fn a_token_endpoint_that_fails_on_its_side_is_not_called_a_refusal() {
        let unavailable = OAuthError::Token {
            code: TokenErrorCode::Other("temporarily_unavailable".into()),
            description: None,
            uri: None,
            status: 503,
            retry_after: Some(std::time::Duration::from_secs(2)),
        };
        assert_eq!(
            oauth(&unavailable, PROVIDER),
            "Demo Photos had a problem (HTTP 503). Try again later."
        );
    }

    #[test]
    fn a_refused_pushed_request_says_the_browser_was_not_opened_and_quotes_nothing() {
        let refused = |code: &str, status| OAuthError::PushedAuthorization {
            code: AuthorizationErrorCode::parse(code),
            description: Some("redirect_uri not allowed for tGzv3JOkF0XG5Qx2TlKWIA".into()),
            uri: None,
            status,
            retry_after: None,
        };
        let sentence = oauth(&refused("invalid_request", 400), PROVIDER);
        assert_eq!(
            sentence,
            "Demo Photos refused to start the sign-in, so your browser was not opened. Check the provider settings and try again."
        );
        assert_eq!(
            oauth(&refused("invalid_client", 401), PROVIDER),
            "Demo Photos does not recognise the app. Check the provider settings."
        );
        assert_eq!(
            oauth(&refused("server_error", 503), PROVIDER),
            "Demo Photos had a problem (HTTP 503). Try again later."
        );
    }

    #[test]
    fn a_refused_id_token_is_a_rejected_sign_in() {
        let error = OAuthError::IdToken(photolink_oauth::IdTokenError::BadSignature);
        assert_eq!(
            oauth(&error, PROVIDER),
            "The app could not confirm that the sign-in came from Demo Photos, so it rejected it. Try again."
        );
    }

    #[test]
    fn an_unbound_token_under_required_dpop_says_what_the_settings_require() {
        assert_eq!(
            oauth(&OAuthError::DpopNotBound, PROVIDER),
            "Demo Photos did not bind the sign-in to this computer's key (DPoP), which the provider settings require, so the app did not use it."
        );
    }

    #[test]
    fn sign_in_errors_have_sentences_too() {
        assert_eq!(
            error(&Error::NotWaiting, PROVIDER),
            "No sign-in is waiting for your browser."
        );
        assert_eq!(
            error(
                &Error::OAuth(OAuthError::Network(NetworkFailure::CouldNotConnect)),
                PROVIDER
            ),
            "The app could not reach Demo Photos. Check your connection and try again."
        );
    }
}
