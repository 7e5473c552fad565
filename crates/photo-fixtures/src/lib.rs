//! Fixtures of the photo APIs PhotoLink reads, for tests: small servers on 127.0.0.1 that
//! answer in the request and response shapes Microsoft and Google document. They are **not**
//! the services: they implement only what PhotoLink asks for, from the public documentation
//! (each module cites its pages), and were never compared with the live services.
//!
//! # The pieces
//!
//! | Piece | What it is |
//! | --- | --- |
//! | [`Fixture`] | One running fixture: the photo API, a token endpoint, and a content server on another origin. |
//! | [`Service`] | Which API the fixture speaks: [`microsoft_graph`], [`google_drive`] or [`google_photos_picker`]. |
//! | The token endpoint | `POST /token`, `grant_type=refresh_token` only (RFC 6749 §6): hands out a new access token and rotates the refresh token. |
//! | The content server | A second listener (so a second origin) for pre-authenticated downloads and thumbnail links. It refuses any request that carries an `Authorization` header, and records it. |
//!
//! # Faults a test can switch on
//!
//! - [`Fixture::expire_access_token`]: the API answers 401 (with the service's error body and
//!   `WWW-Authenticate` challenge) until the client refreshes.
//! - [`Fixture::throttle`]: the next API requests answer 429 with `Retry-After`.
//! - [`Fixture::refuse_next`]: the next API request answers a status with the service's error
//!   body (a 401 also with its challenge), whose message is [`SERVER_MESSAGE`] (so a test can
//!   check it is shown nowhere).
//! - [`Fixture::hold_next`]: the next API request waits, unanswered, until the test releases
//!   it (so a test can change things while a request is in flight, without sleeping).
//!
//! - [`Fixture::expire_base_urls`], [`Fixture::expire_picking_sessions`]: the Picker API's base
//!   URLs and sessions reach the end of their documented lifetimes ([`google_photos_picker`]).
//!
//! - [`Fixture::set_images`]: full images as large as asked, sent piece by piece, and cut off
//!   or stalled after some of their bytes ([`originals`]).
//! - [`Fixture::change_graph`]: photos added to or deleted from the Graph library, its delta
//!   links or pre-authenticated links expired ([`microsoft_graph::Library`]).
//!
//! Photos are `p1`, `p2`, …; their images are real PNGs, each photo its own colours, each
//! rendition as large as its service documents it ([`pictures`]); a window shows them.

pub mod google_drive;
pub mod google_photos_picker;
pub mod microsoft_graph;
pub mod originals;
pub mod pictures;
mod trusted_issuer;

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Form, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The message every error body of [`Fixture::refuse_next`] and the 401s carries.
pub const SERVER_MESSAGE: &str = "Fixture says: the request was refused <script>";

/// Which photo API a fixture speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    MicrosoftGraph,
    GoogleDrive,
    GooglePhotosPicker,
}

/// A request a fixture received: where, and with which `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `true` for the content server, `false` for the photo API.
    pub content_server: bool,
    /// Path and query.
    pub target: String,
    pub authorization: Option<String>,
}

/// A running fixture; its servers stop when it is dropped.
pub struct Fixture {
    service: Service,
    api: SocketAddr,
    content: SocketAddr,
    state: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

/// What the fixture's servers share.
pub(crate) struct Shared {
    /// How many photos the Drive fixture lists (and the Picker fixture offers to pick).
    pub photos: usize,
    /// The library the Graph fixture serves, as a test changes it.
    pub graph: Mutex<microsoft_graph::Library>,
    pub api_base: String,
    pub content_base: String,
    tokens: Mutex<Tokens>,
    refreshes: AtomicUsize,
    faults: Mutex<VecDeque<Fault>>,
    seen: Mutex<Vec<Seen>>,
    thumbnail_bytes: AtomicUsize,
    /// How long full images are (0: a short marker), and how they end.
    images: Mutex<(usize, originals::Ending)>,
    hold: Mutex<Option<Hold>>,
    /// The Picker fixture's sessions.
    picker: Mutex<google_photos_picker::Picker>,
    /// Where base URLs and thumbnail links point: the content server, or the API itself.
    links_base: Mutex<String>,
    /// The userinfo endpoint of an issuer whose access tokens are accepted too
    /// ([`Fixture::accept_tokens_of`]), with the tokens it vouched for.
    trusted_issuer: Mutex<Option<(String, Vec<String>)>>,
}

/// The fixture's side of [`Fixture::hold_next`].
struct Hold {
    arrived: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// A test's side of [`Fixture::hold_next`].
pub struct Held {
    arrived: oneshot::Receiver<()>,
    release: oneshot::Sender<()>,
}

impl Held {
    /// Waits until the held request has arrived at the API.
    pub async fn arrived(&mut self) {
        // Err: the fixture is gone, so nothing will arrive.
        let _ = (&mut self.arrived).await;
    }

