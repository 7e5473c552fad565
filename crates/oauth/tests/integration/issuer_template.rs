//! A multi-tenant server over real HTTP: a scripted server whose discovery document names its
//! issuer as a template (`…/{tenantid}/v2.0`), as multi-tenant identity platforms publish it,
//! and whose token endpoint answers with ID tokens of one tenant or another.

use std::sync::{Arc, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use photolink_oauth::{ClientConfig, Error, IssuerTemplate, OAuthClient, RefreshToken};

use crate::support::mock::{Captured, Mock, config, exchange, json, reply};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// The scripted multi-tenant server; its base URL once started.
struct MultiTenant {
    mock: Mock,
}

impl MultiTenant {
    async fn start() -> Self {
        let base = Arc::new(OnceLock::<String>::new());
        let known = base.clone();
        let mock = Mock::start(move |request| answer(known.get().unwrap(), request)).await;
        base.set(mock.base.clone()).unwrap();
        Self { mock }
    }

    /// Where the client discovers from: the `common` alias of the tenants.
    fn issuer(&self) -> String {
        format!("{}/common/v2.0", self.mock.base)
    }

    fn template(&self) -> IssuerTemplate {
        IssuerTemplate::new(
            format!("{}/{{tenantid}}/v2.0", self.mock.base),
            "{tenantid}",
            "tid",
        )
        .unwrap()
    }

    fn tenant_issuer(&self, tenant: &str) -> String {
        format!("{}/{tenant}/v2.0", self.mock.base)
    }

    async fn client(&self) -> OAuthClient {
        let config: ClientConfig = config().with_issuer_template(self.template());
        OAuthClient::discover(config, &self.issuer()).await.unwrap()
    }
}

/// Discovery under `/common/v2.0` names the template; the token endpoint's ID token depends
/// on the code: `good` (the tenant's own issuer), `other` (another tenant's issuer), `odd` (a
/// tenant id with odd characters).
fn answer(base: &str, request: &Captured) -> axum::response::Response {
    match request.path.as_str() {
        "/common/v2.0/.well-known/openid-configuration" => json(
            200,
            &format!(
                r#"{{"issuer":"{base}/{{tenantid}}/v2.0",
                    "authorization_endpoint":"{base}/common/oauth2/v2.0/authorize",
                    "token_endpoint":"{base}/common/oauth2/v2.0/token",
                    "code_challenge_methods_supported":["S256"]}}"#
            ),
        ),
        "/common/oauth2/v2.0/token" => {
            let (iss, tid) = match request.param("code").or(request.param("refresh_token")) {
                Some("good") => (format!("{base}/{TENANT}/v2.0"), TENANT.to_owned()),
                Some("other") => (format!("{base}/attacker/v2.0"), TENANT.to_owned()),
                _ => (format!("{base}/a.b/v2.0"), "a.b".to_owned()),
            };
            let claims = format!(r#"{{"iss":"{iss}","tid":"{tid}","aud":"photolink-desktop"}}"#);
            let id_token = format!(
                "{}.{}.signature",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k"}"#),
                URL_SAFE_NO_PAD.encode(claims)
            );
            json(
                200,
                &format!(
                    r#"{{"access_token":"at","token_type":"Bearer","expires_in":3600,
                        "refresh_token":"good","id_token":"{id_token}"}}"#
                ),
            )
        }
        _ => reply(404, "text/plain", "not found"),
    }
}

#[tokio::test]
async fn discovery_admits_a_templated_issuer_when_the_configuration_names_the_template() {
    let server = MultiTenant::start().await;
    let client = server.client().await;
    assert_eq!(client.metadata().issuer, server.template().as_str());
    assert_eq!(
        client.metadata().token_endpoint,
        format!("{}/common/oauth2/v2.0/token", server.mock.base)
    );
}

#[tokio::test]
async fn a_templated_issuer_without_the_template_in_the_configuration_is_refused() {
    let server = MultiTenant::start().await;
    let error = OAuthClient::discover(config(), &server.issuer())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::IssuerMismatch { expected, found: Some(_) } if *expected == server.issuer()),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_template_that_does_not_cover_the_configured_issuer_is_refused() {
    let server = MultiTenant::start().await;
    let elsewhere = IssuerTemplate::new(
        format!("{}/tenants/{{tenantid}}", server.mock.base),
        "{tenantid}",
        "tid",
    )
    .unwrap();
    let error = OAuthClient::discover(config().with_issuer_template(elsewhere), &server.issuer())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidConfig(_)), "{error:?}");
    assert!(
        server.mock.requests().is_empty(),
        "refused before anything was fetched"
    );
}

#[tokio::test]
async fn an_id_token_naming_its_own_tenants_issuer_is_accepted_on_code_and_refresh() {
    let server = MultiTenant::start().await;
    let client = server.client().await;
    let tokens = exchange(&client, "good").await.unwrap();
    assert!(tokens.id_token.is_some());
    let refreshed = client.refresh(&tokens).await.unwrap();
    assert!(refreshed.id_token.is_some());
    assert_eq!(
        server.template().issuer_for(TENANT).unwrap(),
        server.tenant_issuer(TENANT)
    );
}

#[tokio::test]
async fn an_id_token_whose_iss_is_another_tenants_is_refused() {
    let server = MultiTenant::start().await;
    let client = server.client().await;
    let error = exchange(&client, "other").await.unwrap_err();
    assert!(
        matches!(&error, Error::IssuerMismatch { expected, found: Some(_) }
            if *expected == server.tenant_issuer(TENANT)),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_id_token_whose_tenant_id_has_odd_characters_is_refused() {
    let server = MultiTenant::start().await;
    let client = server.client().await;
    let error = exchange(&client, "odd").await.unwrap_err();
    assert!(
        matches!(&error, Error::IssuerMismatch { expected, .. } if *expected == server.template().as_str()),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refreshed_id_token_naming_another_tenants_issuer_is_refused() {
    let server = MultiTenant::start().await;
    let client = server.client().await;
    let mut tokens = exchange(&client, "good").await.unwrap();
    tokens.refresh_token = Some(RefreshToken::new("other"));

    let error = client.refresh(&tokens).await.unwrap_err();

    assert!(
        matches!(&error, Error::IssuerMismatch { expected, .. } if *expected == server.tenant_issuer(TENANT)),
        "{error:?}"
    );
}
