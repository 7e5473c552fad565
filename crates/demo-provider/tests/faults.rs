//! Switchable faults, armed through the library, observed over real HTTP.

mod common;

use std::time::Duration;

use common::*;
use photolink_demo_provider::{
    Config, Fault, HUGE_BODY_BYTES, ProviderHandle, STALLED_DOWNLOAD_BYTES, STALLED_DOWNLOAD_SENT,
};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A provider with one grant: its tokens, and a code not yet exchanged with its verifier.
struct Fixture {
    provider: ProviderHandle,
    http: Client,
    tokens: Value,
    code: String,
    pkce: Pkce,
}

async fn fixture() -> Fixture {
    let provider = provider(Config::default()).await;
    let http = http();
    let tokens = tokens(&http, &provider).await;
    let pkce = Pkce::new();
    let code = authorization_code(&http, &provider, &pkce).await;
    Fixture {
        provider,
        http,
        tokens,
        code,
        pkce,
    }
}

impl Fixture {
    fn arm(&self, fault: photolink_demo_provider::InjectedFault) {
        self.provider.set_faults([fault]).unwrap();
    }

    /// The raw answer to a refresh with the fixture's refresh token.
    async fn refresh_response(&self) -> reqwest::Response {
        self.http
            .post(&self.provider.endpoints().token)
            .form(&refresh_form(&string(&self.tokens, "refresh_token"), &[]))
            .send()
            .await
            .unwrap()
    }

    /// The fixture's grant still works: its refresh token has not been rotated or spent.
    async fn assert_nothing_changed(&self) {
        let (status, body) =
            exchange(&self.http, &self.provider, &self.code, &self.pkce.verifier).await;
        assert_eq!(status, StatusCode::OK, "the code was not spent: {body}");
        let (status, body) = refresh(
            &self.http,
            &self.provider,
            &string(&self.tokens, "refresh_token"),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the refresh token was not rotated: {body}"
        );
        assert_eq!(self.provider.stats().refresh_reuse_detected, 0);
    }

    fn served(&self, name: &str) -> u64 {
        self.provider
            .stats()
            .faults_served
            .get(name)
            .copied()
            .unwrap_or(0)
    }
}

#[tokio::test]
async fn a_503_with_retry_after_answers_the_next_request_only() {
    let f = fixture().await;
    f.arm(
        Fault::TokenServerError {
            status: 503,
            retry_after: Some(7),
        }
        .times(1),
    );
    let requests_before = f.provider.stats().token_requests;
    let response = f.refresh_response().await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert_eq!(f.served("token_server_error"), 1);
    let stats = f.provider.stats();
    assert_eq!(stats.token_requests, requests_before + 1);
    assert_eq!(stats.token_errors, 0, "a fault is not a token error");
    f.assert_nothing_changed().await;
    assert_eq!(f.served("token_server_error"), 1, "disarmed after one");
}

#[tokio::test]
async fn a_500_lasts_until_cleared() {
    let f = fixture().await;
    f.arm(
        Fault::TokenServerError {
            status: 500,
            retry_after: None,
        }
        .until_cleared(),
    );
    for _ in 0..3 {
        let response = f.refresh_response().await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.headers().get("retry-after").is_none());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "server_error");
    }
    assert_eq!(f.served("token_server_error"), 3);
    f.provider.clear_faults();
    f.assert_nothing_changed().await;
}

/// Sends a token request on a raw connection and returns everything the server wrote.
async fn raw_token_request(provider: &ProviderHandle) -> TcpStream {
    let mut stream = TcpStream::connect(provider.local_addr()).await.unwrap();
    let body = "grant_type=refresh_token&refresh_token=x&client_id=photolink-desktop";
    let request = format!(
        "POST /token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{body}",
        provider.local_addr(),
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream
}

async fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut answer = Vec::new();
    // A reset instead of an orderly close is also "no answer".
    let _ = stream.read_to_end(&mut answer).await;
    answer
}