    /// Lets the held request be answered.
    pub fn release(self) {
        let _ = self.release.send(());
    }
}

struct Tokens {
    access: String,
    refresh: String,
    issued: usize,
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Throttle { retry_after: u64 },
    Refuse { status: u16 },
}

impl Fixture {
    /// Starts a fixture of `service` holding `photos` photos (for Graph, in the Camera Roll
    /// after an empty folder: [`microsoft_graph::Library::flat`]).
    pub async fn start(service: Service, photos: usize) -> Self {
        Self::start_with(service, photos, microsoft_graph::Library::flat(photos)).await
    }

    /// Starts a Graph fixture serving `library`.
    pub async fn start_graph(library: microsoft_graph::Library) -> Self {
        Self::start_with(Service::MicrosoftGraph, library.photos(), library).await
    }

    async fn start_with(service: Service, photos: usize, graph: microsoft_graph::Library) -> Self {
        let api_listener = bind().await;
        let content_listener = bind().await;
        let api = api_listener.local_addr().expect("a bound address");
        let content = content_listener.local_addr().expect("a bound address");
        let state = Arc::new(Shared {
            photos,
            graph: Mutex::new(graph),
            api_base: format!("http://{api}"),
            content_base: format!("http://{content}"),
            tokens: Mutex::new(Tokens {
                access: "fixture-access-0".into(),
                refresh: "fixture-refresh-0".into(),
                issued: 0,
            }),
            refreshes: AtomicUsize::new(0),
            faults: Mutex::new(VecDeque::new()),
            seen: Mutex::new(Vec::new()),
            thumbnail_bytes: AtomicUsize::new(0),
            images: Mutex::new((0, originals::Ending::Complete)),
            hold: Mutex::new(None),
            picker: Mutex::new(google_photos_picker::Picker::default()),
            links_base: Mutex::new(format!("http://{content}")),
            trusted_issuer: Mutex::new(None),
        });
        let api_routes = match service {
            Service::MicrosoftGraph => microsoft_graph::api_routes(),
            Service::GoogleDrive => google_drive::api_routes(),
            Service::GooglePhotosPicker => google_photos_picker::api_routes(),
        }
        .route("/token", post(token))
        .layer(middleware::from_fn_with_state(state.clone(), hold));
        let content_routes = match service {
            Service::MicrosoftGraph => microsoft_graph::content_routes(),
            Service::GoogleDrive => google_drive::content_routes(),
            Service::GooglePhotosPicker => google_photos_picker::content_routes(),
        };
        // The content routes answer on the API's origin too ([`Fixture::links_on_the_api`]).
        let api_routes = api_routes.merge(content_routes.clone());
        let trust = middleware::from_fn_with_state(state.clone(), trusted_issuer::vouch);
        let (api_routes, content_routes) =
            (api_routes.layer(trust.clone()), content_routes.layer(trust));
        let tasks = vec![
            serve(api_listener, api_routes.with_state(state.clone())),
            serve(content_listener, content_routes.with_state(state.clone())),
        ];
        Self {
            service,
            api,
            content,
            state,
            tasks,
        }
    }

    /// The issuer to configure a client with (`http://127.0.0.1:{port}`); the token endpoint is
    /// `{issuer}/token`.
    pub fn issuer(&self) -> String {
        format!("http://{}", self.api)
    }

    /// The API root a client is configured with (`photos_endpoint`).
    pub fn api_root(&self) -> String {
        match self.service {
            Service::MicrosoftGraph => format!("http://{}/v1.0", self.api),
            Service::GoogleDrive => format!("http://{}/drive/v3", self.api),
            Service::GooglePhotosPicker => format!("http://{}/v1", self.api),
        }
    }

    /// The content server's origin (`http://127.0.0.1:{port}`).
    pub fn content_origin(&self) -> String {
        format!("http://{}", self.content)
    }

    /// The access token the API accepts now.
    pub fn access_token(&self) -> String {
        self.state.tokens().access.clone()
    }

