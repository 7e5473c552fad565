//! Authorization server metadata (RFC 8414) and its discovery.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{CleanText, ConfigProblem, DiscoveryAttempt, Error, NetworkFailure, Result};
use crate::http::{HttpClient, Transport};
use crate::issuer::{IssuerTemplate, admits_metadata_issuer, check_configured_issuer};

const OAUTH_WELL_KNOWN: &str = "oauth-authorization-server";
const OPENID_WELL_KNOWN: &str = "openid-configuration";

/// What the client needs to know about an authorization server.
///
/// Either discovered with [`discover`] or written by hand with [`ServerMetadata::new`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerMetadata {
    /// The issuer identifier; responses are checked against it.
    pub issuer: String,
    /// Where the browser is sent to sign in.
    pub authorization_endpoint: String,
    /// Where codes and refresh tokens are exchanged.
    pub token_endpoint: String,
    /// RFC 7009 revocation endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// OpenID Connect userinfo endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    /// Scopes the server knows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// PKCE methods the server supports (must include `S256` when listed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code_challenge_methods_supported: Vec<String>,
    /// Client authentication methods at the token endpoint, in the server's order of preference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// RFC 9207: the server puts `iss` in every authorization response.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// RFC 9126: where authorization requests are pushed before the browser opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<String>,
    /// RFC 9126: the server accepts authorization requests only when pushed.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// The server's signing keys (a JWK Set), for ID token signatures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// RFC 9449: the DPoP proof algorithms the server accepts. Listing `ES256` makes the
    /// client use DPoP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dpop_signing_alg_values_supported: Vec<String>,
}

impl ServerMetadata {
    /// Metadata written by hand (no discovery): issuer plus the two required endpoints.
    pub fn new(
        issuer: impl Into<String>,
        authorization_endpoint: impl Into<String>,
        token_endpoint: impl Into<String>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            authorization_endpoint: authorization_endpoint.into(),
            token_endpoint: token_endpoint.into(),
            revocation_endpoint: None,
            userinfo_endpoint: None,
            scopes_supported: Vec::new(),
            code_challenge_methods_supported: Vec::new(),
            token_endpoint_auth_methods_supported: Vec::new(),
            authorization_response_iss_parameter_supported: false,
            pushed_authorization_request_endpoint: None,
            require_pushed_authorization_requests: false,
            jwks_uri: None,
            dpop_signing_alg_values_supported: Vec::new(),
        }
    }

    /// Checks every endpoint is secure and that `S256` is supported when methods are listed.
    pub(crate) fn validate(&self) -> Result<ValidatedEndpoints> {
        let (issuer, transport) = Transport::of_issuer(&self.issuer)?;
        if issuer.query().is_some() || issuer.fragment().is_some() {
            return Err(Error::InvalidConfig(ConfigProblem::IssuerQueryOrFragment));
        }
        if !self.code_challenge_methods_supported.is_empty()
            && !self
                .code_challenge_methods_supported
                .iter()
                .any(|m| m == "S256")
        {
            return Err(Error::InvalidConfig(ConfigProblem::NoPkceS256));
        }
        if self.require_pushed_authorization_requests
            && self.pushed_authorization_request_endpoint.is_none()
        {
            return Err(Error::InvalidConfig(
                ConfigProblem::PushRequiredWithoutEndpoint,
            ));
        }
        let optional = |endpoint: &Option<String>| {
            endpoint
                .as_deref()
                .map(|url| transport.endpoint(url))
                .transpose()
        };
        Ok(ValidatedEndpoints {
            transport,
            authorization: transport.endpoint(&self.authorization_endpoint)?,
            token: transport.endpoint(&self.token_endpoint)?,
            revocation: optional(&self.revocation_endpoint)?,
            userinfo: optional(&self.userinfo_endpoint)?,
            pushed_authorization: optional(&self.pushed_authorization_request_endpoint)?,
            jwks: optional(&self.jwks_uri)?,
        })
    }
}

