//! The loopback redirect (RFC 8252 §7.3): a one-sign-in HTTP listener on `127.0.0.1` that
//! receives the browser's redirect for providers that accept no private-use scheme.
//!
//! # What it does
//!
//! 1. [`LoopbackListener::start`] binds `127.0.0.1` (the IP literal, never `localhost` or any
//!    other address) on an ephemeral port, or the fixed one the settings name; the redirect URI
//!    is `http://127.0.0.1:{port}/oauth/callback`.
//! 2. Every connection is served in its own task. Its request head is read for at most
//!    [`READ_TIME`] and [`MAX_HEAD`] bytes and parsed by [`parse_head`] (request line and
//!    header lines only; a body is never read). At most [`MAX_CONNECTIONS`] heads are read at
//!    once; when another connection arrives, the one that waited longest is closed, unless its
//!    request line already names the callback ([`Reading`]): idle sockets cannot keep the
//!    browser's redirect out. A connection whose head is read waits there, still closable,
//!    until one of [`MAX_ANSWERING`] answers is free.
//! 3. The checks, in order: the head is complete, well formed and small enough; it has one
//!    `Host` header, equal to `127.0.0.1:{port}` (a page on a name rebound to 127.0.0.1 names
//!    its own host: DNS rebinding); the method is `GET`; the path is exactly
//!    `/oauth/callback`. Only then is the full URL handed to the
//!    connection ([`Deliver`]), which runs the same checks as for a deep link and answers
//!    whether the callback connected, failed (ended the sign-in) or was ignored.
//! 4. The browser gets a small self-contained page in plain words, never echoing anything it
//!    sent, with `Cache-Control: no-store`, `Content-Security-Policy: default-src 'none'` and
//!    `Referrer-Policy: no-referrer`.
//! 5. The listener stops accepting, and its port closes, once a callback ended the sign-in or
//!    when it is dropped (the connection drops it on cancel, expiry, a new Connect, Disconnect).

use std::collections::VecDeque;
use std::future::Future;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, oneshot};

use photolink_oauth::sync::lock;

use crate::messages::BrowserPage;

/// The path of the redirect URI on the listener.
pub const CALLBACK_PATH: &str = "/oauth/callback";
/// The largest request head read (request line and headers).
pub const MAX_HEAD: usize = 8 * 1024;
/// The most header lines a request head may have (a browser sends about twenty).
const MAX_HEADERS: usize = 64;
/// How long a client may take to send its request head.
pub const READ_TIME: Duration = Duration::from_secs(5);
/// Connections being read or waiting to be answered at once; a newcomer closes the one that
/// waited longest (see [`Reading`]).
const MAX_CONNECTIONS: usize = 32;
/// Connections answered at once (their callback handed to the connection, their page
/// written); more wait among those whose head is read.
const MAX_ANSWERING: usize = 32;
/// How long writing the answer may take.
const WRITE_TIME: Duration = Duration::from_secs(5);

/// What the connection made of a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// The account is connected.
    Connected,
    /// The callback ended the sign-in without a connection; the sentence the window shows.
    Failed(String),
    /// Not for the sign-in in progress, which still waits.
    Ignored,
}

/// A listener for the loopback redirect; dropping it stops it and closes its port.
pub trait RedirectListener: Send + 'static {
    /// The port it listens on.
    fn port(&self) -> u16;
}

/// The end of one connection's time to send its request head: a future made when its reading
/// starts, which completes when the time is up. The listener's own is [`READ_TIME`] on
/// tokio's clock ([`read_time_of`]); its tests end it when they choose.
type ReadTime = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A read time of `limit` from when each connection's reading starts.
fn read_time_of(limit: Duration) -> ReadTime {
    Arc::new(move || Box::pin(tokio::time::sleep(limit)))
}

/// Hands a callback URL to the connection and answers what came of it.
pub type Deliver =
    Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = CallbackOutcome> + Send>> + Send + Sync>;

/// A running listener; dropping it stops it and closes its port.
pub struct LoopbackListener {
    port: u16,
    _stop: oneshot::Sender<()>,
}

impl LoopbackListener {
    /// Listens on `127.0.0.1:{port}` (`None`: a port the OS picks) and hands each request for
    /// [`CALLBACK_PATH`] to `deliver`.
    pub async fn start(port: Option<u16>, deliver: Deliver) -> std::io::Result<Self> {
        Self::start_with(port, deliver, read_time_of(READ_TIME)).await
    }

