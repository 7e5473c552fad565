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
//!    header lines only; a body is never read).
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

use std::future::Future;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, oneshot};

use crate::connection::RedirectListener;

/// The path of the redirect URI on the listener.
pub const CALLBACK_PATH: &str = "/oauth/callback";
/// The largest request head read (request line and headers).
pub const MAX_HEAD: usize = 8 * 1024;
/// How long a client may take to send its request head.
pub const READ_TIME: Duration = Duration::from_secs(5);
/// Connections served at once; more are closed at once (a port scan must not pile up tasks).
const MAX_CONNECTIONS: usize = 32;
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
        Self::start_with(port, deliver, READ_TIME).await
    }

    async fn start_with(
        port: Option<u16>,
        deliver: Deliver,
        read_time: Duration,
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
    read_time: Duration,
    mut stopped: oneshot::Receiver<()>,
) {
    let ended = Arc::new(Notify::new());
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let stream = tokio::select! {
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
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!("too many loopback connections at once; closing one");
            continue;
        };
        let deliver = deliver.clone();
        let ended = ended.clone();
        tokio::spawn(async move {
            if serve(stream, port, &deliver, read_time).await {
                ended.notify_one();
            }
            drop(slot);
        });
    }
    tracing::info!(port, "stopped listening for the browser's redirect");
}

/// Serves one connection; true when its callback ended the sign-in.
async fn serve(mut stream: TcpStream, port: u16, deliver: &Deliver, read_time: Duration) -> bool {
    let head = match tokio::time::timeout(read_time, read_head(&mut stream)).await {
        Ok(head) => head,
        Err(_) => Err(HeadError::TooSlow),
    };
    let (page, ended) = match head {
        Err(HeadError::Closed) => return false,
        Err(error) => (Page::for_bad_request(error), false),
        Ok(head) if head.host.as_deref() != Some(&expected_host(port)) => {
            (Page::MISDIRECTED, false)
        }
        Ok(head) if head.method != "GET" => (Page::METHOD_NOT_ALLOWED, false),
        Ok(head) if head.path() != CALLBACK_PATH => (Page::NOT_FOUND, false),
        Ok(head) => {
            // The URL carries an authorization code: it is never logged.
            let url = format!("http://127.0.0.1:{port}{}", head.target);
            match deliver(url).await {
                CallbackOutcome::Connected => (Page::CONNECTED, true),
                CallbackOutcome::Failed(sentence) => (Page::failed(&sentence), true),
                CallbackOutcome::Ignored => (Page::IGNORED, false),
            }
        }
    };
    let answer = page.to_http();
    let _ = tokio::time::timeout(WRITE_TIME, async {
        stream.write_all(&answer).await?;
        stream.shutdown().await
    })
    .await;
    ended
}

/// The only `Host` a request may name: the redirect URI's authority. A page on another name
/// that resolves to 127.0.0.1 (DNS rebinding) sends its own name, and is refused.
fn expected_host(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

/// Reads until the head is complete, too large, malformed or the client hangs up.
async fn read_head(stream: &mut TcpStream) -> Result<RequestHead, HeadError> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
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
        match parse_head(&head) {
            Err(HeadError::Incomplete) => continue,
            outcome => return outcome,
        }
    }
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
    /// Not an HTTP/1.x request head PhotoLink accepts.
    Malformed,
    /// Not complete within the read time.
    TooSlow,
    /// The client hung up before sending anything.
    Closed,
}

