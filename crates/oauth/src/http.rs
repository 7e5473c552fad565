//! The HTTP seam: one place builds the `reqwest` clients, routes each request direct or
//! through a proxy, checks endpoint security, reads bodies under a size cap (and the
//! `Retry-After` header, see [`crate::retry`]) and describes bodies it cannot use.
//!
//! # Proxies
//!
//! Requests to `https` providers use the configured [`HttpOptions::proxy`] or, when none is
//! set, the proxy environment variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
//! `NO_PROXY`, upper or lower case) — TLS runs end to end through the proxy's `CONNECT`
//! tunnel, so the proxy sees the host name but no token. Requests to loopback hosts
//! (127.0.0.0/8, ::1, `localhost`) always go direct: they may be plain `http` carrying codes,
//! verifiers and tokens, and a proxy would see them in clear.

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::header::{CONTENT_TYPE, HeaderName, RETRY_AFTER, WWW_AUTHENTICATE};
use url::{Host, Url};

use crate::error::{
    CleanText, ConfigProblem, Error, InsecureReason, InternalFailure, NetworkFailure,
    ResponseProblem, Result,
};
use crate::retry::{RetryPolicy, parse_retry_after};

/// The header a server hands out DPoP nonces in (RFC 9449 §8).
const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// Timeouts, size caps and proxy for every request this crate makes.
#[derive(Clone)]
pub struct HttpOptions {
    /// Time allowed to open a connection (default 10 s).
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included (default 30 s).
    pub timeout: Duration,
    /// Cap on protocol responses: token, discovery, revocation, userinfo (default 1 MiB).
    pub max_response_bytes: usize,
    /// Cap on protected resources fetched with [`Session::authorized_get`](crate::Session::authorized_get)
    /// (default 32 MiB).
    pub max_resource_bytes: usize,
    /// A proxy for requests to non-loopback hosts, e.g. `http://proxy.example:3128`; `None`
    /// (the default) uses the proxy environment variables. Loopback hosts never use a proxy.
    /// May carry credentials, so `Debug` does not show it.
    pub proxy: Option<String>,
    /// How resource requests are retried after a 5xx or 429 answer (default: twice, after
    /// 0.5 s and 1 s, waiting at most 10 s for a `Retry-After`). See [`RetryPolicy`].
    pub resource_retry: RetryPolicy,
    /// Time allowed for a whole download read piece by piece with
    /// [`Session::authorized_download`](crate::Session::authorized_download), which has no size
    /// cap (default 2 h); between two pieces of its body at most [`timeout`](Self::timeout)
    /// may pass.
    pub download_timeout: Duration,
}

impl fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_resource_bytes", &self.max_resource_bytes)
            .field("proxy", &self.proxy.as_ref().map(|_| "[set]"))
            .field("resource_retry", &self.resource_retry)
            .field("download_timeout", &self.download_timeout)
            .finish()
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_response_bytes: 1024 * 1024,
            max_resource_bytes: 32 * 1024 * 1024,
            proxy: None,
            resource_retry: RetryPolicy::default(),
            download_timeout: Duration::from_secs(2 * 60 * 60),
        }
    }
}

/// The HTTP client every request goes through (rustls, no redirects followed). Loopback hosts
/// are always reached directly, other hosts through the proxy settings (see the module docs).
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    /// For loopback hosts: never a proxy.
    direct: reqwest::Client,
    /// For every other host: the configured proxy or the environment's.
    proxied: reqwest::Client,
    options: HttpOptions,
}

impl HttpClient {
    /// Builds the clients from options. A proxy that is not a valid proxy address is
    /// [`Error::InvalidConfig`].
    pub fn new(options: HttpOptions) -> Result<Self> {
        let direct = Self::builder(&options).no_proxy();
        let proxied = match &options.proxy {
            Some(proxy) => Self::builder(&options).proxy(reqwest::Proxy::all(proxy).map_err(
                // The address may carry credentials: it is not repeated.
                |_| Error::InvalidConfig(ConfigProblem::Proxy),
            )?),
            None => Self::builder(&options),
        };
        let build = |builder: reqwest::ClientBuilder| {
            builder
                .build()
                .map_err(|_| Error::Internal(InternalFailure::HttpSetup))
        };
        Ok(Self {
            direct: build(direct)?,
            proxied: build(proxied)?,
            options,
        })
    }

