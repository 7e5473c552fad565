//! Proxies: an https provider's requests go through the configured proxy; loopback requests
//! (the embedded provider) never do, so codes, verifiers and tokens sent in plain http stay on
//! this computer.

use std::sync::{Arc, Mutex};

use photolink_oauth::{HttpClient, HttpOptions, discover};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;

use crate::support::mock::{Mock, json};

/// A fake proxy on 127.0.0.1 that records the first line of every request it receives and
/// then hangs up (it forwards nothing).
struct FakeProxy {
    url: String,
    request_lines: Arc<Mutex<Vec<String>>>,
}

impl FakeProxy {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let request_lines = Arc::new(Mutex::new(Vec::new()));
        let lines = request_lines.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let mut line = String::new();
                let _ = BufReader::new(socket).read_line(&mut line).await;
                lines.lock().unwrap().push(line.trim_end().to_owned());
            }
        });
        Self { url, request_lines }
    }

    fn request_lines(&self) -> Vec<String> {
        self.request_lines.lock().unwrap().clone()
    }

    fn client(&self) -> HttpClient {
        HttpClient::new(HttpOptions {
            proxy: Some(self.url.clone()),
            ..HttpOptions::default()
        })
        .unwrap()
    }
}

#[tokio::test]
async fn an_https_provider_is_reached_through_the_configured_proxy() {
    let proxy = FakeProxy::start().await;
    let error = discover(&proxy.client(), "https://auth.example.com")
        .await
        .unwrap_err();
    // The fake proxy refuses every tunnel, so the server is out of reach through it.
    assert!(
        matches!(error, photolink_oauth::Error::Network(_)),
        "{error:?}"
    );
    let lines = proxy.request_lines();
    assert!(!lines.is_empty(), "the proxy saw no request");
    assert!(
        lines
            .iter()
            .all(|line| line.starts_with("CONNECT auth.example.com:443 ")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn loopback_endpoints_never_go_through_the_proxy() {
    let proxy = FakeProxy::start().await;
    let provider = Mock::start(|_| json(404, "{}")).await;
    let _ = discover(&proxy.client(), &provider.base).await;
    assert!(
        !provider.requests().is_empty(),
        "the loopback provider was reached directly"
    );
    assert_eq!(proxy.request_lines(), Vec::<String>::new());
}

#[test]
fn an_invalid_proxy_address_is_a_configuration_error() {
    let error = HttpClient::new(HttpOptions {
        proxy: Some("not a proxy".into()),
        ..HttpOptions::default()
    })
    .unwrap_err();
    assert!(
        matches!(error, photolink_oauth::Error::InvalidConfig(_)),
        "{error:?}"
    );
}
