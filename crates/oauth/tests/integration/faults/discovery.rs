//! Discovery failing: no document, or one naming another issuer. The error says which, and
//! discovery works once the fault is gone.

use photolink_demo_provider::{Config, Fault, ProviderHandle};
use photolink_oauth::{Error, OAuthClient};

use super::{assert_shows_no_token, fault_config};
use crate::support::provider::start;

async fn discover(provider: &ProviderHandle) -> Result<OAuthClient, Error> {
    OAuthClient::discover(fault_config(), provider.issuer_url()).await
}

#[tokio::test]
async fn missing_discovery_documents_are_a_discovery_error_naming_every_place_looked() {
    let provider = start(Config::default()).await;
    provider
        .set_faults([Fault::DiscoveryMissing.until_cleared()])
        .unwrap();

    let error = discover(&provider).await.unwrap_err();

    assert!(matches!(error, Error::Discovery { .. }), "{error:?}");
    let text = error.to_string();
    for place in [
        "oauth-authorization-server",
        "openid-configuration",
        "HTTP 404",
    ] {
        assert!(text.contains(place), "{text}");
    }
    assert_shows_no_token(&error, &[]);
    assert_eq!(
        provider.stats().faults_served.get("discovery_missing"),
        Some(&2),
        "both documents were tried"
    );

    provider.clear_faults();
    let client = discover(&provider).await.expect("discovery works again");
    assert_eq!(client.metadata().issuer, provider.issuer_url());
}

#[tokio::test]
async fn a_discovery_document_naming_another_issuer_is_an_issuer_mismatch() {
    let provider = start(Config::default()).await;
    let impostor = "http://127.0.0.2:9";
    provider
        .set_faults([Fault::DiscoveryOtherIssuer {
            issuer: impostor.into(),
        }
        .until_cleared()])
        .unwrap();

    let error = discover(&provider).await.unwrap_err();

    match &error {
        Error::IssuerMismatch { expected, found } => {
            assert_eq!(expected, provider.issuer_url());
            assert_eq!(found.as_deref(), Some(impostor));
        }
        other => panic!("expected an issuer mismatch, got {other:?}"),
    }
    assert_shows_no_token(&error, &[]);

    provider.clear_faults();
    let client = discover(&provider).await.expect("discovery works again");
    assert_eq!(client.metadata().issuer, provider.issuer_url());
}