impl ServerMetadata {
    /// Checks a document found for the configured `issuer` (and its `template`) as discovery
    /// checks the one it fetches: the document must name that issuer (up to one trailing
    /// slash), or with a template the template or one tenant's issuer (see [`IssuerTemplate`]),
    /// else [`Error::IssuerMismatch`]; and every endpoint must pass the transport rules. A
    /// document kept from an earlier discovery is checked with this before it is used again.
    pub fn check_for(&self, issuer: &str, template: Option<&IssuerTemplate>) -> Result<()> {
        check_configured_issuer(issuer, template)?;
        if !(same_issuer(&self.issuer, issuer)
            || admits_metadata_issuer(issuer, &self.issuer, template))
        {
            return Err(Error::IssuerMismatch {
                expected: CleanText::configured(issuer),
                found: Some(CleanText::text(&self.issuer)),
            });
        }
        self.validate().map(drop)
    }
}

/// The endpoints as parsed, checked URLs.
#[derive(Debug, Clone)]
pub(crate) struct ValidatedEndpoints {
    /// What the issuer's endpoints and resources may use.
    pub transport: Transport,
    pub authorization: Url,
    pub token: Url,
    pub revocation: Option<Url>,
    pub userinfo: Option<Url>,
    pub pushed_authorization: Option<Url>,
    pub jwks: Option<Url>,
}

/// Fetches the metadata of `issuer`: first RFC 8414's `/.well-known/oauth-authorization-server`
/// (inserted before the issuer's path, if it has one), then `/.well-known/openid-configuration`.
/// The document's `issuer` must equal `issuer`, up to one trailing slash on either side; the
/// document's spelling is kept, since the `iss` the server sends is compared with it exactly.
/// When no place answered at all the error is [`Error::Network`] (the server is out of reach:
/// try again later); when places answered without a usable document it is
/// [`Error::Discovery`], naming each place looked.
pub async fn discover(http: &HttpClient, issuer: &str) -> Result<ServerMetadata> {
    discover_with(http, issuer, None).await
}

/// Like [`discover`], for a multi-tenant server: with a `template`, the document's `issuer`
/// may also be the template or one tenant's issuer (see [`IssuerTemplate`] for the rules).
pub async fn discover_with(
    http: &HttpClient,
    issuer: &str,
    template: Option<&IssuerTemplate>,
) -> Result<ServerMetadata> {
    let (issuer_url, _) = Transport::of_issuer(issuer)?;
    check_configured_issuer(issuer, template)?;
    let mut attempts = Vec::new();
    for url in well_known_urls(&issuer_url)? {
        match fetch_metadata(http, &url).await {
            Ok(metadata) => {
                metadata.check_for(issuer, template)?;
                return Ok(metadata);
            }
            Err(error) => {
                attempts.push(DiscoveryAttempt {
                    url,
                    error: Box::new(error),
                });
            }
        }
    }
    // A server that answered nowhere is out of reach (worth trying again later); one that
    // answered without a usable document has none.
    let unreachable: Option<Vec<NetworkFailure>> = attempts
        .iter()
        .map(|attempt| match *attempt.error {
            Error::Network(failure) => Some(failure),
            _ => None,
        })
        .collect();
    Err(
        match unreachable.and_then(|failures| failures.last().copied()) {
            Some(failure) => Error::Network(failure),
            None => Error::Discovery { attempts },
        },
    )
}

/// The issuer a document names is the configured one: equal, or equal but for one trailing
/// slash on either side (`https://id.example.com/` for `https://id.example.com`). Scheme, host,
/// port and path are the same either way, so no other server can pass for the configured one.
fn same_issuer(named: &str, configured: &str) -> bool {
    named == configured
        || named.strip_suffix('/') == Some(configured)
        || configured.strip_suffix('/') == Some(named)
}

async fn fetch_metadata(http: &HttpClient, url: &Url) -> Result<ServerMetadata> {
    let response = http.get_json_document(url).await?;
    serde_json::from_slice(&response.body).map_err(|_| response.unexpected())
}