#[tokio::test]
async fn a_closed_connection_carries_no_answer_at_all() {
    let f = fixture().await;
    f.arm(Fault::TokenConnectionClosed.times(2));
    let mut stream = raw_token_request(&f.provider).await;
    let answer = tokio::time::timeout(Duration::from_secs(5), read_all(&mut stream))
        .await
        .expect("closed promptly");
    assert!(answer.is_empty(), "{:?}", String::from_utf8_lossy(&answer));
    let error = f.http.post(&f.provider.endpoints().token).send().await;
    let error = error.expect_err("no answer");
    assert!(!error.is_timeout(), "{error:?}");
    assert_eq!(f.served("token_connection_closed"), 2);
    f.assert_nothing_changed().await;
}

#[tokio::test]
async fn a_hang_outlasts_the_client_timeout_until_cleared() {
    let f = fixture().await;
    f.arm(Fault::TokenHang.until_cleared());
    let error = f
        .http
        .post(&f.provider.endpoints().token)
        .form(&refresh_form(&string(&f.tokens, "refresh_token"), &[]))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .expect_err("no answer in time");
    assert!(error.is_timeout(), "{error:?}");

    let mut stream = raw_token_request(&f.provider).await;
    let waiting = tokio::spawn(async move { read_all(&mut stream).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "still hanging");
    f.provider.clear_faults();
    let answer = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("released by clearing")
        .unwrap();
    assert!(answer.is_empty(), "released without an answer");
    assert_eq!(f.served("token_hang"), 2);
    f.assert_nothing_changed().await;
}

/// The status, content type and body text of a refresh while `fault` is armed once.
async fn faulty_token_answer(f: &Fixture, fault: Fault) -> (StatusCode, String, String) {
    f.arm(fault.times(1));
    let response = f.refresh_response().await;
    let status = response.status();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn an_html_page_instead_of_json() {
    let f = fixture().await;
    let (status, content_type, body) = faulty_token_answer(&f, Fault::TokenHtml).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(body.starts_with("<!doctype html>"), "{body}");
    assert_eq!(f.served("token_html"), 1);
    f.assert_nothing_changed().await;
}

#[tokio::test]
async fn truncated_json() {
    let f = fixture().await;
    let (status, content_type, body) = faulty_token_answer(&f, Fault::TokenTruncatedJson).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/json");
    assert!(body.starts_with(r#"{"access_token":""#), "{body}");
    let error = serde_json::from_str::<Value>(&body).unwrap_err();
    assert!(error.is_eof(), "cut off, not otherwise broken: {error}");
    assert_eq!(f.served("token_truncated_json"), 1);
    f.assert_nothing_changed().await;
}

#[tokio::test]
async fn a_success_without_an_access_token() {
    let f = fixture().await;
    let (status, _, body) = faulty_token_answer(&f, Fault::TokenWithoutAccessToken).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert!(body.get("access_token").is_none(), "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["refresh_token"].is_string());
    assert_eq!(f.served("token_without_access_token"), 1);
    f.assert_nothing_changed().await;
}

#[tokio::test]
async fn a_token_type_other_than_bearer() {
    let f = fixture().await;
    let (status, _, body) = faulty_token_answer(&f, Fault::TokenTypeNotBearer).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["token_type"], "mac");
    let access_token = string(&body, "access_token");
    assert_eq!(
        photos_status(&f.http, &f.provider, &access_token).await,
        StatusCode::UNAUTHORIZED,
        "the token in a faulty answer is not a real one"
    );
    assert_eq!(f.served("token_type_not_bearer"), 1);
    f.assert_nothing_changed().await;
}

#[tokio::test]
async fn a_form_encoded_success_body() {
    let f = fixture().await;
    let (status, content_type, body) = faulty_token_answer(&f, Fault::TokenFormEncoded).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    let fields: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(fields["token_type"], "Bearer");
    assert_eq!(fields["expires_in"], "3600");
    assert_eq!(fields["scope"], "photos:read profile");
    assert_eq!(fields["access_token"].len(), 43);
    assert_eq!(fields["refresh_token"].len(), 43);
    assert_eq!(f.served("token_form_encoded"), 1);
    f.assert_nothing_changed().await;
}

#[tokio::test]
async fn a_50_mb_body_is_streamed_with_its_exact_length() {
    let f = fixture().await;
    f.arm(Fault::TokenHugeBody.times(1));
    let mut response = f.refresh_response().await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(HUGE_BODY_BYTES));
    assert_eq!(HUGE_BODY_BYTES, 50 * 1024 * 1024);
    let (mut total, mut chunks, mut start, mut end) = (0u64, 0u64, Vec::new(), Vec::new());
    while let Some(chunk) = response.chunk().await.unwrap() {
        total += chunk.len() as u64;
        chunks += 1;
        if start.len() < 64 {
            start.extend_from_slice(&chunk[..chunk.len().min(64)]);
        }
        end = chunk.to_vec();
    }
    assert_eq!(total, HUGE_BODY_BYTES);
    assert!(chunks > 100, "written in many chunks, not one: {chunks}");
    assert!(start.starts_with(br#"{"access_token":"AAAA"#));
    assert!(end.ends_with(br#","token_type":"Bearer","expires_in":3600}"#));
    assert_eq!(f.served("token_huge_body"), 1);
    f.assert_nothing_changed().await;
}

#[tokio::test]
async fn the_photo_api_says_invalid_token_for_the_next_requests() {
    let f = fixture().await;
    let access_token = string(&f.tokens, "access_token");
    f.arm(Fault::PhotosInvalidToken.times(2));
    assert_eq!(f.provider.stats().first_photo_list_request_unix_ms, None);
    let before = unix_ms();
    let response = get_photos(&f.http, &f.provider, &access_token).await;
    let first_list_at = f.provider.stats().first_photo_list_request_unix_ms;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    let thumbnail = f
        .http
        .get(format!("{}/p1/thumbnail", f.provider.endpoints().photos))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(thumbnail.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        photos_status(&f.http, &f.provider, &access_token).await,
        StatusCode::OK,
        "two requests, then normal again"
    );
    let stats = f.provider.stats();
    assert_eq!(stats.faults_served["photos_invalid_token"], 2);
    assert_eq!(stats.unauthorized_requests, 0, "no real refusal happened");
    assert_eq!(stats.photo_list_requests, 2);
    assert!(first_list_at.is_some_and(|at| (before..=unix_ms()).contains(&at)));
    assert_eq!(
        stats.first_photo_list_request_unix_ms, first_list_at,
        "only the first list request is timed"
    );
    assert_eq!(stats.image_requests, 1);
}

fn unix_ms() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    u64::try_from(since.as_millis()).unwrap()
}

#[tokio::test]
async fn the_photo_api_fails_with_5xx_and_retry_after() {
    let f = fixture().await;
    let access_token = string(&f.tokens, "access_token");
    f.provider
        .set_faults([
            Fault::PhotosServerError {
                status: 502,
                retry_after: Some(1),
            }
            .times(1),
            Fault::PhotosServerError {
                status: 500,
                retry_after: None,
            }
            .times(1),
        ])
        .unwrap();
    let first = get_photos(&f.http, &f.provider, &access_token).await;
    assert_eq!(first.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(first.headers()["retry-after"], "1");
    let second = get_photos(&f.http, &f.provider, &access_token).await;
    assert_eq!(second.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(second.headers().get("retry-after").is_none());
    assert_eq!(
        photos_status(&f.http, &f.provider, &access_token).await,
        StatusCode::OK
    );
    assert_eq!(f.served("photos_server_error"), 2);
}

#[tokio::test]
async fn a_stalled_download_sends_its_start_then_nothing_until_cleared() {
    let f = fixture().await;
    let access_token = string(&f.tokens, "access_token");
    f.arm(Fault::PhotosStalledDownload.times(1));
    let mut response = f
        .http
        .get(format!("{}/p1/image", f.provider.endpoints().photos))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.content_length(), Some(STALLED_DOWNLOAD_BYTES));
    let mut received = 0;
    while received < STALLED_DOWNLOAD_SENT {
        received += response
            .chunk()
            .await
            .unwrap()
            .expect("more of the start")
            .len() as u64;
    }
    assert_eq!(received, STALLED_DOWNLOAD_SENT);
    let rest = tokio::spawn(async move { response.chunk().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !rest.is_finished(),
        "nothing more comes while the fault is armed"
    );
    f.provider.clear_faults();
    let cut_off = tokio::time::timeout(Duration::from_secs(5), rest)
        .await
        .expect("released by clearing")
        .unwrap();
    assert!(
        cut_off.is_err(),
        "the download ends in an error, not a whole image"
    );
    assert_eq!(f.served("photos_stalled_download"), 1);
    assert_eq!(
        photos_status(&f.http, &f.provider, &access_token).await,
        StatusCode::OK
    );
}

async fn discovery(provider: &ProviderHandle, path: &str) -> (StatusCode, Option<Value>) {
    let response = http()
        .get(format!("{}{path}", provider.issuer_url()))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.ok())
}

const OAUTH_DOCUMENT: &str = "/.well-known/oauth-authorization-server";
const OPENID_DOCUMENT: &str = "/.well-known/openid-configuration";

#[tokio::test]
async fn discovery_can_go_missing() {
    let provider = provider(Config::default()).await;
    provider
        .set_faults([Fault::DiscoveryMissing.until_cleared()])
        .unwrap();
    for path in [OAUTH_DOCUMENT, OPENID_DOCUMENT] {
        assert_eq!(discovery(&provider, path).await.0, StatusCode::NOT_FOUND);
    }
    provider.clear_faults();
    assert_eq!(discovery(&provider, OAUTH_DOCUMENT).await.0, StatusCode::OK);
    assert_eq!(provider.stats().faults_served["discovery_missing"], 2);
}

#[tokio::test]
async fn discovery_can_name_another_issuer() {
    let provider = provider(Config::default()).await;
    let other = "http://127.0.0.1:9/elsewhere";
    provider
        .set_faults([Fault::DiscoveryOtherIssuer {
            issuer: other.to_owned(),
        }
        .times(1)])
        .unwrap();
    let (status, document) = discovery(&provider, OPENID_DOCUMENT).await;
    assert_eq!(status, StatusCode::OK);
    let document = document.unwrap();
    assert_eq!(document["issuer"], other);
    assert_eq!(
        document["token_endpoint"],
        provider.endpoints().token.as_str()
    );
    let (_, document) = discovery(&provider, OPENID_DOCUMENT).await;
    assert_eq!(document.unwrap()["issuer"], provider.issuer_url());
}

#[tokio::test]
async fn faults_of_one_endpoint_run_in_order_and_others_are_untouched() {
    let f = fixture().await;
    f.provider
        .set_faults([
            Fault::TokenServerError {
                status: 503,
                retry_after: Some(1),
            }
            .times(1),
            Fault::DiscoveryMissing.until_cleared(),
            Fault::TokenHtml.times(1),
        ])
        .unwrap();
    assert_eq!(
        f.refresh_response().await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let html = f.refresh_response().await;
    assert!(
        html.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let access_token = string(&f.tokens, "access_token");
    assert_eq!(
        photos_status(&f.http, &f.provider, &access_token).await,
        StatusCode::OK
    );
    f.assert_nothing_changed().await;
    assert_eq!(
        discovery(&f.provider, OAUTH_DOCUMENT).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn setting_faults_replaces_the_armed_ones_and_invalid_ones_are_refused() {
    let f = fixture().await;
    f.arm(Fault::TokenHtml.until_cleared());
    f.arm(Fault::PhotosInvalidToken.times(1));
    f.assert_nothing_changed().await;

    let error = f
        .provider
        .set_faults([Fault::TokenServerError {
            status: 200,
            retry_after: None,
        }
        .times(1)])
        .unwrap_err();
    assert!(error.to_string().contains("500 to 599"), "{error}");
    assert!(f.provider.set_faults([Fault::TokenHang.times(0)]).is_err());
    let access_token = string(&f.tokens, "access_token");
    assert_eq!(
        photos_status(&f.http, &f.provider, &access_token).await,
        StatusCode::UNAUTHORIZED,
        "the refused sets left the armed fault in place"
    );
}

#[tokio::test]
async fn shutdown_releases_a_hanging_request() {
    let f = fixture().await;
    f.arm(Fault::TokenHang.until_cleared());
    let mut stream = raw_token_request(&f.provider).await;
    let waiting = tokio::spawn(async move { read_all(&mut stream).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    f.provider.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "did not wait for the hanging request"
    );
    let answer = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap();
    assert!(answer.is_empty());
}

#[tokio::test]
async fn dropping_the_handle_releases_a_hanging_request() {
    let f = fixture().await;
    f.arm(Fault::TokenHang.until_cleared());
    let mut stream = raw_token_request(&f.provider).await;
    let waiting = tokio::spawn(async move { read_all(&mut stream).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(f);
    let answer = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("released when the handle is dropped")
        .unwrap();
    assert!(answer.is_empty());
}
