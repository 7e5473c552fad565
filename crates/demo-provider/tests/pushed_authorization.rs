//! Pushed authorization requests (RFC 9126): `POST /par`, and the authorization endpoint given
//! a `request_uri`, once, before it expires, and only when pushing is required.

mod common;

use std::time::Duration;

use common::*;
use photolink_demo_provider::{Config, ProviderHandle};
use reqwest::StatusCode;
use url::Url;

/// The authorization parameters of a normal request, for the pushed form.
fn pushed_params<'a>(pkce: &'a Pkce, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "photos:read profile"),
        ("state", "pushed-state"),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for &(name, value) in extra {
        params.retain(|(n, _)| *n != name);
        params.push((name, value));
    }
    params
}

/// Pushes `params`; returns the `request_uri` after checking the answer's form.
async fn push(provider: &ProviderHandle, params: &[(&str, &str)]) -> String {
    let (status, headers, body) =
        post_form(&http(), &provider.endpoints().pushed_authorization, params).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["expires_in"], 60);
    let request_uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(
        request_uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "{request_uri}"
    );
    request_uri
}

/// The URL the browser opens for a pushed request.
fn url_for(provider: &ProviderHandle, request_uri: &str) -> Url {
    Url::parse_with_params(
        &provider.endpoints().authorization,
        [("client_id", CLIENT_ID), ("request_uri", request_uri)],
    )
    .unwrap()
}

#[tokio::test]
async fn a_pushed_request_signs_in_with_its_own_parameters() {
    let provider = provider(Config::default()).await;
    let pkce = Pkce::new();
    let request_uri = push(&provider, &pushed_params(&pkce, &[])).await;
    // Parameters in the URL besides client_id and request_uri are ignored.
    let mut url = url_for(&provider, &request_uri);
    url.query_pairs_mut().append_pair("state", "from-the-url");
    let callback = consent_callback(&http(), url, Decision::Approve).await;
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some("pushed-state")
    );
    let code = query_param(&callback, "code").unwrap();
    let (status, body) = exchange(&http(), &provider, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(provider.stats().pushed_authorization_requests, 1);
}

#[tokio::test]
async fn a_request_uri_works_once() {
    let provider = provider(Config::default()).await;
    let pkce = Pkce::new();
    let request_uri = push(&provider, &pushed_params(&pkce, &[])).await;
    open_consent(&http(), url_for(&provider, &request_uri)).await;
    let again = http()
        .get(url_for(&provider, &request_uri))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("already used"));
}

#[tokio::test]
async fn an_expired_request_uri_is_refused() {
    let provider = provider(Config {
        par_request_lifetime: Duration::ZERO,
        ..Config::default()
    })
    .await;
    let pkce = Pkce::new();
    let (status, _, body) = post_form(
        &http(),
        &provider.endpoints().pushed_authorization,
        &pushed_params(&pkce, &[]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let request_uri = body["request_uri"].as_str().unwrap();
    let answer = http()
        .get(url_for(&provider, request_uri))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(answer.text().await.unwrap().contains("expired"));
    assert_eq!(provider.stats().consent_pages, 0);
}

#[tokio::test]
async fn an_unknown_request_uri_or_another_client_is_refused() {
    let provider = provider(Config::default()).await;
    let pkce = Pkce::new();
    let unknown = http()
        .get(url_for(
            &provider,
            "urn:ietf:params:oauth:request_uri:made-up",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let request_uri = push(&provider, &pushed_params(&pkce, &[])).await;
    let other_client = Url::parse_with_params(
        &provider.endpoints().authorization,
        [("client_id", "someone-else"), ("request_uri", &request_uri)],
    )
    .unwrap();
    let answer = http().get(other_client).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    // Refusing another client did not use the request up.
    open_consent(&http(), url_for(&provider, &request_uri)).await;
}

#[tokio::test]
async fn pushed_parameters_are_validated_like_ones_in_the_url() {
    let provider = provider(Config::default()).await;
    let pkce = Pkce::new();
    let request_uri = push(
        &provider,
        &pushed_params(&pkce, &[("code_challenge_method", "plain")]),
    )
    .await;
    let answer = http()
        .get(url_for(&provider, &request_uri))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let callback = location(&answer);
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some("pushed-state")
    );
}

#[tokio::test]
async fn the_par_endpoint_refuses_bad_pushes_with_oauth_errors() {
    let provider = provider(Config::default()).await;
    let pkce = Pkce::new();
    let endpoint = &provider.endpoints().pushed_authorization;
    for (extra, code) in [
        (vec![("request_uri", "urn:x")], "invalid_request"),
        (
            vec![("redirect_uri", "https://evil.example/cb")],
            "invalid_request",
        ),
        (vec![("client_id", "someone-else")], "invalid_client"),
        (vec![("client_secret", "guess")], "invalid_client"),
    ] {
        let (status, _, body) = post_form(&http(), endpoint, &pushed_params(&pkce, &extra)).await;
        assert!(status.is_client_error(), "{extra:?}: {status}");
        assert_eq!(body["error"], code, "{extra:?}");
    }
    let confidential = common::provider(Config {
        client_secret: Some("s3cret".into()),
        ..Config::default()
    })
    .await;
    let (status, _, body) = post_form(
        &http(),
        &confidential.endpoints().pushed_authorization,
        &pushed_params(&pkce, &[]),
    )
    .await;
    assert_oauth_error(status, &body, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn when_pushing_is_required_a_plain_request_is_refused() {
    let provider = provider(Config {
        require_par: true,
        ..Config::default()
    })
    .await;
    let metadata = oauth_metadata(&provider).await;
    assert_eq!(metadata["require_pushed_authorization_requests"], true);
    let pkce = Pkce::new();
    let plain = get_authorize_url(&http(), &provider, &pkce, &[]).await;
    assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
    assert!(
        plain
            .text()
            .await
            .unwrap()
            .contains("sent to Demo Photos first")
    );
    assert_eq!(provider.stats().consent_pages, 0);
    let request_uri = push(&provider, &pushed_params(&pkce, &[])).await;
    open_consent(&http(), url_for(&provider, &request_uri)).await;
}
