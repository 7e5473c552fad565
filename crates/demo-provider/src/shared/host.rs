//! DNS rebinding defence: every request must name the provider's own loopback authority.
//!
//! A web page can make the browser send requests to 127.0.0.1 under a name its author controls:
//! `evil.example` first resolves to the author's server, then, once the page is loaded, to
//! 127.0.0.1. The browser then treats the provider's answers as `evil.example`'s own and lets
//! the page read them. Such requests still say `Host: evil.example:PORT`, so the provider
//! answers only requests whose `Host` is one of its own authorities: `127.0.0.1:PORT` and
//! `localhost:PORT` (case-insensitive, port required). It never listens on `[::1]`, so that
//! authority is refused too. Everything else gets `421 Misdirected Request`, and a request
//! without exactly one `Host` header gets `400 Bad Request`, each with a short plain-text body
//! that does not repeat what was sent.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The `Host` values that name this provider.
pub(crate) struct OwnAuthorities {
    accepted: [String; 2],
    /// What a refused request is told to use instead.
    canonical: String,
}

impl OwnAuthorities {
    pub fn of(address: SocketAddr) -> Self {
        let port = address.port();
        Self {
            accepted: [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
            canonical: format!("127.0.0.1:{port}"),
        }
    }

    fn contains(&self, authority: &str) -> bool {
        self.accepted
            .iter()
            .any(|own| own.eq_ignore_ascii_case(authority))
    }
}

/// Middleware: passes the request on only if its `Host` is one of the provider's own.
pub(crate) async fn require_own_host(
    State(own): State<Arc<OwnAuthorities>>,
    request: Request,
    next: Next,
) -> Response {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "Bad request: exactly one Host header is required.\n".to_owned(),
        );
    };
    let uri_authority = request.uri().authority().map(|a| a.as_str());
    let is_own = |authority: &str| own.contains(authority);
    let host_is_own = host.to_str().is_ok_and(is_own);
    if !host_is_own || !uri_authority.is_none_or(is_own) {
        return refusal(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "Misdirected request: this server answers only to {}.\n",
                own.canonical
            ),
        );
    }
    next.run(request).await
}

fn refusal(status: StatusCode, message: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        message,
    )
        .into_response()
}
