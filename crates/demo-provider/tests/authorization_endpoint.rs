//! `/authorize`: the consent page, decisions and the redirect rules.

mod common;

use common::*;
use photolink_demo_provider::{Config, IssParameter, ProviderHandle};
use reqwest::StatusCode;
use url::Url;

#[tokio::test]
async fn consent_page_names_provider_app_account_and_scopes() {
    let provider = provider(Config::default()).await;
    let response = get_authorize_url(&http(), &provider, &Pkce::new(), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = response.text().await.unwrap();
    for expected in [
        "Demo Photos",
        "PhotoLink",
        "Alex Rivera",
        "alex@demo.photos",
        "See your photos and their details",
        "See your name and email address",
        r#"value="approve""#,
        r#"value="deny""#,
        "prefers-color-scheme: dark",
    ] {
        assert!(html.contains(expected), "consent page lacks {expected:?}");
    }
    for external in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!html.contains(external), "consent page loads {external:?}");
    }
    assert!(!html.contains("<script"), "no scripts");
    assert!(transaction_in(&html).is_some());
    assert_eq!(provider.stats().consent_pages, 1);
}

#[tokio::test]
async fn consent_page_lists_only_requested_scopes() {
    let provider = provider(Config::default()).await;
    let url = authorize_url(&provider, &Pkce::new(), &[("scope", "profile")]);
    let html = http().get(url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("See your name and email address"));
    assert!(!html.contains("See your photos"));
}

/// The callback echoes the request's state and names the provider as issuer (RFC 9207).
fn assert_state_and_iss(callback: &Url, provider: &ProviderHandle) {
    assert_eq!(query_param(callback, "state").as_deref(), Some("state-123"));
    assert_eq!(
        query_param(callback, "iss").as_deref(),
        Some(provider.issuer_url())
    );
}

#[tokio::test]
async fn approve_redirects_with_code_state_and_iss() {
    let provider = provider(Config::default()).await;
    let http = http();
    let url = authorize_url(&provider, &Pkce::new(), &[]);
    let callback = consent_callback(&http, url, Decision::Approve).await;
    assert_eq!(callback.scheme(), "com.example.photolink");
    assert_eq!(callback.path(), "/oauth/callback");
    assert!(query_param(&callback, "code").is_some_and(|c| c.len() >= 32));
    assert_state_and_iss(&callback, &provider);
    assert_eq!(provider.stats().approvals, 1);
}

#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let provider = provider(Config::default()).await;
    let http = http();
    let url = authorize_url(&provider, &Pkce::new(), &[]);
    let callback = consent_callback(&http, url, Decision::Deny).await;
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("access_denied")
    );
    assert_state_and_iss(&callback, &provider);
    assert_eq!(query_param(&callback, "code"), None);
    assert_eq!(provider.stats().denials, 1);
}