/// Parses an HTTP/1.x request head (RFC 9112 §2–§5) from the bytes read so far.
///
/// Checks, in order: the head ends with an empty line within [`MAX_HEAD`] bytes; it is ASCII
/// without control characters other than the line ends; the request line is
/// `METHOD SP origin-form SP HTTP/1.0|1.1` with a token method and a target starting with `/`;
/// every header line is `name: value` with a token name (no folded lines, no bare CR or LF); at
/// most one `Host` header. Of the header values only `Host`'s is kept.
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
    let head = &bytes[..end];
    if !head.iter().all(|b| is_head_byte(*b)) {
        return Err(HeadError::Malformed);
    }
    let head = std::str::from_utf8(head).map_err(|_| HeadError::Malformed)?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed);
    };
    let valid_method = !method.is_empty() && method.bytes().all(is_token_byte);
    let valid_target = target.starts_with('/') && target.bytes().all(|b| b.is_ascii_graphic());
    if !valid_method || !valid_target || !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
        return Err(HeadError::Malformed);
    }
    let mut host = None;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(HeadError::Malformed)?;
        if name.is_empty() || !name.bytes().all(is_token_byte) || line.contains(['\r', '\n']) {
            return Err(HeadError::Malformed);
        }
        if name.eq_ignore_ascii_case("host") {
            // A second Host header makes the request ambiguous (RFC 9112 §3.2).
            if host.is_some() {
                return Err(HeadError::Malformed);
            }
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

/// `tchar` of RFC 9110 §5.6.2.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// The page the browser shows.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Page {
    status: &'static str,
    title: &'static str,
    sentence: std::borrow::Cow<'static, str>,
}

impl Page {
    const CONNECTED: Self = Self::fixed(
        "200 OK",
        "Signed in",
        "You are signed in. You can close this tab and return to PhotoLink.",
    );
    const IGNORED: Self = Self::fixed(
        "400 Bad Request",
        "Not this sign-in",
        "This address does not belong to the sign-in PhotoLink is waiting for, so PhotoLink ignored it. If you are signing in, return to PhotoLink and use the sign-in page it opened.",
    );
    const NOT_FOUND: Self = Self::fixed(
        "404 Not Found",
        "Not found",
        "PhotoLink only receives sign-ins at this address. You can close this tab.",
    );
    const MISDIRECTED: Self = Self::fixed(
        "421 Misdirected Request",
        "Not accepted",
        "PhotoLink only receives sign-ins at 127.0.0.1, from the sign-in page it opened. You can close this tab.",
    );
    const METHOD_NOT_ALLOWED: Self = Self::fixed(
        "405 Method Not Allowed",
        "Not accepted",
        "PhotoLink only receives sign-ins opened as a link. You can close this tab.",
    );

    const fn fixed(status: &'static str, title: &'static str, sentence: &'static str) -> Self {
        Self {
            status,
            title,
            sentence: std::borrow::Cow::Borrowed(sentence),
        }
    }

    /// The sign-in ended without a connection; `sentence` is the one the window shows.
    fn failed(sentence: &str) -> Self {
        Self {
            status: "200 OK",
            title: "Sign-in did not complete",
            sentence: format!("{sentence} You can close this tab and return to PhotoLink.").into(),
        }
    }

    fn for_bad_request(error: HeadError) -> Self {
        match error {
            HeadError::TooLarge => Self::fixed(
                "431 Request Header Fields Too Large",
                "Not accepted",
                "That request was too large for PhotoLink. You can close this tab.",
            ),
            HeadError::TooSlow => Self::fixed(
                "408 Request Timeout",
                "Not accepted",
                "That request took too long to arrive. You can close this tab.",
            ),
            HeadError::Incomplete | HeadError::Malformed | HeadError::Closed => Self::fixed(
                "400 Bad Request",
                "Not accepted",
                "PhotoLink could not read that request. You can close this tab.",
            ),
        }
    }

    /// The whole HTTP answer; the connection closes after it.
    fn to_http(&self) -> Vec<u8> {
        let body = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <title>PhotoLink: {title}</title></head>\
             <body style=\"font-family: sans-serif; max-width: 36em; margin: 4em auto; line-height: 1.5\">\
             <h1>{title}</h1><p>{sentence}</p></body></html>\n",
            title = escape_html(self.title),
            sentence = escape_html(&self.sentence),
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
            status = self.status,
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
