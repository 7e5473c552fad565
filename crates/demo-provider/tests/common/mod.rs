//! Helpers shared by the integration tests: a real HTTP client that never follows redirects,
//! PKCE values, and the steps of the authorization code flow.
#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use photolink_demo_provider::consent_page;
pub use photolink_demo_provider::consent_page::Decision;
use photolink_demo_provider::{Config, ProviderHandle, start};
use reqwest::{Client, StatusCode, redirect};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

pub const CLIENT_ID: &str = "photolink-desktop";
pub const REDIRECT_URI: &str = "com.example.photolink:/oauth/callback";

pub async fn provider(config: Config) -> ProviderHandle {
    start(config).await.expect("provider starts")
}

pub fn http() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

/// `params` with `extra` applied: a name in `extra` replaces its default, an empty value drops it.
fn with_extra<'a>(
    mut params: Vec<(&'a str, &'a str)>,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    for &(name, value) in extra {
        params.retain(|(n, _)| *n != name);
        if !value.is_empty() {
            params.push((name, value));
        }
    }
    params
}

/// An authorization URL with every required parameter, plus `extra` (which may override).
pub fn authorize_url(provider: &ProviderHandle, pkce: &Pkce, extra: &[(&str, &str)]) -> Url {
    let params = with_extra(
        vec![
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "photos:read profile"),
            ("state", "state-123"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ],
        extra,
    );
    Url::parse_with_params(&provider.endpoints().authorization, &params).unwrap()
}

/// GETs the authorization URL with `extra` (see [`authorize_url`]); the answer, redirect
/// not followed.
pub async fn get_authorize_url(
    http: &Client,
    provider: &ProviderHandle,
    pkce: &Pkce,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    http.get(authorize_url(provider, pkce, extra))
        .send()
        .await
        .unwrap()
}

/// Loads the consent page and returns its transaction id.
pub async fn open_consent(http: &Client, url: Url) -> String {
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    transaction_in(&html).expect("consent page has a transaction id")
}

pub fn transaction_in(html: &str) -> Option<String> {
    let marker = r#"name="transaction" value=""#;
    let start = html.find(marker)? + marker.len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].to_owned())
}

/// Submits the consent form with `decision` and returns the raw answer.
pub async fn post_decision(
    http: &Client,
    provider: &ProviderHandle,
    transaction: &str,
    decision: &str,
) -> reqwest::Response {
    http.post(&provider.endpoints().authorization)
        .form(&[("transaction", transaction), ("decision", decision)])
        .send()
        .await
        .unwrap()
}

/// Submits the consent form and returns the redirect's Location.
pub async fn decide(
    http: &Client,
    provider: &ProviderHandle,
    transaction: &str,
    decision: &str,
) -> Url {
    let response = post_decision(http, provider, transaction, decision).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    location(&response)
}

/// Opens the consent page for `url`, answers it with `decision`, and returns the callback URL.
pub async fn consent_callback(http: &Client, url: Url, decision: Decision) -> Url {
    let callback = consent_page::decide(http, &url, decision)
        .await
        .expect("the consent page is answered");
    Url::parse(&callback).unwrap()
}

pub fn location(response: &reqwest::Response) -> Url {
    let value = response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap();
    Url::parse(value).unwrap()
}

pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// Runs the browser part of the flow and returns the authorization code.
pub async fn authorization_code(http: &Client, provider: &ProviderHandle, pkce: &Pkce) -> String {
    authorization_code_with(http, provider, pkce, &[]).await
}

/// Like [`authorization_code`], with `extra` authorization parameters (see [`authorize_url`]).
pub async fn authorization_code_with(
    http: &Client,
    provider: &ProviderHandle,
    pkce: &Pkce,
    extra: &[(&str, &str)],
) -> String {
    let url = authorize_url(provider, pkce, extra);
    let callback = consent_callback(http, url, Decision::Approve).await;
    query_param(&callback, "code").expect("a code")
}

