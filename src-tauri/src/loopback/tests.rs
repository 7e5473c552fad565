//! The parser as a pure function, and the listener over real loopback TCP with a delivery that
//! plays the connection: a callback with `state=good` connects, `state=deny` fails, any other
//! is ignored.

use std::sync::Mutex;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

fn parsed(text: &str) -> Result<RequestHead, HeadError> {
    parse_head(text.as_bytes())
}

#[test]
fn a_browser_request_head_parses_into_method_and_target() {
    let head = parsed(
        "GET /oauth/callback?code=a&state=b HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nUser-Agent: x\r\n\r\n",
    )
    .unwrap();
    assert_eq!(head.method, "GET");
    assert_eq!(head.target, "/oauth/callback?code=a&state=b");
    assert_eq!(head.path(), "/oauth/callback");
    assert_eq!(head.host.as_deref(), Some("127.0.0.1:5000"));
    assert_eq!(parsed("POST / HTTP/1.0\r\n\r\n").unwrap().method, "POST");
}

#[test]
fn the_host_header_is_read_whatever_its_case_and_spacing_and_only_once() {
    let host = |text: &str| parsed(text).map(|head| head.host);
    assert_eq!(
        host("GET / HTTP/1.1\r\nhOsT:  \t127.0.0.1:80 \r\n\r\n"),
        Ok(Some("127.0.0.1:80".into()))
    );
    assert_eq!(host("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n"), Ok(None));
    assert_eq!(
        host("GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\nHost: evil.example\r\n\r\n"),
        Err(HeadError::Malformed),
        "two Host headers (RFC 9112 §3.2)"
    );
}

#[test]
fn a_head_without_its_empty_line_is_incomplete_until_too_large() {
    assert_eq!(
        parsed("GET / HTTP/1.1\r\nHost: a\r\n"),
        Err(HeadError::Incomplete)
    );
    assert_eq!(parsed(""), Err(HeadError::Incomplete));
    let long = format!("GET /{} HTTP/1.1\r\n", "a".repeat(MAX_HEAD));
    assert_eq!(parsed(&long), Err(HeadError::TooLarge));
    let complete_but_long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
    assert_eq!(parsed(&complete_but_long), Err(HeadError::TooLarge));
}

#[test]
fn garbage_and_malformed_heads_are_refused() {
    for text in [
        "\r\n\r\n",
        "GET\r\n\r\n",
        "GET /x\r\n\r\n",
        "GET /x HTTP/2\r\n\r\n",
        "GET  /x HTTP/1.1\r\n\r\n",
        "GET http://evil.example/ HTTP/1.1\r\n\r\n",
        "GET * HTTP/1.1\r\n\r\n",
        "G(T /x HTTP/1.1\r\n\r\n",
        "GET /x HTTP/1.1 extra\r\n\r\n",
        "GET /x HTTP/1.1\r\nno colon\r\n\r\n",
        "GET /x HTTP/1.1\r\n folded: line\r\n\r\n",
        "GET /x HTTP/1.1\r\n: empty name\r\n\r\n",
        "GET /x HTTP/1.1\r\nA: b\rc\r\n\r\n",
        "GET /x HTTP/1.1\r\nA: b\nc\r\n\r\n",
        "GET /x HTTP/1.1\nHost: a\r\n\r\n",
        "GET /caf\u{e9} HTTP/1.1\r\n\r\n",
    ] {
        assert_eq!(parsed(text), Err(HeadError::Malformed), "{text:?}");
    }
    assert_eq!(
        parse_head(b"\x16\x03\x01\x02\x00"),
        Err(HeadError::Malformed),
        "a TLS hello"
    );
    assert_eq!(
        parse_head(b"GET /\0 HTTP/1.1\r\n\r\n"),
        Err(HeadError::Malformed)
    );
}

#[test]
fn the_parser_never_panics_on_any_bytes() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for length in 0..2000 {
        let bytes: Vec<u8> = (0..length % 300)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                b"GET /\r\n :?&=HTTP1.x\x00\xff"[(seed % 21) as usize]
            })
            .collect();
        let _ = parse_head(&bytes);
    }
}

#[test]
fn pages_never_echo_markup_and_carry_the_safety_headers() {
    let answer =
        String::from_utf8(Page::failed("You declined <b>access</b> at A&B.").to_http()).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("You declined &lt;b&gt;access&lt;/b&gt; at A&amp;B."),
        "{answer}"
    );
    for header in [
        "Cache-Control: no-store\r\n",
        "Content-Security-Policy: default-src 'none'\r\n",
        "Referrer-Policy: no-referrer\r\n",
    ] {
        assert!(answer.contains(header), "{answer}");
    }
}

