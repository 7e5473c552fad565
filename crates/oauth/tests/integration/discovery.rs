//! Discovery against the demo provider: both well-known documents, path insertion, and a
//! provider that names another issuer.

use photolink_demo_provider::{Config, WellKnownDocuments};
use std::sync::{Arc, OnceLock};

use photolink_oauth::{
    Error, HttpClient, HttpOptions, InsecureReason, OAuthClient, ServerMetadata, discover,
};

use crate::support::mock::{Mock, json};
use crate::support::provider::start;

async fn discover_from(
    config: Config,
) -> (
    photolink_demo_provider::ProviderHandle,
    Result<photolink_oauth::ServerMetadata, Error>,
) {
    let provider = start(config).await;
    let http = HttpClient::new(HttpOptions::default()).unwrap();
    let result = discover(&http, provider.issuer_url()).await;
    (provider, result)
}

#[tokio::test]
async fn rfc8414_document_is_found() {
    let config = Config {
        well_known: WellKnownDocuments::OAuthAuthorizationServer,
        ..Config::default()
    };
    let (provider, metadata) = discover_from(config).await;
    let metadata = metadata.unwrap();
    assert_eq!(metadata.issuer, provider.issuer_url());
    assert_eq!(metadata.token_endpoint, provider.endpoints().token);
    assert_eq!(
        metadata.revocation_endpoint.as_deref(),
        Some(provider.endpoints().revocation.as_str())
    );
    assert!(metadata.authorization_response_iss_parameter_supported);
}

#[tokio::test]
async fn rfc8414_path_insertion_for_an_issuer_with_a_path() {
    let config = Config {
        well_known: WellKnownDocuments::OAuthAuthorizationServer,
        issuer_path: "/tenant".into(),
        ..Config::default()
    };
    let (provider, metadata) = discover_from(config).await;
    assert!(provider.issuer_url().ends_with("/tenant"));
    assert_eq!(metadata.unwrap().issuer, provider.issuer_url());
}

#[tokio::test]
async fn openid_configuration_is_the_fallback() {
    let config = Config {
        well_known: WellKnownDocuments::OpenIdConfiguration,
        ..Config::default()
    };
    let (provider, metadata) = discover_from(config).await;
    assert_eq!(metadata.unwrap().issuer, provider.issuer_url());
}

#[tokio::test]
async fn openid_configuration_under_an_issuer_path() {
    let config = Config {
        well_known: WellKnownDocuments::OpenIdConfiguration,
        issuer_path: "/tenant".into(),
        ..Config::default()
    };
    let (provider, metadata) = discover_from(config).await;
    assert_eq!(
        metadata.unwrap().authorization_endpoint,
        provider.endpoints().authorization
    );
}