    async fn start_with(
        port: Option<u16>,
        deliver: Deliver,
        read_time: ReadTime,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port.unwrap_or(0))).await?;
        let port = listener.local_addr()?.port();
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(accept(listener, port, deliver, read_time, stopped));
        tracing::info!(port, "listening on 127.0.0.1 for the browser's redirect");
        Ok(Self { port, _stop: stop })
    }
}

impl RedirectListener for LoopbackListener {
    fn port(&self) -> u16 {
        self.port
    }
}

/// `http://127.0.0.1:{port}/oauth/callback`.
pub fn redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}{CALLBACK_PATH}")
}

/// Accepts connections until stopped or until a callback ends the sign-in.
async fn accept(
    listener: TcpListener,
    port: u16,
    deliver: Deliver,
    read_time: ReadTime,
    mut stopped: oneshot::Receiver<()>,
) {
    let ended = Arc::new(Notify::new());
    let reading = Arc::new(Mutex::new(Reading::default()));
    let answering = Arc::new(Semaphore::new(MAX_ANSWERING));
    loop {
        let mut stream = tokio::select! {
            _ = &mut stopped => break,
            () = ended.notified() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::debug!(%error, "a loopback connection failed before it was accepted");
                    continue;
                }
            },
        };
        let (reader, cut_off) = lock(&reading).admit();
        let reading = reading.clone();
        let answering = answering.clone();
        let deliver = deliver.clone();
        let ended = ended.clone();
        let time_up = read_time();
        tokio::spawn(async move {
            // Until it may be answered, the connection stays among those waiting, where a
            // newcomer may close it: the answers in progress bound the rest.
            let waited = async {
                let head = tokio::select! {
                    head = read_head(&mut stream, || lock(&reading).names_callback(reader)) => head,
                    () = time_up => Err(HeadError::TooSlow),
                };
                (head, answering.acquire_owned().await)
            };
            let (head, answer) = tokio::select! {
                waited = waited => waited,
                _ = cut_off => {
                    tracing::debug!("closed a waiting loopback connection to make room");
                    return;
                }
            };
            // The semaphore is never closed.
            let Ok(_answer) = answer else { return };
            lock(&reading).done(reader);
            if serve(stream, port, head, &deliver).await {
                ended.notify_one();
            }
        });
    }
    tracing::info!(port, "stopped listening for the browser's redirect");
}

/// The connections whose request head is being read, or that wait to be answered, oldest
/// first. Their number is bounded (a port scan must not pile up tasks), but a full house
/// never turns a newcomer away: the connection that waited longest is closed instead,
/// passing over those whose request line already names the callback. So sockets that some
/// local program opens and leaves idle hold their place only until the browser's redirect
/// needs it.
#[derive(Default)]
struct Reading {
    admitted: u64,
    readers: VecDeque<Reader>,
}

struct Reader {
    id: u64,
    names_callback: bool,
    /// Dropping it closes the connection.
    _cut_off: oneshot::Sender<()>,
}

impl Reading {
    /// Makes room for a new connection; the receiver completes when it is to be closed.
    fn admit(&mut self) -> (u64, oneshot::Receiver<()>) {
        if self.readers.len() >= MAX_CONNECTIONS {
            let longest_waiting = self
                .readers
                .iter()
                .position(|reader| !reader.names_callback)
                .unwrap_or(0);
            self.readers.remove(longest_waiting);
        }
        self.admitted += 1;
        let (cut_off, closes) = oneshot::channel();
        self.readers.push_back(Reader {
            id: self.admitted,
            names_callback: false,
            _cut_off: cut_off,
        });
        (self.admitted, closes)
    }

    /// The connection's request line is `GET /oauth/callback…`.
    fn names_callback(&mut self, id: u64) {
        if let Some(reader) = self.readers.iter_mut().find(|reader| reader.id == id) {
            reader.names_callback = true;
        }
    }

    /// The connection is being answered; it no longer waits.
    fn done(&mut self, id: u64) {
        self.readers.retain(|reader| reader.id != id);
    }
}