    fn builder(options: &HttpOptions) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .user_agent(concat!("PhotoLink/", env!("CARGO_PKG_VERSION")))
    }

    /// The client for `url`: direct for loopback hosts, through the proxy settings otherwise.
    fn client_for(&self, url: &Url) -> &reqwest::Client {
        if is_loopback_ip(url) || is_localhost_name(url) {
            &self.direct
        } else {
            &self.proxied
        }
    }

    /// The options the client was built with.
    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    pub(crate) fn get(&self, url: &Url) -> reqwest::RequestBuilder {
        self.client_for(url).get(url.clone())
    }

    pub(crate) fn post(&self, url: &Url) -> reqwest::RequestBuilder {
        self.client_for(url).post(url.clone())
    }

    pub(crate) fn delete(&self, url: &Url) -> reqwest::RequestBuilder {
        self.client_for(url).delete(url.clone())
    }

    /// GETs a JSON document a server publishes (discovery metadata, a JWK Set): an answer that
    /// is not a success is an [`Error::UnexpectedResponse`] naming its status and kind; the
    /// caller reads the body of one that is.
    pub(crate) async fn get_json_document(&self, url: &Url) -> Result<RawResponse> {
        let request = self
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json");
        let response = self.send(request).await?;
        if !response.is_success() {
            return Err(response.unexpected());
        }
        Ok(response)
    }

    /// Sends a protocol request (body capped at `max_response_bytes`).
    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Result<RawResponse> {
        self.send_capped(request, self.options.max_response_bytes)
            .await
    }

    /// Sends a resource request: the head of the answer, and the body of a 2xx answer still
    /// to be read ([`OpenBody`]); any other answer's body is read at once (capped at
    /// `max_resource_bytes`), for [`RawResponse::unexpected`] to describe.
    pub(crate) async fn send_resource(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(RawResponse, Option<OpenBody>)> {
        let (mut head, body) = self.open(request).await?;
        if head.is_success() {
            return Ok((head, Some(body)));
        }
        head.body = body.read_capped(self.options.max_resource_bytes).await?;
        Ok((head, None))
    }

    async fn send_capped(
        &self,
        request: reqwest::RequestBuilder,
        limit: usize,
    ) -> Result<RawResponse> {
        let (mut head, body) = self.open(request).await?;
        head.body = body.read_capped(limit).await?;
        Ok(head)
    }

    /// Sends `request` and reads the head of the answer (its `body` left empty) and nothing of
    /// its body.
    async fn open(&self, request: reqwest::RequestBuilder) -> Result<(RawResponse, OpenBody)> {
        let response = request.send().await.map_err(network_error)?;
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE);
        let www_authenticate = header(WWW_AUTHENTICATE);
        let retry_after =
            header(RETRY_AFTER).and_then(|value| parse_retry_after(&value, SystemTime::now()));
        let dpop_nonce = header(DPOP_NONCE);
        let head = RawResponse {
            status,
            content_type,
            www_authenticate,
            retry_after,
            dpop_nonce,
            body: Vec::new(),
        };
        let body = OpenBody {
            status,
            retry_after,
            content_length: response.content_length(),
            response,
        };
        Ok((head, body))
    }
}

/// The body of an answer, not read yet: read it whole ([`read_capped`](Self::read_capped)) or
/// piece by piece ([`next_chunk`](Self::next_chunk)).
pub(crate) struct OpenBody {
    status: u16,
    retry_after: Option<Duration>,
    /// As announced, kept: the response's own count goes down as the body is read.
    content_length: Option<u64>,
    response: reqwest::Response,
}

impl fmt::Debug for OpenBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenBody")
            .field("status", &self.status)
            .field("content_length", &self.content_length())
            .finish_non_exhaustive()
    }
}