    /// The refresh token the token endpoint accepts now.
    pub fn refresh_token(&self) -> String {
        self.state.tokens().refresh.clone()
    }

    /// Makes the current access token invalid: the API answers 401 until a refresh.
    pub fn expire_access_token(&self) {
        self.state.tokens().access = "fixture-expired".into();
    }

    /// How many refreshes the token endpoint granted.
    pub fn refreshes(&self) -> usize {
        self.state.refreshes.load(Ordering::SeqCst)
    }

    /// The next `times` API requests answer 429 with `Retry-After: {retry_after}`.
    pub fn throttle(&self, times: usize, retry_after: u64) {
        let mut faults = self.state.faults();
        faults.extend(std::iter::repeat_n(Fault::Throttle { retry_after }, times));
    }

    /// The next API request answers `status` with the service's error body (a 401 as to an
    /// expired token). Calls queue up, after any throttling already switched on.
    pub fn refuse_next(&self, status: u16) {
        self.state.faults().push_back(Fault::Refuse { status });
    }

    /// The next request to the API (or its token endpoint) waits, unanswered, until the
    /// returned [`Held`] is released (or dropped).
    pub fn hold_next(&self) -> Held {
        let (arrived, arrived_here) = oneshot::channel();
        let (released, release) = oneshot::channel();
        *lock(&self.state.hold) = Some(Hold { arrived, release });
        Held {
            arrived: arrived_here,
            release: released,
        }
    }

    /// Thumbnails are padded to `bytes` long from now on (0: as long as their PNG).
    pub fn set_thumbnail_bytes(&self, bytes: usize) {
        self.state.thumbnail_bytes.store(bytes, Ordering::SeqCst);
    }

    /// Full images are `bytes` long from now on ([`originals::large_image`]; 0: a short
    /// marker), sent piece by piece and ending as `ending` says.
    pub fn set_images(&self, bytes: usize, ending: originals::Ending) {
        *lock(&self.state.images) = (bytes, ending);
    }

    /// The Picker's base URLs point at
    /// the API's own origin instead of the content server's: for a client that sends the
    /// token only to the API's origin, as the app does outside its tests.
    pub fn links_on_the_api(&self) {
        *lock(&self.state.links_base) = format!("http://{}", self.api);
    }

    /// Accepts the access tokens of the issuer whose userinfo endpoint is `userinfo` too, as a
    /// resource server of that issuer would: a token the issuer's userinfo answers 200 to is
    /// taken for the fixture's own ([`trusted_issuer`]).
    pub fn accept_tokens_of(&self, userinfo: &str) {
        *lock(&self.state.trusted_issuer) = Some((userinfo.to_owned(), Vec::new()));
    }

    /// Every request received so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.state.seen).clone()
    }

    /// Changes the Graph library being served (adding or deleting photos, expiring delta
    /// links); what `change` returns.
    pub fn change_graph<T>(&self, change: impl FnOnce(&mut microsoft_graph::Library) -> T) -> T {
        change(&mut lock(&self.state.graph))
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// What a request to a link that takes credentials carried.
pub(crate) enum Credentials {
    None,
    /// The account's current access token.
    Valid,
    /// Something else: a stale token, or no Bearer token at all.
    Invalid,
}

impl Shared {
    fn tokens(&self) -> MutexGuard<'_, Tokens> {
        lock(&self.tokens)
    }

    fn faults(&self) -> MutexGuard<'_, VecDeque<Fault>> {
        lock(&self.faults)
    }

    /// Records a request, and answers it with the error the API owes it, if any: a fault a
    /// test switched on, then a missing or wrong Bearer token. `None`: serve it.
    pub(crate) fn check_api_request(
        &self,
        target: String,
        headers: &HeaderMap,
        errors: &dyn ErrorBodies,
    ) -> Option<Response> {
        let authorization = self.record(false, target, headers);
        if let Some(fault) = self.faults().pop_front() {
            return Some(match fault {
                Fault::Throttle { retry_after } => {
                    let mut response = errors.throttled();
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, retry_after.into());
                    response
                }
                Fault::Refuse { status: 401 } => errors.unauthorized(),
                Fault::Refuse { status } => errors.refused(status),
            });
        }
        let expected = format!("Bearer {}", self.tokens().access);
        (authorization.as_deref() != Some(expected.as_str())).then(|| errors.unauthorized())
    }