/// A delivery that records the URLs it got and plays the connection.
#[derive(Clone, Default)]
struct Recorder {
    urls: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn deliver(&self) -> Deliver {
        let urls = self.urls.clone();
        Arc::new(move |url: String| {
            urls.lock().unwrap().push(url.clone());
            Box::pin(async move {
                if url.contains("state=good") {
                    CallbackOutcome::Connected
                } else if url.contains("state=deny") {
                    CallbackOutcome::Failed("You declined access at Test Photos.".into())
                } else {
                    CallbackOutcome::Ignored
                }
            })
        })
    }

    fn urls(&self) -> Vec<String> {
        self.urls.lock().unwrap().clone()
    }
}

async fn listening(read_time: Duration) -> (LoopbackListener, Recorder) {
    let recorder = Recorder::default();
    let listener = LoopbackListener::start_with(None, recorder.deliver(), read_time)
        .await
        .unwrap();
    (listener, recorder)
}

/// Sends `request` as is and returns the whole answer.
async fn send(port: u16, request: &[u8]) -> String {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .await
        .unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

async fn get(port: u16, target: &str) -> String {
    send(
        port,
        format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes(),
    )
    .await
}

/// Whether the port refuses connections within a second.
async fn closed(port: u16) -> bool {
    for _ in 0..50 {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .is_err()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn it_listens_on_the_loopback_ip_literal_and_names_its_redirect_uri() {
    let (listener, _) = listening(READ_TIME).await;
    let port = listener.port();
    assert_ne!(port, 0);
    assert_eq!(
        redirect_uri(port),
        format!("http://127.0.0.1:{port}/oauth/callback")
    );
    let probe = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .await
        .unwrap();
    assert_eq!(probe.peer_addr().unwrap().ip(), Ipv4Addr::LOCALHOST);
}

#[tokio::test]
async fn a_fixed_port_is_used_when_asked() {
    let free = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listener = LoopbackListener::start(Some(free), Recorder::default().deliver())
        .await
        .unwrap();
    assert_eq!(listener.port(), free);
    assert!(
        LoopbackListener::start(Some(free), Recorder::default().deliver())
            .await
            .is_err(),
        "the port is taken"
    );
}

#[tokio::test]
async fn one_good_callback_completes_the_sign_in_and_the_listener_stops() {
    let (listener, recorder) = listening(READ_TIME).await;
    let port = listener.port();

    let answer = get(port, "/oauth/callback?code=a&state=good").await;

    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("You can close this tab and return to PhotoLink"),
        "{answer}"
    );
    assert!(answer.contains("Cache-Control: no-store\r\n"));
    assert!(answer.contains("Content-Security-Policy: default-src 'none'\r\n"));
    assert!(answer.contains("Referrer-Policy: no-referrer\r\n"));
    assert!(!answer.contains("code=a"), "the page echoes the request");
    assert_eq!(
        recorder.urls(),
        [format!(
            "http://127.0.0.1:{port}/oauth/callback?code=a&state=good"
        )]
    );
    assert!(
        closed(port).await,
        "the listener still accepts after the sign-in ended"
    );
}

#[tokio::test]
async fn a_callback_that_fails_the_sign_in_says_why_and_the_listener_stops() {
    let (listener, _) = listening(READ_TIME).await;
    let port = listener.port();

    let answer = get(port, "/oauth/callback?error=access_denied&state=deny").await;

    assert!(
        answer.contains("You declined access at Test Photos."),
        "{answer}"
    );
    assert!(!answer.contains("access_denied"), "{answer}");
    assert!(closed(port).await);
}

#[tokio::test]
async fn wrong_paths_wrong_state_other_methods_and_garbage_leave_it_waiting() {
    let (listener, recorder) = listening(READ_TIME).await;
    let port = listener.port();

    let wrong_path = get(port, "/favicon.ico?state=good").await;
    assert!(wrong_path.starts_with("HTTP/1.1 404 "), "{wrong_path}");
    let wrong_state = get(port, "/oauth/callback?code=x&state=forged<script>").await;
    assert!(wrong_state.starts_with("HTTP/1.1 400 "), "{wrong_state}");
    assert!(
        wrong_state.contains("does not belong to the sign-in"),
        "{wrong_state}"
    );
    assert!(
        !wrong_state.contains("forged"),
        "the page echoes the request: {wrong_state}"
    );
    let post = send(
        port,
        format!(
            "POST /oauth/callback?state=good HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 3\r\n\r\nabc"
        )
        .as_bytes(),
    )
    .await;
    assert!(post.starts_with("HTTP/1.1 405 "), "{post}");
    assert!(post.contains("Allow: GET\r\n"), "{post}");
    let garbage = send(
        port,
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage\r\n\r\n",
    )
    .await;
    assert!(garbage.starts_with("HTTP/1.1 400 "), "{garbage}");
    let oversized = send(
        port,
        format!(
            "GET /oauth/callback?state=good HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_HEAD)
        )
        .as_bytes(),
    )
    .await;
    assert!(oversized.starts_with("HTTP/1.1 431 "), "{oversized}");
    drop(
        TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .unwrap(),
    );

    assert_eq!(
        recorder.urls().len(),
        1,
        "only the wrong state reached the connection"
    );
    let good = get(port, "/oauth/callback?code=a&state=good").await;
    assert!(good.starts_with("HTTP/1.1 200 OK\r\n"), "{good}");
}

#[tokio::test]
async fn a_request_naming_another_host_gets_an_error_page_and_leaves_the_sign_in_waiting() {
    let (listener, recorder) = listening(READ_TIME).await;
    let port = listener.port();
    let other_port = port.wrapping_add(1);
    let callback = "GET /oauth/callback?code=a&state=good HTTP/1.1\r\n";

    // A page on a rebound name (DNS rebinding) sends its own host name; so do `localhost` and
    // any other name or port that is not the redirect URI's.
    for host in [
        "Host: evil.example\r\n".to_owned(),
        format!("Host: evil.example:{port}\r\n"),
        format!("Host: localhost:{port}\r\n"),
        format!("Host: 127.0.0.1:{other_port}\r\n"),
        "Host: 127.0.0.1\r\n".to_owned(),
        format!("Host: [::1]:{port}\r\n"),
        format!("Host: 127.0.0.2:{port}\r\n"),
        String::new(),
    ] {
        let answer = send(port, format!("{callback}{host}\r\n").as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 421 "), "{host:?}: {answer}");
        assert!(
            answer.contains("only receives sign-ins at 127.0.0.1"),
            "{host:?}: {answer}"
        );
        assert!(!answer.contains("evil"), "the page echoes the request");
    }
    let two_hosts = send(
        port,
        format!("{callback}Host: 127.0.0.1:{port}\r\nHost: evil.example\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(two_hosts.starts_with("HTTP/1.1 400 "), "{two_hosts}");

    assert!(
        recorder.urls().is_empty(),
        "a request for another host was delivered"
    );
    let good = get(port, "/oauth/callback?code=a&state=good").await;
    assert!(good.starts_with("HTTP/1.1 200 OK\r\n"), "{good}");
}

#[tokio::test]
async fn a_slow_client_is_cut_off_and_does_not_hold_up_the_callback() {
    let (listener, _) = listening(Duration::from_millis(300)).await;
    let port = listener.port();
    let mut slow = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .await
        .unwrap();
    slow.write_all(b"GET /oauth/callback?state=good HTTP/1.1\r\n")
        .await
        .unwrap();

    let mut answer = Vec::new();
    let cut_off = tokio::time::timeout(Duration::from_secs(3), slow.read_to_end(&mut answer)).await;
    assert!(cut_off.is_ok(), "the slow client was never cut off");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 408 "));

    let _slower = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .await
        .unwrap();
    let good = get(port, "/oauth/callback?code=a&state=good").await;
    assert!(good.starts_with("HTTP/1.1 200 OK\r\n"), "{good}");
}

#[tokio::test]
async fn dropping_the_listener_closes_its_port() {
    let (listener, recorder) = listening(READ_TIME).await;
    let port = listener.port();

    drop(listener);

    assert!(closed(port).await, "the port still accepts connections");
    assert!(recorder.urls().is_empty());
}

#[tokio::test]
async fn a_flood_of_idle_connections_is_cut_off_and_the_callback_then_completes() {
    let (listener, recorder) = listening(Duration::from_millis(300)).await;
    let port = listener.port();
    let mut idle = Vec::new();
    for _ in 0..MAX_CONNECTIONS + 8 {
        idle.push(
            TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                .await
                .unwrap(),
        );
    }

    tokio::time::sleep(Duration::from_millis(800)).await;

    for mut stream in idle {
        let mut answer = Vec::new();
        let ended = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut answer));
        assert!(ended.await.is_ok(), "an idle connection was left open");
    }
    assert!(recorder.urls().is_empty());
    let good = get(port, "/oauth/callback?code=a&state=good").await;
    assert!(good.starts_with("HTTP/1.1 200 OK\r\n"), "{good}");
}
