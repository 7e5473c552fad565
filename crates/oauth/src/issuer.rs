//! Issuers that stand for many tenants.
//!
//! A multi-tenant authorization server serves one metadata document for all its tenants, and
//! names its issuer there as a template: `https://login.example.com/{tenantid}/v2.0`. Each
//! tenant's tokens carry the tenant's own issuer, with the tenant id in place of the
//! placeholder, and name the tenant in a claim of the ID token (e.g. `tid`). Such a server
//! cannot pass the exact issuer check of discovery, and switching the check off would let any
//! document pass; instead the client is told the template, and the rules on
//! [`IssuerTemplate`] apply it.
//!
//! # The pieces
//!
//! | Item | What it is |
//! | --- | --- |
//! | [`IssuerTemplate`] | The template, its placeholder (a whole path segment) and the ID-token claim that names the tenant; set with [`ClientConfig::with_issuer_template`](crate::ClientConfig::with_issuer_template). |
//! | [`IssuerTemplate::issuer_for`] | The exact issuer a token of one tenant must name. |
//! | [`discover_with`](crate::discover_with) | Discovery that admits the template, as the rules say. |

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::error::{CleanText, ConfigProblem, Error, Result, TemplateProblem};
use crate::secret::IdToken;

/// The longest tenant id accepted.
const MAX_TENANT_LEN: usize = 64;

/// A multi-tenant issuer: a template with a placeholder for the tenant, and the ID-token claim
/// that names the tenant.
///
/// # Rules
///
/// 1. **Tenant ids are plain**: 1 to 64 ASCII letters, digits and `-`. Anything else (a `/`, a
///    `.`, `%`, spaces, braces, an empty value) is refused, so a tenant id can never change
///    the issuer's host or path beyond its own segment.
/// 2. **Discovery**: the configured issuer must itself be the template, or the template with a
///    tenant id or alias in place (`…/common/v2.0`, `…/contoso.example.com/v2.0`: letters,
///    digits, `-` and inner single dots); otherwise the configuration is refused. The
///    document's `issuer` must then equal the configured issuer (as without a template), the
///    template exactly (the multi-tenant document), or the template with a plain tenant id in
///    place (the server resolved an alias, such as a domain name, to its tenant). Without a
///    configured template, a document naming one is an [`Error::IssuerMismatch`].
/// 3. **ID tokens in token answers**: when the client's issuer is the template, an ID token
///    received from the token endpoint must carry the tenant claim, a plain tenant id, and an
///    `iss` equal to [`IssuerTemplate::issuer_for`] of it; otherwise the answer is refused with
///    [`Error::IssuerMismatch`]. The token comes straight from the token endpoint over the
///    transport the issuer allows (OpenID Connect Core §3.1.3.7, item 6); verifying its
///    signature is a separate step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerTemplate {
    template: String,
    /// The template before and after the placeholder.
    prefix: String,
    suffix: String,
    claim: String,
}