#[tokio::test]
async fn a_consent_transaction_is_answered_once() {
    let provider = provider(Config::default()).await;
    let http = http();
    let transaction = open_consent(&http, authorize_url(&provider, &Pkce::new(), &[])).await;
    decide(&http, &provider, &transaction, "approve").await;
    for (transaction, decision) in [(transaction.as_str(), "approve"), ("made-up", "approve")] {
        let response = post_decision(&http, &provider, transaction, decision).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn unknown_client_or_unregistered_redirect_gets_an_error_page_not_a_redirect() {
    let provider = provider(Config::default()).await;
    let pkce = Pkce::new();
    let cases: [&[(&str, &str)]; 8] = [
        &[("client_id", "someone-else")],
        &[("client_id", "")],
        &[("redirect_uri", "https://evil.example/callback")],
        &[(
            "redirect_uri",
            "com.example.photolink:/oauth/callback/extra",
        )],
        &[("redirect_uri", "http://localhost:8080/oauth/callback")],
        &[("redirect_uri", "http://127.0.0.1:8080/other")],
        &[("redirect_uri", "")],
        // Unregistered redirect together with other errors: still no redirect.
        &[
            ("redirect_uri", "https://evil.example/cb"),
            ("code_challenge", ""),
        ],
    ];
    for extra in cases {
        let response = get_authorize_url(&http(), &provider, &pkce, extra).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{extra:?}");
        assert!(response.headers().get("location").is_none(), "{extra:?}");
        let html = response.text().await.unwrap();
        assert!(html.contains("did not send you back"), "{extra:?}");
        assert!(transaction_in(&html).is_none());
    }
    assert_eq!(provider.stats().consent_pages, 0);
}

#[tokio::test]
async fn repeated_client_id_gets_an_error_page() {
    let provider = provider(Config::default()).await;
    let mut url = authorize_url(&provider, &Pkce::new(), &[]);
    url.query_pairs_mut().append_pair("client_id", CLIENT_ID);
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn loopback_redirect_accepts_any_port() {
    let provider = provider(Config::default()).await;
    let http = http();
    let redirect = "http://127.0.0.1:53682/oauth/callback";
    let url = authorize_url(&provider, &Pkce::new(), &[("redirect_uri", redirect)]);
    let callback = consent_callback(&http, url, Decision::Approve).await;
    assert_eq!(callback.port(), Some(53682));
    assert_eq!(callback.host_str(), Some("127.0.0.1"));
    assert!(query_param(&callback, "code").is_some());
}

/// Requests from a registered client that break a rule come back as error redirects.
async fn error_redirect(extra: &[(&str, &str)]) -> (String, Option<String>) {
    let provider = provider(Config::default()).await;
    let response = get_authorize_url(&http(), &provider, &Pkce::new(), extra).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{extra:?}");
    let callback = location(&response);
    assert!(callback.as_str().starts_with(REDIRECT_URI));
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(provider.issuer_url())
    );
    assert_eq!(query_param(&callback, "code"), None);
    (
        query_param(&callback, "error").expect("an error"),
        query_param(&callback, "state"),
    )
}

#[tokio::test]
async fn pkce_is_required_and_must_be_s256() {
    for extra in [
        &[("code_challenge", "")][..],
        &[("code_challenge_method", "")],
        &[("code_challenge_method", "plain")],
        &[("code_challenge", "too-short")],
        &[(
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c+",
        )],
    ] {
        let (error, state) = error_redirect(extra).await;
        assert_eq!(error, "invalid_request", "{extra:?}");
        assert_eq!(state.as_deref(), Some("state-123"));
    }
}

#[tokio::test]
async fn other_request_errors_redirect_with_their_code() {
    assert_eq!(
        error_redirect(&[("response_type", "token")]).await.0,
        "unsupported_response_type"
    );
    assert_eq!(
        error_redirect(&[("response_type", "")]).await.0,
        "invalid_request"
    );
    assert_eq!(
        error_redirect(&[("scope", "photos:write")]).await.0,
        "invalid_scope"
    );
    let (error, state) = error_redirect(&[("state", "")]).await;
    assert_eq!((error.as_str(), state), ("invalid_request", None));
}

#[tokio::test]
async fn repeated_parameters_are_rejected() {
    let provider = provider(Config::default()).await;
    let mut url = authorize_url(&provider, &Pkce::new(), &[]);
    url.query_pairs_mut().append_pair("scope", "profile");
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        query_param(&location(&response), "error").as_deref(),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn iss_parameter_can_be_omitted_or_wrong_for_client_tests() {
    for (setting, expected) in [
        (IssParameter::Omitted, None),
        (
            IssParameter::Fixed("http://127.0.0.1:1/other".into()),
            Some("http://127.0.0.1:1/other"),
        ),
    ] {
        let provider = provider(Config {
            iss_parameter: setting,
            ..Config::default()
        })
        .await;
        let http = http();
        let url = authorize_url(&provider, &Pkce::new(), &[]);
        let callback = consent_callback(&http, url, Decision::Approve).await;
        assert_eq!(query_param(&callback, "iss").as_deref(), expected);
    }
}
