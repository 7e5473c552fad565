//! A tiny HTTP server on 127.0.0.1:0 whose answers each test scripts, recording every request.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use photolink_oauth::{
    AuthorizationResponse, ClientConfig, Error, OAuthClient, PendingAuthorization, ServerMetadata,
    TokenSet,
};
use tokio::net::TcpListener;
use url::Url;

pub const REDIRECT_URI: &str = "com.example.photolink:/oauth/callback";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub form: Vec<(String, String)>,
}

impl Captured {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

type Responder = Arc<dyn Fn(&Captured) -> Response + Send + Sync>;

#[derive(Clone)]
struct MockState {
    responder: Responder,
    log: Arc<Mutex<Vec<Captured>>>,
}

/// A running scripted server.
pub struct Mock {
    pub base: String,
    log: Arc<Mutex<Vec<Captured>>>,
}

impl Mock {
    /// Starts a server that answers every request with `responder`.
    pub async fn start(responder: impl Fn(&Captured) -> Response + Send + Sync + 'static) -> Self {
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = MockState {
            responder: Arc::new(responder),
            log: log.clone(),
        };
        let router = Router::new().fallback(handle).with_state(state);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { base, log }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Captured> {
        self.log.lock().unwrap().clone()
    }

    /// Requests received for `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Captured> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Metadata with every endpoint on this server.
    pub fn metadata(&self) -> ServerMetadata {
        let mut metadata = ServerMetadata::new(
            self.base.clone(),
            format!("{}/authorize", self.base),
            format!("{}/token", self.base),
        );
        metadata.revocation_endpoint = Some(format!("{}/revoke", self.base));
        metadata.userinfo_endpoint = Some(format!("{}/userinfo", self.base));
        metadata
    }

    /// A client of this server with the given configuration.
    pub fn client_with(&self, config: ClientConfig) -> OAuthClient {
        OAuthClient::new(config, self.metadata()).unwrap()
    }

    /// A public client of this server.
    pub fn client(&self) -> OAuthClient {
        self.client_with(config())
    }
}

async fn handle(
    State(state): State<MockState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = url::form_urlencoded::parse(&body).into_owned().collect();
    let captured = Captured {
        method,
        path: uri.path().to_owned(),
        headers,
        form,
    };
    state.log.lock().unwrap().push(captured.clone());
    (state.responder)(&captured)
}

/// The public client configuration the tests use.
pub fn config() -> ClientConfig {
    ClientConfig::new("photolink-desktop", REDIRECT_URI).with_scopes(["photos:read", "profile"])
}

/// Exchanges `code` through `client`, as if the server had redirected back with it.
pub async fn exchange(client: &OAuthClient, code: &str) -> Result<TokenSet, Error> {
    client.exchange_code(callback_for(client, code)).await
}

/// A validated callback for `client`, as if the server had redirected back with `code`.
pub fn callback_for(client: &OAuthClient, code: &str) -> AuthorizationResponse {
    let pending = PendingAuthorization::new();
    let url = pending.begin(client).unwrap();
    let state = query_param(&url, "state").unwrap();
    pending
        .complete(&format!("{REDIRECT_URI}?code={code}&state={state}"))
        .unwrap()
}

pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// An answer with a status, content type and body.
pub fn reply(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    (
        status,
        [("content-type", content_type.to_owned())],
        body.into(),
    )
        .into_response()
}

/// A JSON answer.
pub fn json(status: u16, body: &str) -> Response {
    reply(status, "application/json", body.to_owned())
}

/// A successful token answer.
pub fn tokens(access: &str, refresh: Option<&str>, expires_in: u64) -> Response {
    let refresh = refresh
        .map(|r| format!(r#","refresh_token":"{r}""#))
        .unwrap_or_default();
    json(
        200,
        &format!(
            r#"{{"access_token":"{access}","token_type":"Bearer","expires_in":{expires_in}{refresh}}}"#
        ),
    )
}

/// A stored token set whose access token has `remaining` seconds left (negative: expired).
pub fn stored_tokens(
    access: &str,
    refresh: Option<&str>,
    remaining: i64,
) -> photolink_oauth::TokenSet {
    use std::time::SystemTime;
    let now = SystemTime::now();
    let offset = Duration::from_secs(remaining.unsigned_abs());
    let expires_at = if remaining >= 0 {
        now + offset
    } else {
        now - offset
    };
    photolink_oauth::TokenSet {
        access_token: photolink_oauth::AccessToken::new(access),
        token_type: "Bearer".into(),
        refresh_token: refresh.map(photolink_oauth::RefreshToken::new),
        received_at: now - Duration::from_secs(3600),
        expires_at: Some(expires_at),
        scopes: vec!["photos:read".into(), "profile".into()],
        id_token: None,
        id_token_claims: None,
        dpop_key: None,
    }
}

/// The bearer token of a request.
pub fn bearer(request: &Captured) -> Option<&str> {
    request.header("authorization")?.strip_prefix("Bearer ")
}

/// A 401 with a Bearer challenge carrying `error`.
pub fn unauthorized(error: &str) -> Response {
    let challenge = format!(r#"Bearer realm="photos", error="{error}""#);
    (StatusCode::UNAUTHORIZED, [("www-authenticate", challenge)]).into_response()
}
