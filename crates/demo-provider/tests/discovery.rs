//! Discovery documents and the issuer knobs.

mod common;

use common::*;
use photolink_demo_provider::{Config, WellKnownDocuments};
use reqwest::StatusCode;
use serde_json::Value;

async fn get(url: &str) -> (StatusCode, Option<Value>) {
    let response = http().get(url).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.ok())
}

fn origin(issuer: &str) -> String {
    let url = url::Url::parse(issuer).unwrap();
    format!("http://{}:{}", url.host_str().unwrap(), url.port().unwrap())
}

#[tokio::test]
async fn both_documents_describe_the_provider() {
    let provider = provider(Config::default()).await;
    let issuer = provider.issuer_url().to_owned();
    assert!(issuer.starts_with("http://127.0.0.1:"));
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let (status, body) = get(&format!("{issuer}{path}")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let body = body.unwrap();
        assert_eq!(body["issuer"], issuer.as_str());
        assert_eq!(
            body["authorization_endpoint"],
            format!("{issuer}/authorize")
        );
        assert_eq!(body["token_endpoint"], format!("{issuer}/token"));
        assert_eq!(body["revocation_endpoint"], format!("{issuer}/revoke"));
        assert_eq!(body["userinfo_endpoint"], format!("{issuer}/userinfo"));
        assert_eq!(
            body["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(body["authorization_response_iss_parameter_supported"], true);
        assert_eq!(
            body["token_endpoint_auth_methods_supported"],
            serde_json::json!(["none"])
        );
        assert_eq!(
            body["response_types_supported"],
            serde_json::json!(["code"])
        );
        assert_eq!(
            body["grant_types_supported"],
            serde_json::json!(["authorization_code", "refresh_token"])
        );
        assert_eq!(
            body["scopes_supported"],
            serde_json::json!(["photos:read", "profile", "openid"])
        );
        assert_eq!(
            body["pushed_authorization_request_endpoint"],
            format!("{issuer}/par")
        );
        assert_eq!(body["require_pushed_authorization_requests"], false);
        assert_eq!(body["jwks_uri"], format!("{issuer}/jwks"));
        assert_eq!(
            body["id_token_signing_alg_values_supported"],
            serde_json::json!(["ES256"])
        );
    }
}

/// Statuses of `oauth-authorization-server` and `openid-configuration` at a provider that serves
/// `documents`.
async fn well_known_statuses(documents: WellKnownDocuments) -> (StatusCode, StatusCode) {
    let provider = provider(Config {
        well_known: documents,
        ..Config::default()
    })
    .await;
    let issuer = provider.issuer_url();
    (
        get(&format!("{issuer}/.well-known/oauth-authorization-server"))
            .await
            .0,
        get(&format!("{issuer}/.well-known/openid-configuration"))
            .await
            .0,
    )
}

#[tokio::test]
async fn only_the_chosen_document_is_served() {
    assert_eq!(
        well_known_statuses(WellKnownDocuments::OAuthAuthorizationServer).await,
        (StatusCode::OK, StatusCode::NOT_FOUND)
    );
    assert_eq!(
        well_known_statuses(WellKnownDocuments::OpenIdConfiguration).await,
        (StatusCode::NOT_FOUND, StatusCode::OK)
    );
}

#[tokio::test]
async fn an_issuer_with_a_path_uses_rfc8414_path_insertion() {
    let provider = provider(Config {
        issuer_path: "/tenant".into(),
        ..Config::default()
    })
    .await;
    let issuer = provider.issuer_url().to_owned();
    let origin = origin(&issuer);
    assert_eq!(issuer, format!("{origin}/tenant"));
    let (status, body) = get(&format!(
        "{origin}/.well-known/oauth-authorization-server/tenant"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.unwrap()["issuer"], issuer.as_str());
    let (status, body) = get(&format!("{issuer}/.well-known/openid-configuration")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body.as_ref().unwrap()["token_endpoint"],
        format!("{issuer}/token")
    );
    assert_eq!(
        get(&format!("{origin}/.well-known/oauth-authorization-server"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // The endpoints live under the issuer and work.
    let tokens = tokens(&http(), &provider).await;
    assert_eq!(
        photos_status(&http(), &provider, &string(&tokens, "access_token")).await,
        StatusCode::OK
    );
}

/// The `oauth-authorization-server` document of a provider started with `config`.
async fn metadata_of(config: Config) -> Value {
    let provider = provider(config).await;
    let (_, body) = get(&format!(
        "{}/.well-known/oauth-authorization-server",
        provider.issuer_url()
    ))
    .await;
    body.unwrap()
}

#[tokio::test]
async fn the_advertised_issuer_can_lie() {
    let metadata = metadata_of(Config {
        advertised_issuer: Some("https://impostor.example".into()),
        ..Config::default()
    })
    .await;
    assert_eq!(metadata["issuer"], "https://impostor.example");
}

#[tokio::test]
async fn a_confidential_client_is_advertised() {
    let metadata = metadata_of(Config {
        client_secret: Some("s3cr3t".into()),
        ..Config::default()
    })
    .await;
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post"])
    );
}

#[tokio::test]
async fn invalid_issuer_paths_are_refused() {
    for path in ["tenant", "/tenant/", "/a//b", "/{id}", "/t?x=1"] {
        let result = photolink_demo_provider::start(Config {
            issuer_path: path.into(),
            ..Config::default()
        })
        .await;
        assert!(result.is_err(), "{path}");
    }
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let provider = provider(Config::default()).await;
    let url = format!("{}/.well-known/openid-configuration", provider.issuer_url());
    assert_eq!(get(&url).await.0, StatusCode::OK);
    provider.shutdown().await;
    assert!(http().get(&url).send().await.is_err());

    let provider = common::provider(Config::default()).await;
    let url = format!("{}/.well-known/openid-configuration", provider.issuer_url());
    drop(provider);
    tokio::task::yield_now().await;
    assert!(http().get(&url).send().await.is_err());
}
