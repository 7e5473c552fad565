//! What the app knows about itself as an OAuth client.

use std::time::Duration;

use crate::error::{CleanText, ConfigProblem, Error, Result};
use crate::http::HttpOptions;
use crate::issuer::IssuerTemplate;
use crate::secret::ClientSecret;

/// Parameters the authorization request sets itself; extra parameters may not override them.
const RESERVED_AUTHORIZE_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "request_uri",
    "dpop_jkt",
];

/// The client's registration and behaviour. Build with [`ClientConfig::new`] and the `with_*` methods.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The registered `client_id`.
    pub client_id: String,
    /// A client secret, sent only when set (native apps normally have none).
    pub client_secret: Option<ClientSecret>,
    /// The redirect URI, sent byte-for-byte as written here.
    pub redirect_uri: String,
    /// Requested scopes (sent space-separated).
    pub scopes: Vec<String>,
    /// Extra authorization request parameters, such as `prompt` or `login_hint`.
    pub extra_authorize_params: Vec<(String, String)>,
    /// RFC 8707 resource indicator: the API the tokens are for. Sent as `resource` on the
    /// authorization request and on every token request (code exchange and refresh), since
    /// some servers issue a token for the API only when the token request names it too.
    pub resource: Option<String>,
    /// How long a started sign-in may wait for its callback (default 10 minutes).
    pub pending_lifetime: Duration,
    /// Refresh an access token when it expires within this margin (default 60 s; capped at half
    /// of the token's lifetime so short-lived tokens are still used).
    pub refresh_skew: Duration,
    /// Timeouts and size caps.
    pub http: HttpOptions,
    /// For a multi-tenant server whose metadata names its issuer as a template; see
    /// [`IssuerTemplate`] for the rules it turns on.
    pub issuer_template: Option<IssuerTemplate>,
    /// Push every authorization request (RFC 9126) even when the server does not require it;
    /// the server must then name a `pushed_authorization_request_endpoint`. Requests are
    /// pushed anyway whenever the server requires it or offers the endpoint.
    pub par: bool,
    /// Require DPoP (RFC 9449): use it even when the server's metadata does not list
    /// `dpop_signing_alg_values_supported`, and refuse a token answer that is not bound to the
    /// key ([`Error::DpopNotBound`](crate::Error::DpopNotBound)). Default `false`: DPoP only
    /// when the metadata lists `ES256`, and a `Bearer` answer is then used as a bearer token.
    pub dpop: bool,
}

impl ClientConfig {
    /// A public client with defaults: no secret, no scopes, 10-minute sign-ins, 60 s skew.
    pub fn new(client_id: impl Into<String>, redirect_uri: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: None,
            redirect_uri: redirect_uri.into(),
            scopes: Vec::new(),
            extra_authorize_params: Vec::new(),
            resource: None,
            pending_lifetime: Duration::from_secs(10 * 60),
            refresh_skew: Duration::from_secs(60),
            http: HttpOptions::default(),
            issuer_template: None,
            par: false,
            dpop: false,
        }
    }

    /// Sets the requested scopes.
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets a client secret.
    pub fn with_client_secret(mut self, secret: ClientSecret) -> Self {
        self.client_secret = Some(secret);
        self
    }

    /// Requires pushed authorization requests (RFC 9126), see [`par`](Self::par).
    pub fn with_par(mut self, par: bool) -> Self {
        self.par = par;
        self
    }

    /// Sets whether DPoP is used whatever the server's metadata says (see [`dpop`](Self::dpop)).
    pub fn with_dpop(mut self, dpop: bool) -> Self {
        self.dpop = dpop;
        self
    }

    /// Adds an extra authorization request parameter.
    pub fn with_authorize_param(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.extra_authorize_params
            .push((name.into(), value.into()));
        self
    }

    /// Sets the RFC 8707 resource indicator (an absolute URI without a fragment).
    pub fn with_resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Accepts a multi-tenant server's templated issuer (see [`IssuerTemplate`]).
    pub fn with_issuer_template(mut self, template: IssuerTemplate) -> Self {
        self.issuer_template = Some(template);
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.client_id.is_empty() {
            return Err(Error::InvalidConfig(ConfigProblem::EmptyClientId));
        }
        url::Url::parse(&self.redirect_uri)
            .map_err(|e| Error::InvalidConfig(ConfigProblem::RedirectUri(e)))?;
        if let Some(scope) = self.scopes.iter().find(|s| s.is_empty() || s.contains(' ')) {
            return Err(Error::InvalidConfig(ConfigProblem::Scope(CleanText::text(
                scope,
            ))));
        }
        if let Some((name, _)) = self
            .extra_authorize_params
            .iter()
            .find(|(name, _)| RESERVED_AUTHORIZE_PARAMS.contains(&name.as_str()))
        {
            return Err(Error::InvalidConfig(ConfigProblem::ReservedParameter(
                CleanText::code(name),
            )));
        }
        if let Some(resource) = &self.resource {
            validate_resource(resource)?;
            if self
                .extra_authorize_params
                .iter()
                .any(|(name, _)| name == "resource")
            {
                return Err(Error::InvalidConfig(ConfigProblem::ResourceTwice));
            }
        }
        Ok(())
    }
}