#[tokio::test]
async fn a_document_naming_another_issuer_is_refused() {
    let config = Config {
        advertised_issuer: Some("https://evil.example".into()),
        ..Config::default()
    };
    let (provider, result) = discover_from(config).await;
    match result {
        Err(Error::IssuerMismatch { expected, found }) => {
            assert_eq!(expected, provider.issuer_url());
            assert_eq!(found.as_deref(), Some("https://evil.example"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn discovery_reports_every_place_it_looked() {
    let provider = start(Config::default()).await;
    let http = HttpClient::new(HttpOptions::default()).unwrap();
    let missing = format!("{}/nowhere", provider.issuer_url());
    let error = discover(&http, &missing).await.unwrap_err();
    assert!(matches!(error, Error::Discovery { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("oauth-authorization-server") && text.contains("openid-configuration"),
        "{text}"
    );
    assert!(text.contains("HTTP 404"), "{text}");
}

#[tokio::test]
async fn explicit_endpoints_work_without_discovery() {
    let provider = start(Config::default()).await;
    // Any request for a discovery document would be answered, and counted, by this fault.
    provider
        .set_faults([photolink_demo_provider::Fault::DiscoveryMissing.until_cleared()])
        .unwrap();
    let endpoints = provider.endpoints();
    let mut metadata = photolink_oauth::ServerMetadata::new(
        provider.issuer_url(),
        endpoints.authorization.clone(),
        endpoints.token.clone(),
    );
    metadata.authorization_response_iss_parameter_supported = true;
    let client =
        photolink_oauth::OAuthClient::new(crate::support::mock::config(), metadata).unwrap();
    let (pending, callback) =
        crate::support::provider::authorize(&client, crate::support::consent::Decision::Approve)
            .await;
    client
        .exchange_code(pending.complete(&callback).unwrap())
        .await
        .unwrap();
    let stats = provider.stats();
    assert_eq!(stats.authorization_code_grants, 1);
    assert_eq!(
        stats.faults_served.get("discovery_missing"),
        None,
        "no /.well-known document was requested"
    );
}

/// A loopback issuer whose discovery document names `endpoint` as its token endpoint.
async fn loopback_issuer_with_token_endpoint(
    endpoint: &'static str,
) -> Result<ServerMetadata, Error> {
    let base = Arc::new(OnceLock::<String>::new());
    let document_base = base.clone();
    let mock = Mock::start(move |_| {
        let issuer = document_base.get().unwrap();
        json(
            200,
            &format!(
                r#"{{"issuer":"{issuer}","authorization_endpoint":"{issuer}/authorize","token_endpoint":"{endpoint}"}}"#
            ),
        )
    })
    .await;
    base.set(mock.base.clone()).unwrap();
    let http = HttpClient::new(HttpOptions::default()).unwrap();
    discover(&http, &mock.base).await
}

/// Asserts that `error` refuses an endpoint as insecure for `reason`.
#[track_caller]
fn assert_insecure_because(error: &Error, reason: InsecureReason) {
    assert!(
        matches!(error, Error::InsecureEndpoint { reason: found, .. } if *found == reason),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_loopback_issuer_may_name_loopback_http_endpoints() {
    let metadata = loopback_issuer_with_token_endpoint("http://127.0.0.1:9/token")
        .await
        .unwrap();
    assert_eq!(metadata.token_endpoint, "http://127.0.0.1:9/token");
}

#[tokio::test]
async fn a_loopback_issuer_naming_an_http_localhost_endpoint_is_refused() {
    let error = loopback_issuer_with_token_endpoint("http://localhost:9/token")
        .await
        .unwrap_err();
    assert_insecure_because(&error, InsecureReason::LocalhostName);
}

#[tokio::test]
async fn a_loopback_issuer_naming_a_remote_http_endpoint_is_refused() {
    let error = loopback_issuer_with_token_endpoint("http://auth.example.com/token")
        .await
        .unwrap_err();
    assert_insecure_because(&error, InsecureReason::NotHttps);
}

#[tokio::test]
async fn an_https_issuer_with_hand_written_loopback_http_endpoints_is_refused() {
    let metadata = ServerMetadata::new(
        "https://auth.example.com",
        "https://auth.example.com/authorize",
        "http://127.0.0.1:8080/token",
    );
    let error = OAuthClient::new(crate::support::mock::config(), metadata).unwrap_err();
    assert_insecure_because(&error, InsecureReason::IssuerNotOnLoopback);
}

#[tokio::test]
async fn discovery_of_an_http_localhost_issuer_is_refused_before_any_request() {
    let http = HttpClient::new(HttpOptions::default()).unwrap();
    let error = discover(&http, "http://localhost:9").await.unwrap_err();
    assert_insecure_because(&error, InsecureReason::LocalhostName);
}

#[tokio::test]
async fn http_is_refused_for_a_remote_issuer() {
    let http = HttpClient::new(HttpOptions::default()).unwrap();
    let error = discover(&http, "http://auth.example.com")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InsecureEndpoint { .. }), "{error:?}");
}