pub async fn post_form(
    http: &Client,
    url: &str,
    form: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = http.post(url).form(form).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON body")
    };
    (status, headers, body)
}

/// The form of a public client's code exchange, plus `extra` (which may override).
pub fn code_exchange_form<'a>(
    code: &'a str,
    verifier: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    with_extra(
        vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
            ("code_verifier", verifier),
        ],
        extra,
    )
}

/// The form of a public client's refresh, plus `extra` (which may override).
pub fn refresh_form<'a>(
    refresh_token: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    with_extra(
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", CLIENT_ID),
        ],
        extra,
    )
}

pub async fn exchange(
    http: &Client,
    provider: &ProviderHandle,
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    let form = code_exchange_form(code, verifier, &[]);
    let (status, _, body) = post_form(http, &provider.endpoints().token, &form).await;
    (status, body)
}

pub async fn refresh(
    http: &Client,
    provider: &ProviderHandle,
    refresh_token: &str,
) -> (StatusCode, Value) {
    let form = refresh_form(refresh_token, &[]);
    let (status, _, body) = post_form(http, &provider.endpoints().token, &form).await;
    (status, body)
}

/// Revokes `token` as the public client, with `token_type_hint` when given.
pub async fn revoke(
    http: &Client,
    provider: &ProviderHandle,
    token: &str,
    hint: Option<&str>,
) -> StatusCode {
    let mut form = vec![("token", token)];
    form.extend(hint.map(|hint| ("token_type_hint", hint)));
    form.push(("client_id", CLIENT_ID));
    post_form(http, &provider.endpoints().revocation, &form)
        .await
        .0
}

/// Tokens from a complete, successful flow.
pub async fn tokens(http: &Client, provider: &ProviderHandle) -> Value {
    tokens_with(http, provider, &[]).await
}

/// Like [`tokens`], with `extra` authorization parameters (see [`authorize_url`]).
pub async fn tokens_with(
    http: &Client,
    provider: &ProviderHandle,
    extra: &[(&str, &str)],
) -> Value {
    let pkce = Pkce::new();
    let code = authorization_code_with(http, provider, &pkce, extra).await;
    let (status, body) = exchange(http, provider, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// GETs `url` and reads the answer as JSON.
pub async fn get_json(http: &Client, url: impl reqwest::IntoUrl) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// The provider's authorization server metadata (RFC 8414).
pub async fn oauth_metadata(provider: &ProviderHandle) -> Value {
    let url = format!(
        "{}/.well-known/oauth-authorization-server",
        provider.issuer_url()
    );
    get_json(&http(), url).await
}

/// Asserts that an OAuth error answer has `expected_status`, the `error` code and a description.
pub fn assert_oauth_error(
    status: StatusCode,
    body: &Value,
    expected_status: StatusCode,
    error: &str,
) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string());
}

pub fn string(value: &Value, name: &str) -> String {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {value}"))
        .to_owned()
}

/// Asserts that the access token in `tokens` is refused with 401, and that a refresh with
/// its refresh token gives an access token the photos accept.
pub async fn assert_only_a_refresh_brings_the_photos_back(
    http: &Client,
    provider: &ProviderHandle,
    tokens: &Value,
) {
    assert_eq!(
        photos_status(http, provider, &string(tokens, "access_token")).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = refresh(http, provider, &string(tokens, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        photos_status(http, provider, &string(&body, "access_token")).await,
        StatusCode::OK
    );
}

/// `GET /photos` with the token.
pub async fn get_photos(
    http: &Client,
    provider: &ProviderHandle,
    access_token: &str,
) -> reqwest::Response {
    http.get(&provider.endpoints().photos)
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
}

/// Status of `GET /photos` with the token.
pub async fn photos_status(
    http: &Client,
    provider: &ProviderHandle,
    access_token: &str,
) -> StatusCode {
    get_photos(http, provider, access_token).await.status()
}