/// Answers one connection whose head was read; true when its callback ended the sign-in.
async fn serve(
    mut stream: TcpStream,
    port: u16,
    head: Result<RequestHead, HeadError>,
    deliver: &Deliver,
) -> bool {
    let (page, ended) = match head.map(|head| callback_url(&head, port)) {
        Err(HeadError::Closed) => return false,
        Err(error) => (Page::for_bad_request(error), false),
        Ok(Err(page)) => (page, false),
        // The URL carries an authorization code: it is never logged.
        Ok(Ok(url)) => match deliver(url).await {
            CallbackOutcome::Connected => (Page::CONNECTED, true),
            CallbackOutcome::Failed(sentence) => (Page::failed(&sentence), true),
            CallbackOutcome::Ignored => (Page::IGNORED, false),
        },
    };
    let answer = page.to_http();
    let _ = tokio::time::timeout(WRITE_TIME, async {
        stream.write_all(&answer).await?;
        stream.shutdown().await
    })
    .await;
    ended
}

/// The callback URL a well-formed request head stands for, or the page that refuses it: the
/// `Host` first, then the method, then the path.
fn callback_url(head: &RequestHead, port: u16) -> Result<String, Page> {
    if head.host.as_deref() != Some(&expected_host(port)) {
        Err(Page::MISDIRECTED)
    } else if head.method != "GET" {
        Err(Page::METHOD_NOT_ALLOWED)
    } else if head.path() != CALLBACK_PATH {
        Err(Page::NOT_FOUND)
    } else {
        Ok(format!("http://127.0.0.1:{port}{}", head.target))
    }
}

/// The only `Host` a request may name: the redirect URI's authority. A page on another name
/// that resolves to 127.0.0.1 (DNS rebinding) sends its own name, and is refused.
fn expected_host(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

/// Reads until the head is complete, too large, malformed or the client hangs up; calls
/// `on_callback_line` once the request line is known to be `GET /oauth/callback…`.
async fn read_head(
    stream: &mut TcpStream,
    mut on_callback_line: impl FnMut(),
) -> Result<RequestHead, HeadError> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let mut callback_line = false;
    loop {
        let read = stream
            .read(&mut chunk)
            .await
            .map_err(|_| HeadError::Closed)?;
        if read == 0 {
            return Err(if head.is_empty() {
                HeadError::Closed
            } else {
                HeadError::Malformed
            });
        }
        head.extend_from_slice(&chunk[..read]);
        if !callback_line && names_callback(&head) {
            callback_line = true;
            on_callback_line();
        }
        match parse_head(&head) {
            Err(HeadError::Incomplete) => continue,
            outcome => return outcome,
        }
    }
}

/// Whether the bytes read so far start with `GET /oauth/callback` followed by its query or the
/// end of the target: the browser's redirect, as far as a request line can say.
fn names_callback(head: &[u8]) -> bool {
    let target = head
        .strip_prefix(b"GET ")
        .and_then(|rest| rest.strip_prefix(CALLBACK_PATH.as_bytes()));
    matches!(target, Some([b'?' | b' ', ..]))
}

/// The request line of a request, as far as the listener cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    /// The origin-form target: path and query, e.g. `/oauth/callback?code=…&state=…`.
    pub target: String,
    /// The `Host` header's value without surrounding spaces, if the request has one.
    pub host: Option<String>,
}

impl RequestHead {
    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// Why a request head cannot be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// More bytes are needed.
    Incomplete,
    /// Longer than [`MAX_HEAD`].
    TooLarge,
    /// Not an HTTP/1.x request head the listener accepts.
    Malformed,
    /// Not complete within the read time.
    TooSlow,
    /// The client hung up before sending anything.
    Closed,
}