/// RFC 8707 §2: an absolute URI without a fragment.
fn validate_resource(resource: &str) -> Result<()> {
    let url =
        url::Url::parse(resource).map_err(|e| Error::InvalidConfig(ConfigProblem::Resource(e)))?;
    if url.fragment().is_some() {
        return Err(Error::InvalidConfig(ConfigProblem::ResourceFragment));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_rules() {
        let config =
            ClientConfig::new("photolink-desktop", "com.example.photolink:/oauth/callback");
        assert_eq!(config.pending_lifetime, Duration::from_secs(600));
        assert_eq!(config.refresh_skew, Duration::from_secs(60));
        assert!(config.client_secret.is_none());
        assert!(config.validate().is_ok());
    }

    #[test]
    fn bad_settings_are_rejected() {
        let base = || ClientConfig::new("id", "com.example.photolink:/oauth/callback");
        let refused = |config: ClientConfig| match config.validate() {
            Err(Error::InvalidConfig(reason)) => reason,
            other => panic!("expected an invalid configuration, got {other:?}"),
        };
        assert_eq!(
            refused(ClientConfig::new("", "com.example.photolink:/cb")),
            ConfigProblem::EmptyClientId
        );
        assert_eq!(
            refused(ClientConfig::new("id", "no scheme")),
            ConfigProblem::RedirectUri(url::ParseError::RelativeUrlWithoutBase)
        );
        let scope = refused(base().with_scopes(["a b"]));
        assert_eq!(scope, ConfigProblem::Scope(CleanText::text("a b")));
        assert_eq!(scope.to_string(), r#"the scope "a b" is not a single word"#);
        let reserved = refused(base().with_authorize_param("state", "x"));
        assert_eq!(
            reserved.to_string(),
            "the extra parameter state would override one the sign-in sets itself"
        );
        assert!(
            base()
                .with_authorize_param("prompt", "consent")
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn a_resource_must_be_an_absolute_uri_without_fragment_given_once() {
        let base = || ClientConfig::new("id", "com.example.photolink:/oauth/callback");
        assert!(
            base()
                .with_resource("https://api.example.com/photos")
                .validate()
                .is_ok()
        );
        for bad in ["/photos", "https://api.example.com/#frag", ""] {
            assert!(
                matches!(
                    base().with_resource(bad).validate(),
                    Err(Error::InvalidConfig(_))
                ),
                "{bad:?}"
            );
        }
        let twice = base()
            .with_resource("https://api.example.com")
            .with_authorize_param("resource", "https://api.example.com");
        assert!(matches!(twice.validate(), Err(Error::InvalidConfig(_))));
    }
}