/// The well-known URLs to try, in order. RFC 8414 §3.1 inserts the well-known segment between
/// host and path; the OpenID form (OIDC Discovery §4) appends it to the issuer, and for issuers
/// with a path the inserted form of it is tried too, then the RFC 8414 document appended to
/// the path, where servers mounted under a path often serve it.
fn well_known_urls(issuer: &Url) -> Result<Vec<Url>> {
    let path = issuer.path().trim_end_matches('/');
    let mut candidates = vec![format!("/.well-known/{OAUTH_WELL_KNOWN}{path}")];
    candidates.push(format!("{path}/.well-known/{OPENID_WELL_KNOWN}"));
    if !path.is_empty() {
        candidates.push(format!("/.well-known/{OPENID_WELL_KNOWN}{path}"));
        candidates.push(format!("{path}/.well-known/{OAUTH_WELL_KNOWN}"));
    }
    candidates
        .into_iter()
        .map(|candidate| {
            let mut url = issuer.clone();
            url.set_path(&candidate);
            Ok(url)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(issuer: &str) -> Vec<String> {
        well_known_urls(&Url::parse(issuer).unwrap())
            .unwrap()
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn well_known_urls_without_a_path() {
        assert_eq!(
            urls("https://auth.example.com"),
            [
                "https://auth.example.com/.well-known/oauth-authorization-server",
                "https://auth.example.com/.well-known/openid-configuration",
            ]
        );
    }

    #[test]
    fn well_known_urls_insert_before_the_issuer_path() {
        assert_eq!(
            urls("https://auth.example.com/tenant/"),
            [
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant",
                "https://auth.example.com/tenant/.well-known/openid-configuration",
                "https://auth.example.com/.well-known/openid-configuration/tenant",
                "https://auth.example.com/tenant/.well-known/oauth-authorization-server",
            ]
        );
    }

    #[test]
    fn an_issuer_differing_only_by_a_trailing_slash_is_the_same_issuer() {
        assert!(same_issuer(
            "https://id.example.com/",
            "https://id.example.com"
        ));
        assert!(same_issuer(
            "https://id.example.com",
            "https://id.example.com/"
        ));
        assert!(same_issuer(
            "https://id.example.com/t",
            "https://id.example.com/t"
        ));
        for other in [
            "https://id.example.com//",
            "https://id.example.com/t",
            "https://id.example.co",
            "https://evil.example.com/",
            "http://id.example.com/",
        ] {
            assert!(!same_issuer(other, "https://id.example.com"), "{other}");
        }
    }

    #[test]
    fn metadata_parses_and_ignores_unknown_fields() {
        let json = r#"{"issuer":"https://a.example","authorization_endpoint":"https://a.example/authorize",
            "token_endpoint":"https://a.example/token","code_challenge_methods_supported":["S256"],
            "authorization_response_iss_parameter_supported":true,"grant_types_supported":["authorization_code"]}"#;
        let metadata: ServerMetadata = serde_json::from_str(json).unwrap();
        assert!(metadata.authorization_response_iss_parameter_supported);
        assert!(metadata.validate().is_ok());
    }

    #[test]
    fn an_https_issuer_pointing_any_endpoint_at_http_loopback_is_refused() {
        let secure = || {
            let mut metadata = ServerMetadata::new(
                "https://a.example",
                "https://a.example/authorize",
                "https://a.example/token",
            );
            metadata.revocation_endpoint = Some("https://a.example/revoke".into());
            metadata.userinfo_endpoint = Some("https://a.example/userinfo".into());
            metadata
        };
        assert!(secure().validate().is_ok());
        let local = "http://127.0.0.1:8080/x".to_owned();
        let variants: [fn(&mut ServerMetadata, String); 6] = [
            |m, url| m.authorization_endpoint = url,
            |m, url| m.token_endpoint = url,
            |m, url| m.revocation_endpoint = Some(url),
            |m, url| m.userinfo_endpoint = Some(url),
            |m, url| m.pushed_authorization_request_endpoint = Some(url),
            |m, url| m.jwks_uri = Some(url),
        ];
        for point_at_loopback in variants {
            let mut metadata = secure();
            point_at_loopback(&mut metadata, local.clone());
            assert!(
                matches!(
                    metadata.validate(),
                    Err(Error::InsecureEndpoint {
                        reason: crate::error::InsecureReason::IssuerNotOnLoopback,
                        ..
                    })
                ),
                "{metadata:?}"
            );
        }
    }

    #[test]
    fn validation_rejects_insecure_endpoints_and_missing_s256() {
        let mut metadata = ServerMetadata::new(
            "https://a.example",
            "https://a.example/authorize",
            "http://a.example/token",
        );
        assert!(matches!(
            metadata.validate(),
            Err(Error::InsecureEndpoint { .. })
        ));
        metadata.token_endpoint = "https://a.example/token".into();
        metadata.code_challenge_methods_supported = vec!["plain".into()];
        assert!(matches!(metadata.validate(), Err(Error::InvalidConfig(_))));
    }

    #[test]
    fn requiring_pushed_requests_without_an_endpoint_is_refused() {
        let mut metadata = ServerMetadata::new(
            "https://a.example",
            "https://a.example/authorize",
            "https://a.example/token",
        );
        metadata.require_pushed_authorization_requests = true;
        assert!(matches!(metadata.validate(), Err(Error::InvalidConfig(_))));
        metadata.pushed_authorization_request_endpoint = Some("https://a.example/par".into());
        let endpoints = metadata.validate().unwrap();
        assert_eq!(
            endpoints.pushed_authorization.unwrap().as_str(),
            "https://a.example/par"
        );
    }

    #[test]
    fn a_kept_document_is_checked_like_a_discovered_one() {
        let single = "https://login.example.com/contoso/v2.0";
        let template_text = "https://login.example.com/{tenantid}/v2.0";
        let document = |issuer: &str| {
            ServerMetadata::new(
                issuer,
                "https://login.example.com/authorize",
                "https://login.example.com/token",
            )
        };
        assert!(document(single).check_for(single, None).is_ok());
        assert!(
            document(&format!("{single}/"))
                .check_for(single, None)
                .is_ok()
        );
        for (named, template) in [
            (template_text, None),
            ("https://evil.example/contoso/v2.0", None),
            ("https://login.example.com/other/v2.0", None),
        ] {
            assert!(
                matches!(
                    document(named).check_for(single, template),
                    Err(Error::IssuerMismatch { .. })
                ),
                "{named}"
            );
        }
        let template = IssuerTemplate::new(template_text, "{tenantid}", "tid").unwrap();
        assert!(
            document(template_text)
                .check_for(single, Some(&template))
                .is_ok()
        );
        let mut insecure = document(single);
        insecure.userinfo_endpoint = Some("http://login.example.com/userinfo".into());
        assert!(matches!(
            insecure.check_for(single, None),
            Err(Error::InsecureEndpoint { .. })
        ));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn endpoint() -> impl Strategy<Value = String> {
            prop_oneof![
                "https://[a-z]{1,10}\\.example/[a-z/]{0,12}",
                "http://127\\.0\\.0\\.1:[0-9]{1,4}/[a-z]{0,8}",
                "http://localhost/[a-z]{0,8}",
                ".{0,30}",
                // Loopback and near-loopback forms, odd cases and schemes.
                "(http|HTTP|https|HtTpS)://\\[::1\\](:[0-9]{1,5})?/[a-z]{0,8}",
                "(http|https)://127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}/",
                "(http|https)://(127\\.1|2130706433|0x7f000001|\\[::ffff:127\\.0\\.0\\.1\\]|127\\.0\\.0\\.1\\.nip\\.io|LOCALHOST\\.)/x",
                "(http|https)://[a-z]{1,8}(:[a-z]{1,8})?@(127\\.0\\.0\\.1|[a-z]{1,8}\\.example)/x",
                "(ftp|file|data|javascript|ws|wss|https?)://?[ -~]{0,20}",
                "https://[a-z]{1,8}\\.example/[a-z]{0,4}(\\?[a-z=]{0,8})?(#[a-z]{0,4})?",
            ]
        }

        fn signing_algs() -> impl Strategy<Value = Vec<String>> {
            proptest::collection::vec(
                prop_oneof![
                    Just("ES256".to_owned()),
                    Just("RS256".to_owned()),
                    "[ -~]{0,8}"
                ],
                0..3,
            )
        }

        /// Metadata with every endpoint field, the pushed-request, key-set and DPoP ones
        /// included.
        fn full_metadata() -> impl Strategy<Value = ServerMetadata> {
            (
                metadata(),
                proptest::option::of(endpoint()),
                any::<bool>(),
                proptest::option::of(endpoint()),
                signing_algs(),
            )
                .prop_map(|(mut metadata, par, require_par, jwks, dpop_algs)| {
                    metadata.pushed_authorization_request_endpoint = par;
                    metadata.require_pushed_authorization_requests = require_par;
                    metadata.jwks_uri = jwks;
                    metadata.dpop_signing_alg_values_supported = dpop_algs;
                    metadata
                })
        }

        /// The issuer's host is a loopback IP address (not a name).
        fn is_loopback_issuer(issuer: &str) -> bool {
            Url::parse(issuer).is_ok_and(|url| match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                _ => false,
            })
        }

        /// What every accepted endpoint must be.
        fn is_allowed(endpoint: &Url, loopback_issuer: bool) -> bool {
            let loopback_ip = match endpoint.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                _ => false,
            };
            match endpoint.scheme() {
                "https" => endpoint.host().is_some(),
                "http" => loopback_ip && loopback_issuer,
                _ => false,
            }
        }

        /// A document as a server might write it: the fields this client reads, of any JSON type.
        fn document() -> impl Strategy<Value = serde_json::Value> {
            let field = prop_oneof![
                endpoint().prop_map(serde_json::Value::from),
                any::<bool>().prop_map(serde_json::Value::from),
                any::<i64>().prop_map(serde_json::Value::from),
                Just(serde_json::Value::Null),
                signing_algs().prop_map(serde_json::Value::from),
                proptest::collection::vec(endpoint(), 0..2).prop_map(serde_json::Value::from),
            ];
            proptest::collection::btree_map(
                prop_oneof![
                    Just("issuer"),
                    Just("authorization_endpoint"),
                    Just("token_endpoint"),
                    Just("revocation_endpoint"),
                    Just("userinfo_endpoint"),
                    Just("jwks_uri"),
                    Just("pushed_authorization_request_endpoint"),
                    Just("require_pushed_authorization_requests"),
                    Just("dpop_signing_alg_values_supported"),
                    Just("code_challenge_methods_supported"),
                    Just("scopes_supported"),
                    Just("token_endpoint_auth_methods_supported"),
                    Just("authorization_response_iss_parameter_supported"),
                ],
                field,
                0..13,
            )
            .prop_map(|fields| {
                serde_json::Value::Object(
                    fields
                        .into_iter()
                        .map(|(name, value)| (name.to_owned(), value))
                        .collect(),
                )
            })
        }

        /// Checks the promise of [`ServerMetadata::validate`] about what it accepted.
        fn check_accepted(metadata: &ServerMetadata) -> Result<(), TestCaseError> {
            let Ok(endpoints) = metadata.validate() else {
                return Ok(());
            };
            let loopback_issuer = is_loopback_issuer(&metadata.issuer);
            prop_assert_eq!(
                endpoints.transport == Transport::LoopbackHttp,
                loopback_issuer
            );
            let every = [
                Some(&endpoints.authorization),
                Some(&endpoints.token),
                endpoints.revocation.as_ref(),
                endpoints.userinfo.as_ref(),
                endpoints.pushed_authorization.as_ref(),
                endpoints.jwks.as_ref(),
            ];
            for endpoint in every.into_iter().flatten() {
                prop_assert!(
                    is_allowed(endpoint, loopback_issuer),
                    "{} under {}",
                    endpoint,
                    metadata.issuer
                );
            }
            // Each validated endpoint is the one the document names, and none is dropped.
            let named = [
                Some(&metadata.authorization_endpoint),
                Some(&metadata.token_endpoint),
                metadata.revocation_endpoint.as_ref(),
                metadata.userinfo_endpoint.as_ref(),
                metadata.pushed_authorization_request_endpoint.as_ref(),
                metadata.jwks_uri.as_ref(),
            ];
            for (named, validated) in named.into_iter().zip(every) {
                let named = named.map(|text| Url::parse(text).unwrap());
                prop_assert_eq!(named.as_ref(), validated);
            }
            let issuer = Url::parse(&metadata.issuer).unwrap();
            prop_assert!(is_allowed(&issuer, loopback_issuer));
            prop_assert!(issuer.query().is_none() && issuer.fragment().is_none());
            prop_assert!(
                metadata.code_challenge_methods_supported.is_empty()
                    || metadata
                        .code_challenge_methods_supported
                        .iter()
                        .any(|m| m == "S256")
            );
            prop_assert!(
                !metadata.require_pushed_authorization_requests
                    || endpoints.pushed_authorization.is_some()
            );
            Ok(())
        }

        fn metadata() -> impl Strategy<Value = ServerMetadata> {
            (
                endpoint(),
                endpoint(),
                endpoint(),
                proptest::option::of(endpoint()),
                proptest::option::of(endpoint()),
                proptest::collection::vec("[A-Za-z0-9_]{1,10}", 0..3),
                proptest::collection::vec(
                    prop_oneof![Just("S256".to_owned()), Just("plain".to_owned())],
                    0..3,
                ),
                any::<bool>(),
            )
                .prop_map(
                    |(issuer, authorization, token, revocation, userinfo, scopes, methods, iss)| {
                        let mut metadata = ServerMetadata::new(issuer, authorization, token);
                        metadata.revocation_endpoint = revocation;
                        metadata.userinfo_endpoint = userinfo;
                        metadata.scopes_supported = scopes;
                        metadata.code_challenge_methods_supported = methods;
                        metadata.authorization_response_iss_parameter_supported = iss;
                        metadata
                    },
                )
        }

        proptest! {
            #[test]
            fn any_document_is_read_or_refused_without_panicking(document in ".{0,400}") {
                if let Ok(metadata) = serde_json::from_str::<ServerMetadata>(&document) {
                    check_accepted(&metadata)?;
                }
            }

            #[test]
            fn accepted_metadata_has_only_https_endpoints_or_loopback_http_under_a_loopback_issuer(
                metadata in full_metadata(),
            ) {
                check_accepted(&metadata)?;
            }

            #[test]
            fn any_document_with_the_fields_of_any_type_is_read_and_checked_or_refused(
                document in document(),
            ) {
                if let Ok(metadata) = serde_json::from_value::<ServerMetadata>(document) {
                    check_accepted(&metadata)?;
                }
            }

            #[test]
            fn any_bytes_are_a_document_or_refused_without_panicking(
                document in proptest::collection::vec(any::<u8>(), 0..600),
            ) {
                if let Ok(metadata) = serde_json::from_slice::<ServerMetadata>(&document) {
                    check_accepted(&metadata)?;
                }
            }

            #[test]
            fn metadata_round_trips_through_json_and_validates_without_panicking(metadata in full_metadata()) {
                let json = serde_json::to_string(&metadata).unwrap();
                let back: ServerMetadata = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(&back, &metadata);
                if let Err(error) = metadata.validate() {
                    let shown = error.to_string();
                    prop_assert!(!shown.chars().any(char::is_control), "{}", shown);
                }
            }
        }
    }
}
