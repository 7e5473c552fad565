//! Code exchange against a scripted server: request shape, client authentication, and every
//! kind of answer a real server might give.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use photolink_oauth::{ClientSecret, Error, TokenErrorCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::assert_unexpected_status;
use crate::support::mock::{Mock, REDIRECT_URI, config, exchange, json, reply, tokens};

#[tokio::test]
async fn code_exchange_posts_the_required_form() {
    let mock = Mock::start(|_| tokens("at-1", Some("rt-1"), 3600)).await;
    let client = mock.client();
    let pending = photolink_oauth::PendingAuthorization::new();
    let url = pending.begin(&client).unwrap();
    let challenge = crate::support::mock::query_param(&url, "code_challenge").unwrap();
    let state = crate::support::mock::query_param(&url, "state").unwrap();
    let response = pending
        .complete(&format!("{REDIRECT_URI}?code=the-code&state={state}"))
        .unwrap();

    let set = client.exchange_code(response).await.unwrap();
    assert_eq!(set.access_token.secret(), "at-1");
    assert_eq!(set.refresh_token.unwrap().secret(), "rt-1");
    assert_eq!(
        set.scopes,
        ["photos:read", "profile"],
        "no scope answered: the requested ones"
    );

    let requests = mock.requests_to("/token");
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert!(request.header("authorization").is_none());
    assert_eq!(request.param("grant_type"), Some("authorization_code"));
    assert_eq!(request.param("code"), Some("the-code"));
    assert_eq!(request.param("redirect_uri"), Some(REDIRECT_URI));
    assert_eq!(request.param("client_id"), Some("photolink-desktop"));
    assert_eq!(request.param("client_secret"), None);
    let verifier = request.param("code_verifier").unwrap();
    let expected = photolink_oauth::PkceVerifier::new(verifier).challenge();
    assert_eq!(
        expected, challenge,
        "the verifier matches the challenge sent"
    );
}

#[tokio::test]
async fn a_configured_secret_is_sent_in_the_body() {
    let mock = Mock::start(|_| tokens("at", None, 60)).await;
    let client = mock.client_with(config().with_client_secret(ClientSecret::new("s3cret")));
    exchange(&client, "c").await.unwrap();
    let request = &mock.requests_to("/token")[0];
    assert_eq!(request.param("client_secret"), Some("s3cret"));
    assert_eq!(request.param("client_id"), Some("photolink-desktop"));
    assert!(request.header("authorization").is_none());
}

#[tokio::test]
async fn client_secret_basic_when_the_server_prefers_it() {
    let mock = Mock::start(|_| tokens("at", None, 60)).await;
    let mut metadata = mock.metadata();
    metadata.token_endpoint_auth_methods_supported =
        vec!["client_secret_basic".into(), "client_secret_post".into()];
    let config = config().with_client_secret(ClientSecret::new("a:b&c"));
    let client = photolink_oauth::OAuthClient::new(config, metadata).unwrap();
    exchange(&client, "c").await.unwrap();
    let request = &mock.requests_to("/token")[0];
    // base64("photolink-desktop:a%3Ab%26c") — both parts form-encoded first (RFC 6749 §2.3.1).
    assert_eq!(
        request.header("authorization"),
        Some("Basic cGhvdG9saW5rLWRlc2t0b3A6YSUzQWIlMjZj")
    );
    assert_eq!(request.param("client_secret"), None);
    assert_eq!(request.param("client_id"), None);
}