impl OpenBody {
    /// The `Content-Length` the server announced, if any.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The whole body, when it is at most `limit` bytes.
    pub async fn read_capped(mut self, limit: usize) -> Result<Vec<u8>> {
        if self.content_length().is_some_and(|len| len > limit as u64) {
            return Err(Error::ResponseTooLarge { limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = self.next_chunk(None).await? {
            if body.len() + chunk.len() > limit {
                return Err(Error::ResponseTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The next piece of the body as it arrives, `None` after the last. A body cut off before
    /// it was complete is an error, and so is one silent for longer than `idle` (when given).
    pub async fn next_chunk(&mut self, idle: Option<Duration>) -> Result<Option<Vec<u8>>> {
        let chunk = match idle {
            Some(idle) => match tokio::time::timeout(idle, self.response.chunk()).await {
                Ok(chunk) => chunk,
                Err(_) => return Err(Error::Network(NetworkFailure::TimedOut)),
            },
            None => self.response.chunk().await,
        };
        match chunk {
            Ok(chunk) => Ok(chunk.map(Vec::from)),
            Err(e) if e.is_timeout() => Err(network_error(e)),
            Err(_) => Err(Error::UnexpectedResponse {
                status: self.status,
                detail: ResponseProblem::CutOff,
                retry_after: self.retry_after,
            }),
        }
    }
}

fn network_error(error: reqwest::Error) -> Error {
    Error::Network(if error.is_timeout() {
        NetworkFailure::TimedOut
    } else if error.is_connect() {
        NetworkFailure::CouldNotConnect
    } else if error.is_redirect() {
        NetworkFailure::Redirects
    } else {
        NetworkFailure::ConnectionFailed
    })
}

/// A response read into memory. `Debug` shows the body's length, never the body.
pub(crate) struct RawResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub www_authenticate: Option<String>,
    /// How long the `Retry-After` header asks to wait, if it has a readable one.
    pub retry_after: Option<Duration>,
    /// The `DPoP-Nonce` header (RFC 9449 §8), as sent.
    pub dpop_nonce: Option<String>,
    pub body: Vec<u8>,
}

/// A JSON answer with nothing else, for the tests that parse answers.
#[cfg(test)]
impl RawResponse {
    pub(crate) fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            content_type: Some("application/json".into()),
            www_authenticate: None,
            retry_after: None,
            dpop_nonce: None,
            body: body.as_bytes().to_vec(),
        }
    }
}

impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawResponse")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("retry_after", &self.retry_after)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The media type without parameters, lower-cased (`application/json`).
    pub fn media_type(&self) -> Option<String> {
        self.content_type.as_deref().map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// The body as a JSON object, if it is one.
    pub fn json_object(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        match serde_json::from_slice(&self.body) {
            Ok(serde_json::Value::Object(map)) => Some(map),
            _ => None,
        }
    }

    /// An error naming the status and, in words, what the body was.
    pub fn unexpected(&self) -> Error {
        self.unusable(self.describe_body())
    }

    /// An error naming the status, the `Retry-After` hint and what was wrong (`detail`, in
    /// words, never the body's content).
    pub fn unusable(&self, detail: ResponseProblem) -> Error {
        Error::UnexpectedResponse {
            status: self.status,
            detail,
            retry_after: self.retry_after,
        }
    }

    /// What kind of body this is, never what it says: a server may echo a request or answer
    /// in another format, with tokens in the text. Only a problem report's title and detail
    /// are shown, made safe by [`server_text`].
    fn describe_body(&self) -> ResponseProblem {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return ResponseProblem::EmptyBody;
        }
        let media_type = self.media_type().unwrap_or_default();
        let Ok(text) = std::str::from_utf8(&self.body) else {
            return ResponseProblem::BinaryData;
        };
        let start = text.trim_start();
        if media_type == "application/problem+json" {
            let problem = self.json_object().unwrap_or_default();
            let field = |name: &str| {
                problem
                    .get(name)
                    .and_then(|v| v.as_str())
                    .map(CleanText::text)
                    .filter(|text| !text.as_str().is_empty())
            };
            return ResponseProblem::ProblemReport {
                title: field("title"),
                detail: field("detail"),
            };
        }
        if media_type.contains("html") || start.starts_with('<') {
            return ResponseProblem::WebPage;
        }
        if media_type.contains("json") || start.starts_with(['{', '[']) {
            return match serde_json::from_slice::<serde_json::Value>(&self.body) {
                Err(e) => ResponseProblem::of_json_error(&e),
                Ok(_) => ResponseProblem::UnexpectedJson,
            };
        }
        if media_type == "application/x-www-form-urlencoded" || looks_form_encoded(start) {
            return ResponseProblem::FormEncoded;
        }
        if media_type.is_empty() || media_type.starts_with("text/") {
            return ResponseProblem::PlainText;
        }
        ResponseProblem::OtherType
    }
}

/// `name=value` pairs joined by `&`, as some older providers answer the token request.
fn looks_form_encoded(text: &str) -> bool {
    let first = text.split('&').next().unwrap_or_default();
    first.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '%'))
    })
}

