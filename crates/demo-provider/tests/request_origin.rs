//! Who may talk to the provider: the `Host` of every request (DNS rebinding) and the origin of
//! consent decisions (cross-site request forgery).

mod common;

use common::*;
use photolink_demo_provider::{Config, ProviderHandle};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends one HTTP/1.1 request with exactly the `Host` header given (none for `None`) and
/// returns the status code and body.
async fn raw_request(
    provider: &ProviderHandle,
    method: &str,
    path: &str,
    host: Option<&str>,
) -> (u16, String) {
    let mut stream = TcpStream::connect(provider.local_addr()).await.unwrap();
    let host_line = host.map_or(String::new(), |host| format!("Host: {host}\r\n"));
    let request = format!(
        "{method} {path} HTTP/1.1\r\n{host_line}Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("an HTTP answer, got {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, body)| body.to_owned());
    (status, body)
}

const DISCOVERY: &str = "/.well-known/oauth-authorization-server";

#[tokio::test]
async fn the_provider_answers_to_its_own_loopback_authority() {
    let provider = provider(Config::default()).await;
    let port = provider.local_addr().port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
    ] {
        let (status, _) = raw_request(&provider, "GET", DISCOVERY, Some(&host)).await;
        assert_eq!(status, 200, "Host: {host}");
    }
}

#[tokio::test]
async fn requests_naming_another_host_are_refused_as_misdirected() {
    let provider = provider(Config::default()).await;
    let port = provider.local_addr().port();
    let other_port = port.wrapping_add(1).max(1);
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_owned(),
        format!("127.0.0.1:{other_port}"),
        format!("127.0.0.2:{port}"),
        format!("[::1]:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("user@127.0.0.1:{port}"),
        format!("127.0.0.1:{port}."),
        "127.0.0.1".to_owned(),
    ] {
        for (method, path) in [
            ("GET", DISCOVERY),
            ("GET", "/authorize"),
            ("POST", "/token"),
            ("GET", "/photos"),
            ("GET", "/no-such-page"),
        ] {
            let (status, body) = raw_request(&provider, method, path, Some(&host)).await;
            assert_eq!(status, 421, "{method} {path} with Host: {host}");
            assert!(
                body.contains("127.0.0.1:") && body.len() < 200 && !body.contains('<'),
                "a short plain explanation, got {body:?}"
            );
            assert!(!body.contains("evil"), "the Host is not echoed: {body:?}");
        }
    }
    assert_eq!(provider.stats().token_requests, 0);
}

#[tokio::test]
async fn requests_without_a_host_are_refused() {
    let provider = provider(Config::default()).await;
    let (status, body) = raw_request(&provider, "GET", DISCOVERY, None).await;
    assert_eq!(status, 400);
    assert!(body.contains("Host"), "{body:?}");
}

/// The provider's own origin, `http://127.0.0.1:PORT`.
fn own_origin(provider: &ProviderHandle) -> String {
    format!("http://{}", provider.local_addr())
}

/// Opens a consent page and answers "approve" with the extra request headers.
async fn approve_with_headers(
    provider: &ProviderHandle,
    transaction: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = http()
        .post(&provider.endpoints().authorization)
        .form(&[("transaction", transaction), ("decision", "approve")]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_cross_site_consent_decision_is_refused_and_the_request_stays_answerable() {
    let provider = provider(Config::default()).await;
    let http = http();
    let transaction = open_consent(&http, authorize_url(&provider, &Pkce::new(), &[])).await;
    let port = provider.local_addr().port();
    let localhost_origin = format!("http://localhost:{port}");
    let other_port_origin = format!("http://127.0.0.1:{}", port.wrapping_add(1).max(1));
    let own = own_origin(&provider);
    let forged: Vec<Vec<(&str, &str)>> = vec![
        vec![("Origin", "http://evil.example")],
        vec![("Origin", "null")],
        vec![("Origin", &other_port_origin)],
        vec![("Origin", &localhost_origin)],
        vec![("Origin", "https://127.0.0.1")],
        vec![("Sec-Fetch-Site", "cross-site")],
        vec![("Sec-Fetch-Site", "same-site")],
        vec![("Origin", &own), ("Sec-Fetch-Site", "cross-site")],
        vec![
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "same-origin"),
        ],
    ];
    for headers in forged {
        let response = approve_with_headers(&provider, &transaction, &headers).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert!(response.headers().get("location").is_none(), "{headers:?}");
        let page = response.text().await.unwrap();
        assert!(page.contains("Demo Photos"), "an error page: {page}");
        assert!(!page.contains("evil"), "the origin is not echoed");
    }
    assert_eq!(provider.stats().approvals, 0);

    let response = approve_with_headers(
        &provider,
        &transaction,
        &[("Origin", &own), ("Sec-Fetch-Site", "same-origin")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(query_param(&location(&response), "code").is_some());
    assert_eq!(provider.stats().approvals, 1);
}

#[tokio::test]
async fn a_consent_decision_without_browser_headers_or_typed_in_is_accepted() {
    let provider = provider(Config::default()).await;
    let http = http();
    for headers in [vec![], vec![("Sec-Fetch-Site", "none")]] {
        let transaction = open_consent(&http, authorize_url(&provider, &Pkce::new(), &[])).await;
        let response = approve_with_headers(&provider, &transaction, &headers).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{headers:?}");
    }
}

#[tokio::test]
async fn the_consent_page_lets_the_browser_send_its_origin_with_the_decision() {
    // With `no-referrer`, browsers send `Origin: null` on every POST (Fetch, "append a request
    // Origin header"), and the decision from the real page would be refused as cross-site.
    let provider = provider(Config::default()).await;
    let response = get_authorize_url(&http(), &provider, &Pkce::new(), &[]).await;
    assert_eq!(response.headers()["referrer-policy"], "same-origin");
    let page = response.text().await.unwrap();
    assert!(
        page.contains(r#"<meta name="referrer" content="same-origin">"#),
        "{page}"
    );
}