impl IssuerTemplate {
    /// A template such as `https://login.example.com/{tenantid}/v2.0` with its placeholder
    /// (`{tenantid}`) and the ID-token claim naming the tenant (`tid`). The placeholder must
    /// appear exactly once, as a whole path segment of an absolute URL.
    pub fn new(
        template: impl Into<String>,
        placeholder: &str,
        claim: impl Into<String>,
    ) -> Result<Self> {
        let template = template.into();
        let invalid = |problem: TemplateProblem| {
            Error::InvalidConfig(ConfigProblem::IssuerTemplate {
                template: CleanText::text(&template),
                problem,
            })
        };
        if placeholder.is_empty() || template.matches(placeholder).count() != 1 {
            return Err(invalid(TemplateProblem::PlaceholderCount));
        }
        let (prefix, suffix) = template
            .split_once(placeholder)
            .ok_or_else(|| invalid(TemplateProblem::PlaceholderCount))?;
        let prefix_url =
            url::Url::parse(prefix).map_err(|_| invalid(TemplateProblem::NotAnAddress))?;
        let whole_segment = prefix.ends_with('/')
            && prefix_url.path().starts_with('/')
            && prefix_url.query().is_none()
            && prefix_url.fragment().is_none()
            && (suffix.is_empty() || suffix.starts_with('/'))
            && !suffix.contains(['?', '#']);
        if !whole_segment {
            return Err(invalid(TemplateProblem::PlaceholderNotSegment));
        }
        let claim = claim.into();
        if claim.is_empty() {
            return Err(invalid(TemplateProblem::NoTenantClaim));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
            template,
            claim,
        })
    }

    /// The template as written, e.g. `https://login.example.com/{tenantid}/v2.0`.
    pub fn as_str(&self) -> &str {
        &self.template
    }

    /// The ID-token claim that names the tenant, e.g. `tid`.
    pub fn claim(&self) -> &str {
        &self.claim
    }

    /// The exact issuer that a token of tenant `tenant` must name: the template with `tenant`
    /// in place of the placeholder. A tenant id that is not plain (rule 1) is an
    /// [`Error::IssuerMismatch`].
    pub fn issuer_for(&self, tenant: &str) -> Result<String> {
        if !is_plain_tenant_id(tenant) {
            return Err(Error::IssuerMismatch {
                expected: CleanText::configured(&self.template),
                found: Some(CleanText::text(tenant)),
            });
        }
        Ok(format!("{}{tenant}{}", self.prefix, self.suffix))
    }

    /// True when `issuer` is the template filled in with a plain tenant id.
    fn is_instance(&self, issuer: &str) -> bool {
        issuer
            .strip_prefix(&self.prefix)
            .and_then(|rest| rest.strip_suffix(&self.suffix))
            .is_some_and(is_plain_tenant_id)
    }

    /// True when `issuer` is the template itself or one of its instances.
    fn covers(&self, issuer: &str) -> bool {
        issuer == self.template || self.is_instance(issuer)
    }

    /// True when `issuer` is the template, or the template with a tenant id or alias in place.
    fn covers_alias(&self, issuer: &str) -> bool {
        issuer == self.template
            || issuer
                .strip_prefix(&self.prefix)
                .and_then(|rest| rest.strip_suffix(&self.suffix))
                .is_some_and(is_tenant_alias)
    }

    /// Rule 3: the `iss` of an ID token from the token endpoint, against its tenant claim.
    fn check_id_token(&self, id_token: &IdToken) -> Result<()> {
        let unreadable = || Error::IssuerMismatch {
            expected: CleanText::configured(&self.template),
            found: None,
        };
        let claims = claims_of(id_token).ok_or_else(unreadable)?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        let tenant = text(&self.claim).ok_or_else(unreadable)?;
        let expected = self.issuer_for(tenant)?;
        match text("iss") {
            Some(iss) if iss == expected => Ok(()),
            found => Err(Error::IssuerMismatch {
                expected: CleanText::configured(&expected),
                found: found.map(CleanText::text),
            }),
        }
    }
}

/// Rule 2, before discovery: a configured issuer that the template does not cover is refused.
pub(crate) fn check_configured_issuer(
    issuer: &str,
    template: Option<&IssuerTemplate>,
) -> Result<()> {
    match template {
        Some(template) if !template.covers_alias(issuer) => {
            Err(Error::InvalidConfig(ConfigProblem::IssuerNotCovered {
                issuer: CleanText::text(issuer),
                template: CleanText::text(&template.template),
            }))
        }
        _ => Ok(()),
    }
}

/// Rule 2, for a discovery document: whether one naming `found` may stand for the configured
/// `issuer` (already checked with [`check_configured_issuer`]).
pub(crate) fn admits_metadata_issuer(
    issuer: &str,
    found: &str,
    template: Option<&IssuerTemplate>,
) -> bool {
    found == issuer || template.is_some_and(|template| template.covers(found))
}