/// The scheme (lower-cased) and `error` parameter of a `WWW-Authenticate` challenge, if it
/// has one: `Bearer` (RFC 6750) and `DPoP` (RFC 9449 §7.1) challenges carry the same codes.
/// Quoted values are read whole, so a description that mentions `error=` (after a comma, or
/// with escaped quotes) cannot pass for the error code.
pub(crate) fn challenge_error(www_authenticate: &str) -> Option<(String, String)> {
    let (scheme, params) = www_authenticate.trim().split_once(char::is_whitespace)?;
    auth_params(params)
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("error"))
        .map(|(_, value)| (scheme.to_ascii_lowercase(), value))
}

/// A challenge's `name=value` parameters, separated by commas; each value a token or a quoted
/// string (RFC 9110 §11.2, §5.6.4). A part without `=` is skipped.
fn auth_params(text: &str) -> Vec<(&str, String)> {
    let mut params = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let name_end = rest.find(['=', ',']).unwrap_or(rest.len());
        let name = rest[..name_end].trim();
        let Some(value) = rest[name_end..].strip_prefix('=') else {
            if name_end == rest.len() {
                return params;
            }
            rest = &rest[name_end..];
            continue;
        };
        let value = value.trim_start();
        let (value, after) = match value.strip_prefix('"') {
            Some(quoted) => quoted_string(quoted),
            None => {
                let end = value.find(',').unwrap_or(value.len());
                (value[..end].trim_end().to_owned(), &value[end..])
            }
        };
        params.push((name, value));
        rest = after;
    }
}

/// The content of a quoted string whose opening quote is already read (a backslash escapes
/// the next character), and the text after its closing quote. Unterminated, it runs to the end.
fn quoted_string(text: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return (value, &text[at + 1..]),
            '\\' => value.extend(chars.next().map(|(_, escaped)| escaped)),
            _ => value.push(c),
        }
    }
    (value, "")
}

/// Which endpoints may use plain `http`: only those on a loopback IP literal, and only for an
/// issuer that is itself on loopback (RFC 8252 §8.3). `localhost` is refused for plain `http`,
/// since the name may resolve elsewhere; an `https` issuer never gets plain `http`, so its
/// metadata cannot point the client at a local listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// Every endpoint must use `https`.
    HttpsOnly,
    /// The issuer is on a loopback IP literal: endpoints on loopback IP literals may use `http`.
    LoopbackHttp,
}

impl Transport {
    /// Parses and checks an issuer (`https`, or `http` on a loopback IP literal) and returns the
    /// transport its endpoints get.
    pub(crate) fn of_issuer(text: &str) -> Result<(Url, Self)> {
        let url = parse_endpoint(text)?;
        Self::LoopbackHttp.check(&url)?;
        let transport = if is_loopback_ip(&url) {
            Self::LoopbackHttp
        } else {
            Self::HttpsOnly
        };
        Ok((url, transport))
    }

    /// Parses an endpoint and checks it may be used with this transport.
    pub(crate) fn endpoint(self, text: &str) -> Result<Url> {
        let url = parse_endpoint(text)?;
        self.check(&url)?;
        Ok(url)
    }

    fn check(self, url: &Url) -> Result<()> {
        let refuse = |reason| {
            Err(Error::InsecureEndpoint {
                url: CleanText::text(url.as_str()),
                reason,
            })
        };
        match url.scheme() {
            "https" if url.host().is_some() => Ok(()),
            "http" if is_loopback_ip(url) => match self {
                Self::LoopbackHttp => Ok(()),
                Self::HttpsOnly => refuse(InsecureReason::IssuerNotOnLoopback),
            },
            "http" if is_localhost_name(url) => refuse(InsecureReason::LocalhostName),
            _ => refuse(InsecureReason::NotHttps),
        }
    }
}