    /// Records a request to the content server; a request that carries credentials is refused
    /// (a pre-authenticated URL must be fetched without them).
    pub(crate) fn check_content_request(
        &self,
        target: String,
        headers: &HeaderMap,
    ) -> Option<Response> {
        self.record(true, target, headers).map(|_| {
            (
                StatusCode::BAD_REQUEST,
                "credentials sent to a pre-authenticated URL",
            )
                .into_response()
        })
    }

    /// Records a request to the content server for a link its service documents as taking
    /// the account's Bearer token (Drive's thumbnail links of files not shared publicly), and
    /// says what it carried.
    pub(crate) fn check_credentialed_content_request(
        &self,
        target: String,
        headers: &HeaderMap,
    ) -> Credentials {
        match self.record(true, target, headers) {
            None => Credentials::None,
            Some(sent) if sent == format!("Bearer {}", self.tokens().access) => Credentials::Valid,
            Some(_) => Credentials::Invalid,
        }
    }

    fn record(&self, content_server: bool, target: String, headers: &HeaderMap) -> Option<String> {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        lock(&self.seen).push(Seen {
            content_server,
            target,
            authorization: authorization.clone(),
        });
        authorization
    }

    /// A rendition of photo `id` at `size`: its PNG ([`pictures`]), padded to the thumbnail
    /// length a test set; the stored image as large as a test set ([`originals`]).
    pub(crate) fn picture(&self, id: &str, size: pictures::Size) -> Response {
        let (image_bytes, ending) = *lock(&self.images);
        if size == pictures::Size::Stored && image_bytes > 0 {
            return originals::response(originals::large_image(id, image_bytes), ending);
        }
        let mut body = pictures::png(id, size);
        let padded = self.thumbnail_bytes.load(Ordering::SeqCst);
        // Bytes after a PNG's end are ignored by decoders: the image still shows.
        if size != pictures::Size::Stored && padded > body.len() {
            body.resize(padded, 0);
        }
        ([(header::CONTENT_TYPE, "image/png")], body).into_response()
    }
}

/// Where the page a `pageToken` names starts (`0` without one), for Google's lists, whose
/// tokens the fixtures write as the offset behind `prefix`; `None` for a token they never
/// handed out.
pub(crate) fn page_start(page_token: Option<&String>, prefix: &str) -> Option<usize> {
    match page_token {
        None => Some(0),
        Some(token) => token.strip_prefix(prefix)?.parse().ok(),
    }
}

/// `response` with the `WWW-Authenticate` challenge Google's APIs send with a 401.
pub(crate) fn with_google_challenge(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static(
            "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
        ),
    );
    response
}

/// How a service writes its errors.
pub(crate) trait ErrorBodies {
    fn unauthorized(&self) -> Response;
    fn throttled(&self) -> Response;
    fn refused(&self, status: u16) -> Response;
}

/// Holds a request as [`Fixture::hold_next`] asked, then passes it on.
async fn hold(State(state): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let held = lock(&state.hold).take();
    if let Some(Hold { arrived, release }) = held {
        let _ = arrived.send(());
        // Err: the test dropped its side, which releases the request too.
        let _ = release.await;
    }
    next.run(request).await
}

#[derive(Deserialize)]
struct RefreshRequest {
    grant_type: String,
    refresh_token: Option<String>,
}

/// `POST /token` with `grant_type=refresh_token`: a new access token, the refresh token
/// rotated (RFC 6749 §6, §5.1); anything else is `invalid_grant` (§5.2).
async fn token(State(state): State<Arc<Shared>>, Form(request): Form<RefreshRequest>) -> Response {
    let mut tokens = state.tokens();
    if request.grant_type != "refresh_token"
        || request.refresh_token.as_deref() != Some(tokens.refresh.as_str())
    {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    tokens.issued += 1;
    tokens.access = format!("fixture-access-{}", tokens.issued);
    tokens.refresh = format!("fixture-refresh-{}", tokens.issued);
    state.refreshes.fetch_add(1, Ordering::SeqCst);
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({
            "access_token": tokens.access,
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": tokens.refresh,
        })),
    )
        .into_response()
}

async fn bind() -> TcpListener {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("the fixture binds 127.0.0.1")
}

/// Locks a mutex, recovering the data if a handler panicked while holding it: one failed
/// request must not fail every later one.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn serve(listener: TcpListener, router: Router) -> JoinHandle<()> {
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    })
}

/// The request's path and query.
pub(crate) fn target(uri: &axum::http::Uri) -> String {
    uri.path_and_query()
        .map(|target| target.as_str().to_owned())
        .unwrap_or_default()
}
