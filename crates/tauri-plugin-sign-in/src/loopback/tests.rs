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
        "GET /oauth/callback?code=a#x HTTP/1.1\r\n\r\n",
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
    let with_headers = |count: usize| format!("GET / HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(count));
    assert!(parsed(&with_headers(MAX_HEADERS)).is_ok());
    assert_eq!(
        parsed(&with_headers(MAX_HEADERS + 1)),
        Err(HeadError::Malformed),
        "more header lines than a browser sends"
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

async fn listening(read_time: ReadTime) -> (LoopbackListener, Recorder) {
    let recorder = Recorder::default();
    let listener = LoopbackListener::start_with(None, recorder.deliver(), read_time)
        .await
        .unwrap();
    (listener, recorder)
}

/// The listener's own read time: [`READ_TIME`], which no test waits out.
fn ample() -> ReadTime {
    read_time_of(READ_TIME)
}

/// [`ample`], counting the connections whose reading ended (their head read, or cut off).
fn counting_ends(ended: Arc<tokio::sync::watch::Sender<usize>>) -> ReadTime {
    Arc::new(move || {
        let counted = CountedOnDrop(ended.clone());
        let time_up = tokio::time::sleep(READ_TIME);
        Box::pin(async move {
            let _counted = counted;
            time_up.await;
        })
    })
}

/// Counts one when dropped.
struct CountedOnDrop(Arc<tokio::sync::watch::Sender<usize>>);

impl Drop for CountedOnDrop {
    fn drop(&mut self) {
        self.0.send_modify(|count| *count += 1);
    }
}

/// A read time the test ends: while it is up, every connection being read, and every one
/// that starts, is out of time; until then, none is. No wall clock is involved.
#[derive(Clone)]
struct ReadTimeSwitch(Arc<tokio::sync::watch::Sender<bool>>);

impl ReadTimeSwitch {
    fn new() -> Self {
        Self(Arc::new(tokio::sync::watch::Sender::new(false)))
    }

    fn read_time(&self) -> ReadTime {
        let up = self.0.clone();
        Arc::new(move || {
            let mut up = up.subscribe();
            Box::pin(async move {
                // The switch outlives the listener, so the wait ends only when it is up.
                let _ = up.wait_for(|up| *up).await;
            })
        })
    }

    /// The time is up (`true`) or given again to connections that start from now (`false`).
    fn set_up(&self, up: bool) {
        self.0.send_replace(up);
    }
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

/// Whether the port refuses connections once the listener's task has had its turns to stop.
async fn closed(port: u16) -> bool {
    for _ in 0..50 {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .is_err()
        {
            return true;
        }
        tokio::task::yield_now().await;
    }
    false
}

#[tokio::test]
async fn it_listens_on_the_loopback_ip_literal_and_names_its_redirect_uri() {
    let (listener, _) = listening(ample()).await;
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
    let (listener, recorder) = listening(ample()).await;
    let port = listener.port();

    let answer = get(port, "/oauth/callback?code=a&state=good").await;

    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("You can close this tab and return to the app"),
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
    let (listener, _) = listening(ample()).await;
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
    let (listener, recorder) = listening(ample()).await;
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
    let (listener, recorder) = listening(ample()).await;
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
    let time = ReadTimeSwitch::new();
    let (listener, _) = listening(time.read_time()).await;
    let port = listener.port();
    let mut slow = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .await
        .unwrap();
    slow.write_all(b"GET /oauth/callback?state=good HTTP/1.1\r\n")
        .await
        .unwrap();

    time.set_up(true);
    let mut answer = Vec::new();
    let cut_off = tokio::time::timeout(Duration::from_secs(3), slow.read_to_end(&mut answer)).await;
    assert!(cut_off.is_ok(), "the slow client was never cut off");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 408 "));

    time.set_up(false);
    let _slower = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .await
        .unwrap();
    let good = get(port, "/oauth/callback?code=a&state=good").await;
    assert!(good.starts_with("HTTP/1.1 200 OK\r\n"), "{good}");
}

#[tokio::test]
async fn the_listeners_own_read_time_cuts_off_a_client_that_outlasts_it() {
    let (listener, recorder) = listening(read_time_of(Duration::ZERO)).await;
    let mut slow = TcpStream::connect((Ipv4Addr::LOCALHOST, listener.port()))
        .await
        .unwrap();
    slow.write_all(b"GET /oauth/callback?state=good HTTP/1.1\r\n")
        .await
        .unwrap();

    let mut answer = Vec::new();
    let cut_off = tokio::time::timeout(Duration::from_secs(3), slow.read_to_end(&mut answer)).await;
    assert!(cut_off.is_ok(), "the slow client was never cut off");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 408 "));
    assert!(recorder.urls().is_empty());
}

#[tokio::test]
async fn dropping_the_listener_closes_its_port() {
    let (listener, recorder) = listening(ample()).await;
    let port = listener.port();

    drop(listener);

    assert!(closed(port).await, "the port still accepts connections");
    assert!(recorder.urls().is_empty());
}

#[tokio::test]
async fn a_flood_of_idle_connections_is_cut_off_and_the_callback_then_completes() {
    let time = ReadTimeSwitch::new();
    let (listener, recorder) = listening(time.read_time()).await;
    let port = listener.port();
    let mut idle = Vec::new();
    for _ in 0..MAX_CONNECTIONS + 8 {
        idle.push(
            TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                .await
                .unwrap(),
        );
    }

    // Each one is closed by the listener when it is over the limit or its read time is over.
    time.set_up(true);
    for mut stream in idle {
        let mut answer = Vec::new();
        let ended = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut answer));
        assert!(ended.await.is_ok(), "an idle connection was left open");
    }
    assert!(recorder.urls().is_empty());
    time.set_up(false);
    let good = get(port, "/oauth/callback?code=a&state=good").await;
    assert!(good.starts_with("HTTP/1.1 200 OK\r\n"), "{good}");
}

#[tokio::test]
async fn idle_connections_holding_every_slot_do_not_keep_the_callback_out() {
    let (listener, recorder) = listening(ample()).await;
    let port = listener.port();
    let mut idle = Vec::new();
    for _ in 0..MAX_CONNECTIONS + 8 {
        idle.push(
            TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                .await
                .unwrap(),
        );
    }

    // Well inside the read time the idle connections are granted: nothing waits them out.
    let good = tokio::time::timeout(
        Duration::from_secs(2),
        get(port, "/oauth/callback?code=a&state=good"),
    )
    .await
    .expect("the callback waited for the idle connections");

    assert!(good.starts_with("HTTP/1.1 200 OK\r\n"), "{good}");
    assert_eq!(
        recorder.urls(),
        [format!(
            "http://127.0.0.1:{port}/oauth/callback?code=a&state=good"
        )]
    );
    drop(idle);
}

#[test]
fn a_full_house_closes_the_longest_waiting_connection_that_does_not_name_the_callback() {
    use tokio::sync::oneshot::error::TryRecvError;
    let closed = |receiver: &mut oneshot::Receiver<()>| {
        matches!(receiver.try_recv(), Err(TryRecvError::Closed))
    };
    let mut reading = Reading::default();
    let (callback, mut callback_closes) = reading.admit();
    reading.names_callback(callback);
    let mut idle: Vec<_> = (1..MAX_CONNECTIONS).map(|_| reading.admit()).collect();

    let (newcomer, mut newcomer_closes) = reading.admit();

    assert!(closed(&mut idle[0].1), "the longest-waiting idle one stays");
    assert!(!closed(&mut callback_closes), "the callback was closed");
    assert!(idle[1..].iter_mut().all(|(_, r)| !closed(r)));
    assert!(!closed(&mut newcomer_closes));

    // Once every waiting connection names the callback, the longest-waiting one goes.
    for (id, _) in &idle[1..] {
        reading.names_callback(*id);
    }
    reading.names_callback(newcomer);
    let (newest_id, _newest_closes) = reading.admit();
    assert!(closed(&mut callback_closes));
    reading.done(newest_id);
    assert_eq!(reading.readers.len(), MAX_CONNECTIONS - 1);
}

#[test]
fn only_a_get_of_the_callback_path_names_the_callback() {
    for head in [
        "GET /oauth/callback?code=a",
        "GET /oauth/callback HTTP/1.1\r\n",
    ] {
        assert!(names_callback(head.as_bytes()), "{head:?}");
    }
    for head in [
        "GET /oauth/callback",
        "GET /oauth/callbackx?",
        "GET /oauth/callback/?",
        "get /oauth/callback?",
        "POST /oauth/callback?",
        "GET  /oauth/callback?",
        "GET /OAUTH/callback?",
        "",
    ] {
        assert!(!names_callback(head.as_bytes()), "{head:?}");
    }
}

mod properties {
    //! The request head parser and the listener's routing over arbitrary input: any bytes,
    //! bytes 0x80–0xFF and controls, tabs, heads past [`MAX_HEAD`], and request lines and
    //! `Host` headers that are near misses of the callback's.

    use proptest::prelude::*;

    use super::*;

    const PORT: u16 = 49_152;

    /// `tchar` of RFC 9110 §5.6.2.
    fn is_token_byte(byte: u8) -> bool {
        byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
    }

    fn callback_head(query: &str, extra: &str) -> String {
        format!("GET /oauth/callback?{query} HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n{extra}\r\n")
    }

    /// Methods, paths and hosts with the one the listener accepts first.
    const METHODS: &[&str] = &["GET", "get", "Get", "POST", "HEAD", "PUT", "GET\t"];
    const PATHS: &[&str] = &[
        "/oauth/callback",
        "/oauth/callback/",
        "/OAUTH/CALLBACK",
        "/oauth/Callback",
        "//oauth/callback",
        "/oauth//callback",
        "/oauth/%63allback",
        "/oauth/callback;x",
        "/oauth/callback%3F",
        "/./oauth/callback",
        "/oauth/callback/..",
        "/",
        "/oauth",
    ];
    fn hosts() -> Vec<String> {
        vec![
            format!("127.0.0.1:{PORT}"),
            "127.0.0.1".into(),
            format!("127.0.0.1:{}", PORT + 1),
            format!("127.0.0.1:0{PORT}"),
            format!("localhost:{PORT}"),
            format!("LOCALHOST:{PORT}"),
            format!("[::1]:{PORT}"),
            format!("127.1:{PORT}"),
            format!("2130706433:{PORT}"),
            format!("0x7f.0.0.1:{PORT}"),
            format!("127.0.0.2:{PORT}"),
            format!("127.0.0.1.:{PORT}"),
            format!("evil.example:{PORT}"),
            format!("user@127.0.0.1:{PORT}"),
            format!("127.0.0.1:{PORT}, evil.example"),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_bytes_never_panic_and_an_accepted_head_is_complete_small_and_plain(
            bytes in prop_oneof![
                prop::collection::vec(any::<u8>(), 0..MAX_HEAD + 2048),
                prop::collection::vec(any::<u8>(), 0..MAX_HEAD + 2048).prop_map(|tail| {
                    [callback_head("code=a&state=b", "").into_bytes(), tail].concat()
                }),
            ],
        ) {
            let end = bytes.windows(4).position(|w| w == b"\r\n\r\n");
            match parse_head(&bytes) {
                Ok(head) => {
                    let end = end.expect("accepted without its empty line");
                    prop_assert!(end + 4 <= MAX_HEAD);
                    prop_assert!(bytes[..end].iter().all(|b| is_head_byte(*b)));
                    prop_assert!(!head.method.is_empty());
                    prop_assert!(head.method.bytes().all(is_token_byte));
                    prop_assert!(head.target.starts_with('/'));
                    prop_assert!(head.target.bytes().all(|b| b.is_ascii_graphic()));
                    if let Some(host) = &head.host {
                        prop_assert!(host.bytes().all(|b| matches!(b, b' '..=b'~' | b'\t')));
                    }
                }
                Err(HeadError::Incomplete) => {
                    prop_assert!(end.is_none());
                    prop_assert!(bytes.len() < MAX_HEAD);
                }
                Err(HeadError::TooLarge) => {
                    prop_assert!(end.is_none_or(|end| end + 4 > MAX_HEAD));
                }
                Err(HeadError::Malformed) => {}
                Err(error @ (HeadError::TooSlow | HeadError::Closed)) => {
                    prop_assert!(false, "the parser cannot say {error:?}");
                }
            }
        }

        #[test]
        fn a_head_with_any_byte_outside_printable_ascii_is_refused(
            byte in prop_oneof![0x80u8..=0xff, 0u8..0x09, 0x0bu8..0x0d, 0x0eu8..0x20, Just(0x7fu8)],
            position in any::<prop::sample::Index>(),
            query in "[a-z0-9=&._~-]{0,64}",
        ) {
            let mut head = callback_head(&query, "").into_bytes();
            let at = position.index(head.len() - 4);
            head.insert(at, byte);

            prop_assert_eq!(parse_head(&head), Err(HeadError::Malformed));
        }

        #[test]
        fn a_tab_in_the_request_line_is_refused_and_around_the_host_is_ignored(
            position in any::<prop::sample::Index>(),
            before in "[ \t]{0,3}",
            after in "[ \t]{0,3}",
        ) {
            let line = "GET /oauth/callback?code=a&state=b HTTP/1.1";
            let at = position.index(line.len() + 1);
            let tabbed = format!("{}\t{}\r\nHost: 127.0.0.1:{PORT}\r\n\r\n", &line[..at], &line[at..]);
            prop_assert_eq!(parse_head(tabbed.as_bytes()), Err(HeadError::Malformed));

            let spaced = format!("{line}\r\nHost:{before}127.0.0.1:{PORT}{after}\r\n\r\n");
            let head = parse_head(spaced.as_bytes()).unwrap();
            prop_assert_eq!(callback_url(&head, PORT), Ok(format!("http://127.0.0.1:{PORT}/oauth/callback?code=a&state=b")));
        }

        #[test]
        fn a_head_past_the_cap_is_refused_as_too_large(
            padding in MAX_HEAD..MAX_HEAD + 4096,
            filler in prop::sample::select(vec![b'a', b'\t', b' ', b'~']),
            terminated in any::<bool>(),
        ) {
            let value: String = std::iter::repeat_n(char::from(filler), padding).collect();
            let mut head = callback_head("code=a&state=b", &format!("X: {value}\r\n"));
            if !terminated {
                head.truncate(head.len() - 4);
            }

            prop_assert_eq!(parse_head(head.as_bytes()), Err(HeadError::TooLarge));
        }

        #[test]
        fn only_a_get_of_the_callback_path_at_the_listeners_own_host_is_delivered(
            method in 0..METHODS.len(),
            path in 0..PATHS.len(),
            host in 0..hosts().len(),
            query in prop::option::of("[a-zA-Z0-9=&%._~-]{0,64}"),
            fragment in prop::option::of("[a-z]{0,8}"),
        ) {
            let host_value = &hosts()[host];
            let mut target = PATHS[path].to_owned();
            if let Some(query) = &query {
                target = format!("{target}?{query}");
            }
            if let Some(fragment) = &fragment {
                target = format!("{target}#{fragment}");
            }
            let text = format!(
                "{} {target} HTTP/1.1\r\nHost: {host_value}\r\nAccept: */*\r\n\r\n",
                METHODS[method],
            );
            let routed = parse_head(text.as_bytes()).map(|head| callback_url(&head, PORT));

            let callback = method == 0 && path == 0 && host == 0 && fragment.is_none();
            match routed {
                Ok(Ok(url)) => {
                    prop_assert!(callback, "{text:?} was delivered");
                    prop_assert_eq!(url, format!("http://127.0.0.1:{PORT}{target}"));
                }
                Ok(Err(_)) | Err(HeadError::Malformed) => prop_assert!(!callback, "{text:?} was refused"),
                Err(error) => prop_assert!(false, "{text:?}: {error:?}"),
            }
        }
    }
}

#[tokio::test]
async fn answers_in_progress_are_bounded_and_a_further_callback_waits_its_turn() {
    let gate = Arc::new(Semaphore::new(0));
    let delivered = Arc::new(tokio::sync::watch::Sender::new(0_usize));
    let deliver: Deliver = {
        let (gate, delivered) = (gate.clone(), delivered.clone());
        Arc::new(move |url: String| {
            let (gate, delivered) = (gate.clone(), delivered.clone());
            Box::pin(async move {
                delivered.send_modify(|count| *count += 1);
                if url.contains("state=hold") {
                    gate.acquire().await.unwrap().forget();
                    return CallbackOutcome::Ignored;
                }
                CallbackOutcome::Connected
            })
        })
    };
    let reads_ended = Arc::new(tokio::sync::watch::Sender::new(0_usize));
    let listener = LoopbackListener::start_with(None, deliver, counting_ends(reads_ended.clone()))
        .await
        .unwrap();
    let port = listener.port();
    let held: Vec<_> = (0..MAX_ANSWERING)
        .map(|_| tokio::spawn(get(port, "/oauth/callback?state=hold")))
        .collect();
    let mut count = delivered.subscribe();
    count.wait_for(|n| *n >= MAX_ANSWERING).await.unwrap();

    let good = tokio::spawn(get(port, "/oauth/callback?code=a&state=good"));
    // Once its head is read the further callback asks for a turn in the same step, on this
    // test's one thread: by the time the test runs again it waits, or (were answers not
    // bounded) its delivery has begun.
    reads_ended
        .subscribe()
        .wait_for(|ended| *ended > MAX_ANSWERING)
        .await
        .unwrap();
    assert_eq!(
        *count.borrow(),
        MAX_ANSWERING,
        "more answers ran at once than allowed"
    );
    gate.add_permits(1);

    let good = tokio::time::timeout(Duration::from_secs(2), good)
        .await
        .expect("the waiting callback was never answered")
        .unwrap();
    assert!(good.starts_with("HTTP/1.1 200 OK\r\n"), "{good}");
    gate.add_permits(MAX_ANSWERING);
    for answer in held {
        assert!(answer.await.unwrap().starts_with("HTTP/1.1 400 "));
    }
}