/// Rule 3, for a token answer: applies when the client's issuer is the configured template.
pub(crate) fn check_id_token_issuer(
    id_token: Option<&IdToken>,
    issuer: &str,
    template: Option<&IssuerTemplate>,
) -> Result<()> {
    match (id_token, template) {
        (Some(id_token), Some(template)) if template.template == issuer => {
            template.check_id_token(id_token)
        }
        _ => Ok(()),
    }
}

/// Rule 1.
fn is_plain_tenant_id(tenant: &str) -> bool {
    (1..=MAX_TENANT_LEN).contains(&tenant.len())
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A tenant id, or a name standing for a tenant (a domain name): letters, digits, `-` and
/// single inner dots, at most a domain name's length.
fn is_tenant_alias(alias: &str) -> bool {
    (1..=253).contains(&alias.len())
        && alias
            .split('.')
            .all(|label| !label.is_empty() && is_plain_tenant_id(label))
}

/// The claims of a compact JWT, read without verifying its signature.
fn claims_of(id_token: &IdToken) -> Option<Map<String, Value>> {
    let mut parts = id_token.secret().split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "https://login.example.com/{tenantid}/v2.0";
    const TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

    fn template() -> IssuerTemplate {
        IssuerTemplate::new(TEMPLATE, "{tenantid}", "tid").unwrap()
    }

    /// An unsigned compact JWT with these claims (the check reads claims only).
    fn id_token(claims: &str) -> IdToken {
        IdToken::new(format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(claims)
        ))
    }

    #[test]
    fn a_plain_tenant_id_fills_the_placeholder() {
        assert_eq!(
            template().issuer_for(TENANT).unwrap(),
            format!("https://login.example.com/{TENANT}/v2.0")
        );
        assert_eq!(
            template().issuer_for("contoso").unwrap(),
            "https://login.example.com/contoso/v2.0"
        );
    }

    #[test]
    fn a_tenant_id_with_odd_characters_is_refused() {
        let long = "a".repeat(MAX_TENANT_LEN + 1);
        for tenant in [
            "",
            "../evil",
            "evil.example",
            "a/b",
            "a%2fb",
            "a b",
            "{tenantid}",
            "a?b",
            "a#b",
            "tenant\n",
            "t\u{e9}nant",
            long.as_str(),
        ] {
            assert!(
                matches!(
                    template().issuer_for(tenant),
                    Err(Error::IssuerMismatch { .. })
                ),
                "{tenant:?}"
            );
        }
    }

    #[test]
    fn a_template_needs_its_placeholder_once_as_a_whole_path_segment() {
        for bad in [
            "https://login.example.com/v2.0",
            "https://login.example.com/{tenantid}/{tenantid}",
            "https://{tenantid}.example.com/v2.0",
            "https://login.example.com/t-{tenantid}/v2.0",
            "https://login.example.com/{tenantid}x/v2.0",
            "https://login.example.com/v2.0?tenant={tenantid}",
            "https://login.example.com/{tenantid}?x",
            "{tenantid}/v2.0",
        ] {
            assert!(
                matches!(
                    IssuerTemplate::new(bad, "{tenantid}", "tid"),
                    Err(Error::InvalidConfig(_))
                ),
                "{bad}"
            );
        }
        assert!(
            IssuerTemplate::new("https://login.example.com/{tenantid}", "{tenantid}", "tid")
                .is_ok()
        );
        assert!(IssuerTemplate::new(TEMPLATE, "{tenantid}", "").is_err());
    }

    #[test]
    fn discovery_admits_the_template_and_its_instances_only_when_configured() {
        let common = "https://login.example.com/common/v2.0";
        let tenant = format!("https://login.example.com/{TENANT}/v2.0");
        let t = template();
        assert!(admits_metadata_issuer(common, TEMPLATE, Some(&t)));
        assert!(admits_metadata_issuer(common, &tenant, Some(&t)));
        assert!(admits_metadata_issuer(common, common, Some(&t)));
        assert!(!admits_metadata_issuer(
            common,
            "https://evil.example/x/v2.0",
            Some(&t)
        ));
        assert!(!admits_metadata_issuer(
            common,
            "https://login.example.com/a.b/v2.0",
            Some(&t)
        ));
        assert!(!admits_metadata_issuer(
            common,
            "https://login.example.com/a/b/v2.0",
            Some(&t)
        ));
        assert!(!admits_metadata_issuer(common, TEMPLATE, None));
        assert!(!admits_metadata_issuer(common, &tenant, None));
        let domain = "https://login.example.com/contoso.example.com/v2.0";
        assert!(check_configured_issuer(domain, Some(&t)).is_ok());
        assert!(check_configured_issuer(common, Some(&t)).is_ok());
        assert!(check_configured_issuer(TEMPLATE, Some(&t)).is_ok());
        assert!(check_configured_issuer("https://anything.example", None).is_ok());
        assert!(admits_metadata_issuer(domain, &tenant, Some(&t)));
        for uncovered in [
            "https://other.example/common/v2.0",
            "https://login.example.com/a/b/v2.0",
            "https://login.example.com/../v2.0",
            "https://login.example.com/.contoso/v2.0",
            "https://login.example.com/contoso..com/v2.0",
            "https://login.example.com/common/v1.0",
        ] {
            assert!(
                matches!(
                    check_configured_issuer(uncovered, Some(&t)),
                    Err(Error::InvalidConfig(_))
                ),
                "{uncovered}"
            );
        }
    }

    #[test]
    fn an_id_token_must_name_the_issuer_of_its_own_tenant() {
        let t = template();
        let good = id_token(&format!(
            r#"{{"iss":"https://login.example.com/{TENANT}/v2.0","tid":"{TENANT}"}}"#
        ));
        assert!(check_id_token_issuer(Some(&good), TEMPLATE, Some(&t)).is_ok());

        let other_tenant = id_token(&format!(
            r#"{{"iss":"https://login.example.com/other/v2.0","tid":"{TENANT}"}}"#
        ));
        let error = check_id_token_issuer(Some(&other_tenant), TEMPLATE, Some(&t)).unwrap_err();
        assert!(
            matches!(&error, Error::IssuerMismatch { expected, found: Some(_) }
                if expected.contains(TENANT)),
            "{error:?}"
        );
        for claims in [
            r#"{"iss":"https://login.example.com/a.b/v2.0","tid":"a.b"}"#.to_owned(),
            format!(r#"{{"tid":"{TENANT}"}}"#),
            format!(r#"{{"iss":"https://login.example.com/{TENANT}/v2.0"}}"#),
            r#"{"iss":"https://login.example.com/{tenantid}/v2.0","tid":"{tenantid}"}"#.to_owned(),
        ] {
            assert!(
                matches!(
                    check_id_token_issuer(Some(&id_token(&claims)), TEMPLATE, Some(&t)),
                    Err(Error::IssuerMismatch { .. })
                ),
                "{claims}"
            );
        }
        let garbage = IdToken::new("not-a-jwt");
        assert!(matches!(
            check_id_token_issuer(Some(&garbage), TEMPLATE, Some(&t)),
            Err(Error::IssuerMismatch { found: None, .. })
        ));
    }

    #[test]
    fn the_id_token_rule_applies_only_while_the_issuer_is_the_template() {
        let t = template();
        let anything = id_token(r#"{"iss":"https://elsewhere.example"}"#);
        let tenant_issuer = format!("https://login.example.com/{TENANT}/v2.0");
        assert!(check_id_token_issuer(Some(&anything), &tenant_issuer, Some(&t)).is_ok());
        assert!(check_id_token_issuer(Some(&anything), TEMPLATE, None).is_ok());
        assert!(check_id_token_issuer(None, TEMPLATE, Some(&t)).is_ok());
    }
}
