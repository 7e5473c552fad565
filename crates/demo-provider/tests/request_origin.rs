//! Who may talk to the provider: the `Host` of every request (DNS rebinding) and the origin of
//! consent decisions (cross-site request forgery).

mod common;

use common::*;
use photolink_demo_provider::{Config, ProviderHandle};
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