fn parse_endpoint(text: &str) -> Result<Url> {
    Url::parse(text).map_err(|cause| {
        Error::InvalidConfig(ConfigProblem::Address {
            address: CleanText::text(text),
            cause,
        })
    })
}

/// The host is 127.0.0.0/8 or ::1, written as an IP address.
fn is_loopback_ip(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    }
}

fn is_localhost_name(url: &Url) -> bool {
    matches!(url.host(), Some(Host::Domain(domain))
        if domain.trim_end_matches('.').eq_ignore_ascii_case("localhost"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(status: u16, content_type: Option<&str>, body: &str) -> RawResponse {
        RawResponse {
            status,
            content_type: content_type.map(str::to_owned),
            www_authenticate: None,
            retry_after: None,
            dpop_nonce: None,
            body: body.as_bytes().to_vec(),
        }
    }

    fn refusal(result: Result<Url>) -> InsecureReason {
        match result {
            Err(Error::InsecureEndpoint { reason, .. }) => reason,
            other => panic!("expected an insecure endpoint, got {other:?}"),
        }
    }

    #[test]
    fn a_loopback_issuer_may_use_plain_http_on_loopback_ip_literals_only() {
        let (_, transport) = Transport::of_issuer("http://127.0.0.1:8080").unwrap();
        assert_eq!(transport, Transport::LoopbackHttp);
        assert!(transport.endpoint("http://127.0.0.1:8080/token").is_ok());
        assert!(transport.endpoint("http://127.5.6.7:9/token").is_ok());
        assert!(transport.endpoint("http://[::1]:8080/token").is_ok());
        assert!(transport.endpoint("https://auth.example.com/token").is_ok());
        for remote in [
            "http://auth.example.com/token",
            "http://10.0.0.1/token",
            "http://localhost.evil.example/",
            "http://[::ffff:127.0.0.1]/token",
            "ftp://127.0.0.1/",
        ] {
            assert_eq!(
                refusal(transport.endpoint(remote)),
                InsecureReason::NotHttps,
                "{remote}"
            );
        }
        assert!(matches!(
            transport.endpoint("not a url"),
            Err(Error::InvalidConfig(_))
        ));
        let (_, transport) = Transport::of_issuer("http://[::1]:8080").unwrap();
        assert_eq!(transport, Transport::LoopbackHttp);
    }

    #[test]
    fn an_https_issuer_may_not_use_plain_http_even_on_loopback() {
        let (_, transport) = Transport::of_issuer("https://auth.example.com").unwrap();
        assert_eq!(transport, Transport::HttpsOnly);
        assert!(transport.endpoint("https://auth.example.com/token").is_ok());
        for local in ["http://127.0.0.1:8080/token", "http://[::1]/token"] {
            assert_eq!(
                refusal(transport.endpoint(local)),
                InsecureReason::IssuerNotOnLoopback,
                "{local}"
            );
        }
    }

    #[test]
    fn plain_http_on_localhost_is_refused_with_a_hint_to_use_127_0_0_1() {
        assert_eq!(
            refusal(Transport::of_issuer("http://localhost:8080").map(|(url, _)| url)),
            InsecureReason::LocalhostName
        );
        let (_, transport) = Transport::of_issuer("http://127.0.0.1:8080").unwrap();
        let error = transport
            .endpoint("http://LocalHost:8080/token")
            .unwrap_err();
        assert!(error.to_string().contains("127.0.0.1"), "{error}");
        assert!(Transport::of_issuer("https://localhost:8443").is_ok());
        assert_eq!(
            refusal(Transport::of_issuer("http://auth.example.com").map(|(url, _)| url)),
            InsecureReason::NotHttps
        );
    }

    #[test]
    fn debug_shows_the_length_of_a_body_never_the_body() {
        let response = raw(
            200,
            Some("application/json"),
            r#"{"access_token":"secret-at"}"#,
        );
        let text = format!("{response:?}");
        assert!(!text.contains("secret-at"), "{text}");
        assert!(text.contains("body_bytes: 28"), "{text}");
    }

    #[test]
    fn bodies_are_described_in_words() {
        let describe = |r: RawResponse| r.unexpected().to_string();
        assert_eq!(
            describe(raw(502, None, "")),
            "unexpected response: HTTP 502, an empty body"
        );
        assert!(
            describe(raw(
                500,
                Some("text/html; charset=utf-8"),
                "<html>oops</html>"
            ))
            .contains("web page")
        );
        let problem = raw(
            400,
            Some("application/problem+json"),
            r#"{"title":"Bad thing","detail":"it broke"}"#,
        );
        assert!(describe(problem).contains("a problem report: Bad thing (it broke)"));
        let plain = describe(raw(503, Some("text/plain"), "down for maintenance"));
        assert!(plain.contains("plain text"), "{plain}");
        assert!(!plain.contains("maintenance"), "{plain}");
        let form = describe(raw(
            400,
            Some("application/x-www-form-urlencoded"),
            "error=invalid_grant&access_token=2YotnFZFEjr1zCsicMWpAA",
        ));
        assert!(form.contains("form-encoded"), "{form}");
        assert!(!form.contains("2YotnFZFEjr1zCsicMWpAA"), "{form}");
        assert!(
            describe(raw(200, Some("application/json"), r#"{"access_tok"#))
                .contains("incomplete JSON")
        );
        assert!(
            describe(raw(200, Some("application/json"), r#"{"a":}"#)).contains("malformed JSON")
        );
    }

    #[test]
    fn problem_reports_are_capped_and_hide_tokens() {
        let body = format!(
            r#"{{"title":"Token 2YotnFZFEjr1zCsicMWpAA refused","detail":"{}"}}"#,
            "x ".repeat(5000)
        );
        let text = raw(400, Some("application/problem+json"), &body)
            .unexpected()
            .to_string();
        assert!(text.len() < 600, "{}", text.len());
        assert!(!text.contains("2YotnFZFEjr1zCsicMWpAA"), "{text}");
        assert!(text.contains("Token [hidden] refused"), "{text}");
    }

    #[test]
    fn challenge_errors_are_read_with_their_scheme() {
        let read = |header: &str| challenge_error(header);
        assert_eq!(
            read(r#"Bearer realm="photos", error="invalid_token", error_description="expired""#),
            Some(("bearer".into(), "invalid_token".into()))
        );
        assert_eq!(
            read(r#"DPoP algs="ES256", error="use_dpop_nonce""#),
            Some(("dpop".into(), "use_dpop_nonce".into()))
        );
        assert_eq!(read(r#"Bearer realm="photos""#), None);
        assert_eq!(read("Bearer"), None);
    }

    #[test]
    fn text_quoted_in_a_challenge_never_changes_its_error() {
        let read = |header: &str| challenge_error(header);
        assert_eq!(
            read(
                r#"DPoP error_description="send it again, error=use_dpop_nonce", error="invalid_token""#
            ),
            Some(("dpop".into(), "invalid_token".into()))
        );
        assert_eq!(
            read(r#"Bearer realm="a \"quoted\", error=x", error=insufficient_scope"#),
            Some(("bearer".into(), "insufficient_scope".into()))
        );
        assert_eq!(read(r#"Bearer realm="photos, error=invalid_token""#), None);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// A random token: base64url characters with a digit and a capital, 20 to 64 long.
        fn token() -> impl Strategy<Value = String> {
            "[A-Za-z0-9_-]{18,62}".prop_map(|random| format!("Q7{random}"))
        }

        fn content_type() -> impl Strategy<Value = Option<String>> {
            proptest::option::of(prop_oneof![
                Just("application/json".to_owned()),
                Just("application/problem+json".to_owned()),
                Just("application/x-www-form-urlencoded".to_owned()),
                Just("text/plain; charset=utf-8".to_owned()),
                Just("text/html".to_owned()),
                Just("application/octet-stream".to_owned()),
                "[ -~]{0,30}",
            ])
        }

        /// An auth-param other than `error`: a token or a quoted string, which may itself
        /// contain commas, `error=`, escaped quotes and backslashes.
        fn auth_param() -> impl Strategy<Value = String> {
            (
                prop_oneof![
                    Just("realm"),
                    Just("scope"),
                    Just("algs"),
                    Just("error_description"),
                    Just("error_uri"),
                    Just("errors"),
                    Just("x_error"),
                ],
                prop_oneof![
                    "[A-Za-z0-9_.~+/-]{1,20}",
                    "[ -~]{0,60}".prop_map(|text| format!(
                        "\"{}\"",
                        text.replace('\\', "\\\\").replace('"', "\\\"")
                    )),
                    "[a-z ]{0,10}".prop_map(|text| format!("\"{text}, error=use_dpop_nonce\"")),
                ],
            )
                .prop_map(|(name, value)| format!("{name}={value}"))
        }

        proptest! {
            #[test]
            fn any_body_is_described_without_panicking(
                status in 0u16..1000,
                content_type in content_type(),
                body in proptest::collection::vec(any::<u8>(), 0..400),
            ) {
                let response = RawResponse { status, content_type, www_authenticate: None, retry_after: None, dpop_nonce: None, body };
                let _ = response.unexpected().to_string();
            }

            #[test]
            fn a_token_in_any_body_is_never_shown(
                status in 100u16..600,
                content_type in content_type(),
                before in ".{0,60}",
                after in ".{0,60}",
                token in token(),
                shape in 0usize..4,
            ) {
                let body = match shape {
                    0 => format!("{before}access_token={token}&{after}"),
                    1 => format!(r#"{{"title":"{before} {token} {after}","detail":"{token}"}}"#),
                    2 => format!(r#"{{"access_token":"{token}"{after}"#),
                    _ => format!("{before}{token}{after}"),
                };
                let response = RawResponse { status, content_type, www_authenticate: None, retry_after: None, dpop_nonce: None, body: body.into_bytes() };
                let error = response.unexpected();
                let shown = format!("{error} {error:?} {response:?}");
                prop_assert!(!shown.contains(&token), "{}", shown);
            }

            #[test]
            fn any_challenge_is_read_or_ignored_without_panicking(
                header in prop_oneof![".{0,300}", "[ -~\t]{0,300}", "[a-zA-Z]{1,8} [a-z=\",\\\\ ]{0,100}"],
            ) {
                if let Some((scheme, error)) = challenge_error(&header) {
                    let first = header.split_whitespace().next().map(str::to_ascii_lowercase);
                    prop_assert_eq!(Some(scheme), first);
                    prop_assert!(header.contains(error.as_str()) || header.contains('\\'), "{} {}", header, error);
                }
            }

            #[test]
            fn the_error_of_a_challenge_is_the_one_it_names_whatever_else_it_says(
                scheme in prop_oneof![
                    Just("Bearer".to_owned()), Just("bearer".to_owned()), Just("DPoP".to_owned()),
                    Just("DPOP".to_owned()), "[A-Za-z][A-Za-z0-9-]{0,10}",
                ],
                others in proptest::collection::vec(auth_param(), 0..5),
                code in proptest::option::of(("[a-z_]{1,30}", any::<bool>())),
                position in any::<prop::sample::Index>(),
                separator in prop_oneof![Just(", "), Just(","), Just(" ,  "), Just(",\t")],
            ) {
                let mut params: Vec<String> = others;
                if let Some((code, quoted)) = &code {
                    let at = position.index(params.len() + 1);
                    params.insert(at, if *quoted { format!("error=\"{code}\"") } else { format!("error={code}") });
                }
                let header = format!("{scheme} {}", params.join(separator));
                let expected = code.map(|(code, _)| (scheme.to_ascii_lowercase(), code));
                prop_assert_eq!(challenge_error(&header), expected, "{}", header);
            }

            #[test]
            fn server_text_is_capped_visible_and_never_shows_a_token(
                before in ".{0,300}",
                after in ".{0,300}",
                token in token(),
            ) {
                let shown = crate::server_text::text(&format!("{before}{token}{after}"));
                prop_assert!(!shown.contains(&token), "{}", shown);
                prop_assert!(shown.chars().count() <= 201);
                prop_assert!(!shown.chars().any(char::is_control));
                let code = crate::server_text::code(&format!("{before}{token}{after}"));
                prop_assert!(!code.contains(&token), "{}", code);
                prop_assert!(code.chars().count() <= 65);
            }
        }
    }
}