#[tokio::test]
async fn seed_style_expires_and_string_lifetimes_are_understood() {
    let mock = Mock::start(|_| {
        json(200, r#"{"access_token":"AYjcyMzY3ZDhiNmJkNTY","refresh_token":"RjY2NjM5NzA2OWJjuE7c","token_type":"bearer","expires":"3600","scope":"photos:read"}"#)
    })
    .await;
    let client = mock.client();
    let set = exchange(&client, "c").await.unwrap();
    let lifetime = set
        .expires_at
        .unwrap()
        .duration_since(set.received_at)
        .unwrap();
    assert_eq!(lifetime, Duration::from_secs(3600));
    assert_eq!(
        set.scopes,
        ["photos:read"],
        "granted scope kept, not the requested one"
    );
}

#[tokio::test]
async fn an_rfc6749_error_is_typed() {
    let mock = Mock::start(|_| {
        json(400, r#"{"error":"invalid_grant","error_description":"code expired","error_uri":"https://docs/x"}"#)
    })
    .await;
    let client = mock.client();
    let error = exchange(&client, "c").await.unwrap_err();
    match error {
        Error::Token {
            code,
            description,
            status,
            ..
        } => {
            assert_eq!(code, TokenErrorCode::InvalidGrant);
            assert_eq!(description.as_deref(), Some("code expired"));
            assert_eq!(status, 400);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_retry_after_from_the_token_endpoint_is_kept_in_the_error_and_not_acted_on() {
    let mock = Mock::start(|_| {
        let mut answer = json(503, r#"{"error":"temporarily_unavailable"}"#);
        answer
            .headers_mut()
            .insert("retry-after", "120".parse().unwrap());
        answer
    })
    .await;
    let error = exchange(&mock.client(), "c").await.unwrap_err();
    assert!(
        matches!(&error, Error::Token { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
    assert!(error.is_transient());
    assert!(error.to_string().contains("retry after 120 s"), "{error}");
    assert_eq!(
        mock.requests_to("/token").len(),
        1,
        "a token request is never retried by itself"
    );

    let error = exchange_error(503, "text/html", "<html>down</html>").await;
    assert_eq!(error.retry_after(), None, "no header, no hint");
}

/// Exchanges a code against a server that always gives this answer.
async fn exchange_error(status: u16, content_type: &'static str, body: &'static str) -> Error {
    let mock = Mock::start(move |_| reply(status, content_type, body)).await;
    let client = mock.client();
    exchange(&client, "c").await.unwrap_err()
}

fn assert_names_status(error: &Error, status: u16, words: &str) {
    let text = error.to_string();
    assert!(
        matches!(error, Error::UnexpectedResponse { status: s, .. } if *s == status),
        "{error:?}"
    );
    assert!(
        text.contains(&format!("HTTP {status}")) && text.contains(words),
        "{text}"
    );
}

#[tokio::test]
async fn an_html_error_page_names_the_status() {
    let error = exchange_error(
        502,
        "text/html",
        "<html><body><h1>Bad Gateway</h1></body></html>",
    )
    .await;
    assert_names_status(&error, 502, "web page");
}

#[tokio::test]
async fn a_problem_json_body_names_the_status_and_title() {
    let body = r#"{"type":"about:blank","title":"Rate limited","status":429,"detail":"slow down"}"#;
    let error = exchange_error(429, "application/problem+json", body).await;
    assert_names_status(&error, 429, "Rate limited");
}

#[tokio::test]
async fn a_plain_text_body_names_the_status_without_quoting_it() {
    let error = exchange_error(503, "text/plain", "Service Unavailable").await;
    assert_names_status(&error, 503, "plain text");
    assert!(
        !format!("{error} {error:?}").contains("Unavailable"),
        "{error:?}"
    );
}

/// Tokens in the style of RFC 6749's examples.
const ACCESS_TOKEN: &str = "2YotnFZFEjr1zCsicMWpAA";
const REFRESH_TOKEN: &str = "tGzv3JOkF0XG5Qx2TlKWIA";

fn assert_shows_no_token(error: &Error) {
    let shown = format!("{error} | {error:?}");
    for token in [ACCESS_TOKEN, REFRESH_TOKEN] {
        assert!(!shown.contains(token), "{shown}");
    }
}

#[tokio::test]
async fn a_form_encoded_token_answer_is_refused_without_showing_the_tokens() {
    for status in [200, 400] {
        let body = format!(
            "access_token={ACCESS_TOKEN}&token_type=bearer&expires_in=3600&refresh_token={REFRESH_TOKEN}"
        );
        let mock =
            Mock::start(move |_| reply(status, "application/x-www-form-urlencoded", body.clone()))
                .await;
        let error = exchange(&mock.client(), "c").await.unwrap_err();
        assert_names_status(&error, status, "form-encoded");
        assert_shows_no_token(&error);
    }
}

#[tokio::test]
async fn a_form_encoded_answer_labelled_as_text_shows_no_tokens() {
    let body: &'static str =
        "access_token=2YotnFZFEjr1zCsicMWpAA&refresh_token=tGzv3JOkF0XG5Qx2TlKWIA";
    let error = exchange_error(200, "text/plain", body).await;
    assert_names_status(&error, 200, "form-encoded");
    assert_shows_no_token(&error);
}

#[tokio::test]
async fn a_token_in_an_error_description_is_hidden() {
    let mock = Mock::start(|_| {
        json(
            400,
            &format!(
                r#"{{"error":"invalid_grant","error_description":"refresh token {REFRESH_TOKEN} was revoked\u0007","error_uri":"https://docs.example.com/errors?t={ACCESS_TOKEN}"}}"#
            ),
        )
    })
    .await;
    let error = exchange(&mock.client(), "c").await.unwrap_err();
    assert_shows_no_token(&error);
    match &error {
        Error::Token {
            description, uri, ..
        } => {
            assert_eq!(
                description.as_deref(),
                Some("refresh token [hidden] was revoked")
            );
            assert_eq!(uri.as_deref(), Some("[hidden]"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_token_type_is_named_without_echoing_a_token() {
    let mock = Mock::start(|_| {
        json(
            200,
            &format!(r#"{{"access_token":"{ACCESS_TOKEN}","token_type":"{REFRESH_TOKEN}"}}"#),
        )
    })
    .await;
    let error = exchange(&mock.client(), "c").await.unwrap_err();
    assert_unexpected_status(&error, 200);
    assert_shows_no_token(&error);
}

#[tokio::test]
async fn an_empty_body_names_the_status() {
    let error = exchange_error(500, "application/json", "").await;
    assert_names_status(&error, 500, "empty body");
}

#[tokio::test]
async fn truncated_json_names_the_status() {
    let error = exchange_error(
        200,
        "application/json",
        r#"{"access_token":"abc","token_ty"#,
    )
    .await;
    assert_names_status(&error, 200, "incomplete JSON");
}

#[tokio::test]
async fn a_success_without_json_is_refused() {
    let error = exchange_error(200, "text/html", "<html>Logged in!</html>").await;
    assert_names_status(&error, 200, "web page");
}

#[tokio::test]
async fn a_connection_closed_mid_body_is_reported() {
    let base = raw_server(|| {
        let mut answer =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n"
                .to_vec();
        answer.extend_from_slice(br#"{"access_token":"abc""#);
        answer
    })
    .await;
    let client = client_of(&base, config());
    let error = exchange(&client, "c").await.unwrap_err();
    assert_names_status(&error, 200, "cut off");
}

#[tokio::test]
async fn oversize_bodies_are_refused() {
    // Announced length over the cap.
    let big = "x".repeat(1024 * 1024 + 1);
    let mock = Mock::start(move |_| json(200, &big)).await;
    let client = mock.client();
    let error = exchange(&client, "c").await.unwrap_err();
    assert!(
        matches!(error, Error::ResponseTooLarge { limit: 1048576 }),
        "{error:?}"
    );

    // Streamed in chunks, without a length.
    let base = raw_server(|| {
        let mut answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..40 {
            answer.extend_from_slice(format!("{:x}\r\n", 32 * 1024).as_bytes());
            answer.extend_from_slice(&[b' '; 32 * 1024]);
            answer.extend_from_slice(b"\r\n");
        }
        answer.extend_from_slice(b"0\r\n\r\n");
        answer
    })
    .await;
    let client = client_of(&base, config());
    let error = exchange(&client, "c").await.unwrap_err();
    assert!(matches!(error, Error::ResponseTooLarge { .. }), "{error:?}");
}

/// A one-connection server that writes `answer()` verbatim after reading the request.
async fn raw_server(answer: impl FnOnce() -> Vec<u8> + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buffer = [0u8; 4096];
        let _ = socket.read(&mut buffer).await;
        let _ = socket.write_all(&answer()).await;
        let _ = socket.shutdown().await;
    });
    base
}

fn client_of(base: &str, config: photolink_oauth::ClientConfig) -> photolink_oauth::OAuthClient {
    let metadata = photolink_oauth::ServerMetadata::new(
        base,
        format!("{base}/authorize"),
        format!("{base}/token"),
    );
    photolink_oauth::OAuthClient::new(config, metadata).unwrap()
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let mock = Mock::start(|request| {
        if request.path == "/token" {
            (StatusCode::TEMPORARY_REDIRECT, [("location", "/elsewhere")]).into_response()
        } else {
            tokens("stolen", None, 60)
        }
    })
    .await;
    let client = mock.client();
    let error = exchange(&client, "c").await.unwrap_err();
    assert_unexpected_status(&error, 307);
    assert!(mock.requests_to("/elsewhere").is_empty());
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (_socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let mut config = config();
    config.http.timeout = Duration::from_millis(200);
    let client = client_of(&base, config);
    let error = exchange(&client, "c").await.unwrap_err();
    assert!(matches!(error, Error::Network(_)), "{error:?}");
    assert_eq!(error.to_string(), "network error: timed out");
}