/// Parses an HTTP/1.x request head (RFC 9112 §2–§5) from the bytes read so far.
///
/// Checks, in order: the head ends with an empty line within [`MAX_HEAD`] bytes; it is ASCII
/// without control characters other than tab and the line ends, and every line ends in CRLF;
/// `httparse` reads it as `METHOD SP request-target SP HTTP/1.0|1.1` with a token method, and
/// at most [`MAX_HEADERS`] lines of `name: value` with token names (no folded lines); the
/// target is origin-form, starting with `/`, without a fragment; at most one `Host` header. Of
/// the header values only `Host`'s is kept.
pub fn parse_head(bytes: &[u8]) -> Result<RequestHead, HeadError> {
    let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(if bytes.len() >= MAX_HEAD {
            HeadError::TooLarge
        } else if bytes.iter().any(|b| !is_head_byte(*b)) {
            HeadError::Malformed
        } else {
            HeadError::Incomplete
        });
    };
    if end + 4 > MAX_HEAD {
        return Err(HeadError::TooLarge);
    }
    let head = &bytes[..end + 4];
    if !head.iter().all(|b| is_head_byte(*b)) {
        return Err(HeadError::Malformed);
    }
    let text = std::str::from_utf8(&head[..end]).map_err(|_| HeadError::Malformed)?;
    // httparse also ends a line at a bare LF; a CR or LF outside a CRLF pair is refused.
    if text.split("\r\n").any(|line| line.contains(['\r', '\n'])) {
        return Err(HeadError::Malformed);
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let (Ok(httparse::Status::Complete(_)), Some(method), Some(target)) =
        (request.parse(head), request.method, request.path)
    else {
        return Err(HeadError::Malformed);
    };
    // Origin-form (RFC 9112 §3.2.1): a fragment is never sent, so one is refused.
    let valid_target =
        target.starts_with('/') && target.bytes().all(|b| b.is_ascii_graphic() && b != b'#');
    if !valid_target {
        return Err(HeadError::Malformed);
    }
    let mut host = None;
    for header in request.headers.iter() {
        if header.name.eq_ignore_ascii_case("host") {
            // A second Host header makes the request ambiguous (RFC 9112 §3.2).
            if host.is_some() {
                return Err(HeadError::Malformed);
            }
            let value = std::str::from_utf8(header.value).map_err(|_| HeadError::Malformed)?;
            host = Some(value.trim_matches([' ', '\t']).to_owned());
        }
    }
    Ok(RequestHead {
        method: method.to_owned(),
        target: target.to_owned(),
        host,
    })
}

/// Printable ASCII, space, tab and the line ends.
fn is_head_byte(byte: u8) -> bool {
    matches!(byte, b' '..=b'~' | b'\t' | b'\r' | b'\n')
}

/// The page the browser shows: its words from [`messages`](crate::messages), its status here.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Page(BrowserPage);

impl Page {
    const CONNECTED: Self = Self(BrowserPage::Connected);
    const IGNORED: Self = Self(BrowserPage::Ignored);
    const NOT_FOUND: Self = Self(BrowserPage::NotFound);
    const MISDIRECTED: Self = Self(BrowserPage::Misdirected);
    const METHOD_NOT_ALLOWED: Self = Self(BrowserPage::MethodNotAllowed);

    /// The sign-in ended without a connection; `sentence` is the one the window shows.
    fn failed(sentence: &str) -> Self {
        Self(BrowserPage::Failed(sentence.to_owned()))
    }

    fn for_bad_request(error: HeadError) -> Self {
        Self(match error {
            HeadError::TooLarge => BrowserPage::TooLarge,
            HeadError::TooSlow => BrowserPage::TooSlow,
            HeadError::Incomplete | HeadError::Malformed | HeadError::Closed => {
                BrowserPage::Unreadable
            }
        })
    }

    /// The HTTP status line's code and reason.
    fn status(&self) -> &'static str {
        match self.0 {
            BrowserPage::Connected | BrowserPage::Failed(_) => "200 OK",
            BrowserPage::Ignored | BrowserPage::Unreadable => "400 Bad Request",
            BrowserPage::NotFound => "404 Not Found",
            BrowserPage::MethodNotAllowed => "405 Method Not Allowed",
            BrowserPage::TooSlow => "408 Request Timeout",
            BrowserPage::Misdirected => "421 Misdirected Request",
            BrowserPage::TooLarge => "431 Request Header Fields Too Large",
        }
    }

    /// The whole HTTP answer; the connection closes after it.
    fn to_http(&self) -> Vec<u8> {
        let body = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <title>{tab_title}</title></head>\
             <body style=\"font-family: sans-serif; max-width: 36em; margin: 4em auto; line-height: 1.5\">\
             <h1>{title}</h1><p>{sentence}</p></body></html>\n",
            tab_title = escape_html(&self.0.tab_title()),
            title = escape_html(self.0.title()),
            sentence = escape_html(&self.0.sentence()),
        );
        // A 405 answer names the methods that are allowed (RFC 9110 §15.5.6).
        let allow = if *self == Self::METHOD_NOT_ALLOWED {
            "Allow: GET\r\n"
        } else {
            ""
        };
        format!(
            "HTTP/1.1 {status}\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Content-Length: {length}\r\n\
             Cache-Control: no-store\r\n\
             Content-Security-Policy: default-src 'none'\r\n\
             Referrer-Policy: no-referrer\r\n\
             X-Content-Type-Options: nosniff\r\n\
             {allow}Connection: close\r\n\r\n{body}",
            status = self.status(),
            length = body.len(),
        )
        .into_bytes()
    }
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests;
