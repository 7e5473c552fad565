//! Session behaviour against a scripted server: rotation, reactive refresh, failures, revocation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use photolink_oauth::{
    Error, MemoryTokenStore, Persistence, Session, SessionStatus, StoreError, TokenSet, TokenStore,
};

use crate::support::assert_unexpected_status;
use crate::support::mock::{
    Mock, bearer, callback_for, json, reply, stored_tokens, tokens, unauthorized,
};
use crate::support::store::TokenStoreDouble;

fn session(mock: &Mock, store: Arc<dyn TokenStore>) -> Session {
    Session::new(mock.client(), store).unwrap()
}

fn memory(tokens: TokenSet) -> Arc<MemoryTokenStore> {
    Arc::new(MemoryTokenStore::with_tokens(tokens))
}

/// A store holding at-1 and rt-1, the access token valid for 50 more minutes.
fn valid_store() -> Arc<MemoryTokenStore> {
    memory(stored_tokens("at-1", Some("rt-1"), 3000))
}

/// A session of `mock` holding at-1 and rt-1, the access token valid for 50 more minutes.
fn session_valid(mock: &Mock) -> Session {
    session(mock, valid_store())
}

/// A store double holding at-1 and rt-1, the access token expired a second ago.
fn expired_double() -> Arc<TokenStoreDouble> {
    Arc::new(TokenStoreDouble::with_tokens(stored_tokens(
        "at-1",
        Some("rt-1"),
        -1,
    )))
}

#[tokio::test]
async fn a_fresh_token_is_used_without_refreshing() {
    let mock = Mock::start(|_| json(500, "{}")).await;
    let session = session_valid(&mock);
    assert_eq!(session.status(), SessionStatus::Connected);
    assert_eq!(session.access_token().await.unwrap().secret(), "at-1");
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_and_the_rotation_saved() {
    let mock = Mock::start(|_| tokens("at-2", Some("rt-2"), 3600)).await;
    let store = memory(stored_tokens("at-1", Some("rt-1"), 30));
    let session = session(&mock, store.clone());
    assert_eq!(session.access_token().await.unwrap().secret(), "at-2");

    let request = &mock.requests_to("/token")[0];
    assert_eq!(request.param("grant_type"), Some("refresh_token"));
    assert_eq!(request.param("refresh_token"), Some("rt-1"));
    assert_eq!(request.param("client_id"), Some("photolink-desktop"));
    let saved = store.load().unwrap().unwrap();
    assert_eq!(saved.access_token.secret(), "at-2");
    assert_eq!(saved.refresh_token.unwrap().secret(), "rt-2");
}

#[tokio::test]
async fn the_old_refresh_token_is_kept_when_none_is_returned() {
    let mock = Mock::start(|_| tokens("at-new", None, 3600)).await;
    let store = memory(stored_tokens("at-1", Some("rt-1"), -5));
    let session = session(&mock, store.clone());
    session.access_token().await.unwrap();
    assert_eq!(
        store
            .load()
            .unwrap()
            .unwrap()
            .refresh_token
            .unwrap()
            .secret(),
        "rt-1"
    );
}

/// A store that logs each save into a shared event list.
struct LoggingStore {
    inner: MemoryTokenStore,
    events: Arc<Mutex<Vec<String>>>,
}

impl TokenStore for LoggingStore {
    fn load(&self) -> Result<Option<TokenSet>, StoreError> {
        self.inner.load()
    }
    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError> {
        self.events
            .lock()
            .unwrap()
            .push(format!("saved {}", tokens.access_token.secret()));
        self.inner.save(tokens)
    }
    fn clear(&self) -> Result<(), StoreError> {
        self.inner.clear()
    }
}

#[tokio::test]
async fn rotated_tokens_are_saved_before_they_are_used() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let server_events = events.clone();
    let mock = Mock::start(move |request| {
        if request.path == "/token" {
            return tokens("at-2", Some("rt-2"), 3600);
        }
        server_events
            .lock()
            .unwrap()
            .push(format!("used {}", bearer(request).unwrap_or("")));
        json(200, r#"{"photos":[]}"#)
    })
    .await;
    let store = LoggingStore {
        inner: MemoryTokenStore::with_tokens(stored_tokens("at-1", Some("rt-1"), -1)),
        events: events.clone(),
    };
    let session = session(&mock, Arc::new(store));
    session
        .authorized_get(&format!("{}/photos", mock.base))
        .await
        .unwrap();
    assert_eq!(*events.lock().unwrap(), ["saved at-2", "used at-2"]);
}

/// A token server that rotates on every refresh: at-2/rt-2, at-3/rt-3, … living `lifetime` s.
async fn rotating_server(lifetime: u64) -> Mock {
    let counter = Arc::new(AtomicUsize::new(0));
    Mock::start(move |request| {
        if request.path != "/token" {
            return json(200, r#"{"photos":[]}"#);
        }
        let n = counter.fetch_add(1, Ordering::SeqCst) + 2;
        tokens(&format!("at-{n}"), Some(&format!("rt-{n}")), lifetime)
    })
    .await
}

fn refresh_tokens_sent(mock: &Mock) -> Vec<String> {
    mock.requests_to("/token")
        .iter()
        .map(|r| r.param("refresh_token").unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_refresh_whose_save_fails_keeps_working_in_memory_and_leaves_no_stale_refresh_token() {
    let mock = rotating_server(3600).await;
    let store = expired_double();
    let session = session(&mock, store.clone());
    store.fail_saves(true);

    assert_eq!(session.access_token().await.unwrap().secret(), "at-2");
    assert_eq!(session.status(), SessionStatus::Connected);
    assert!(
        store.held().is_none(),
        "the already rotated rt-1 is not left behind"
    );
    assert!(
        matches!(session.persistence(), Persistence::MemoryOnly(_)),
        "{:?}",
        session.persistence()
    );
    let photos = session
        .authorized_get(&format!("{}/photos", mock.base))
        .await
        .unwrap();
    assert_eq!(photos.status, 200);
    assert_eq!(refresh_tokens_sent(&mock), ["rt-1"]);
}

#[tokio::test]
async fn the_next_successful_save_clears_the_storage_problem() {
    let mock = rotating_server(3600).await;
    let store = expired_double();
    let session = session(&mock, store.clone());
    store.fail_saves(true);
    session.access_token().await.unwrap();
    let _ = session.access_token().await.unwrap();
    assert!(matches!(session.persistence(), Persistence::MemoryOnly(_)));

    store.fail_saves(false);
    assert_eq!(session.access_token().await.unwrap().secret(), "at-2");
    assert_eq!(session.persistence(), Persistence::Saved);
    assert_eq!(store.held_refresh_token().as_deref(), Some("rt-2"));
    assert_eq!(refresh_tokens_sent(&mock), ["rt-1"], "no extra refresh");
}

#[tokio::test]
async fn a_failed_save_and_a_failed_clear_are_retried_until_the_store_holds_the_current_tokens() {
    let mock = rotating_server(3600).await;
    let store = expired_double();
    let session = session(&mock, store.clone());
    store.fail_saves(true);
    store.fail_clears(true);
    session.access_token().await.unwrap();
    assert_eq!(
        store.held_refresh_token().as_deref(),
        Some("rt-1"),
        "the store could not be changed at all"
    );
    assert!(matches!(session.persistence(), Persistence::MemoryOnly(_)));

    store.fail_saves(false);
    session.access_token().await.unwrap();
    assert_eq!(store.held_refresh_token().as_deref(), Some("rt-2"));
    assert_eq!(session.persistence(), Persistence::Saved);
}

#[tokio::test]
async fn a_failed_save_keeps_the_rotated_tokens_and_the_old_refresh_token_is_not_sent_again() {
    let mock = rotating_server(0).await;
    let store = expired_double();
    store.fail_saves(true);
    store.fail_clears(true);
    let session = session(&mock, store);
    assert_eq!(session.access_token().await.unwrap().secret(), "at-2");
    // The token lives 0 s, so it is due again at once: the next refresh must present rt-2.
    assert_eq!(session.access_token().await.unwrap().secret(), "at-3");
    assert_eq!(refresh_tokens_sent(&mock), ["rt-1", "rt-2"]);
}

#[tokio::test]
async fn a_connect_whose_save_fails_keeps_the_connection_in_memory_and_says_so() {
    let mock = rotating_server(3600).await;
    let store = Arc::new(TokenStoreDouble::with_tokens(stored_tokens(
        "old-at",
        Some("old-rt"),
        3000,
    )));
    let session = session(&mock, store.clone());
    store.fail_saves(true);
    let client = mock.client();
    let persistence = session
        .connect(callback_for(&client, "the-code"))
        .await
        .unwrap();
    assert!(
        matches!(&persistence, Persistence::MemoryOnly(error) if error.to_string().contains("refused the write")),
        "{persistence:?}"
    );
    assert_eq!(session.persistence(), persistence);
    assert_eq!(session.status(), SessionStatus::Connected);
    assert_eq!(session.access_token().await.unwrap().secret(), "at-2");
    assert!(
        store.held().is_none(),
        "the previous connection's tokens are not left behind"
    );
}

#[tokio::test]
async fn a_connect_that_saves_reports_saved() {
    let mock = rotating_server(3600).await;
    let store = Arc::new(TokenStoreDouble::default());
    let session = session(&mock, store.clone());
    let persistence = session
        .connect(callback_for(&mock.client(), "the-code"))
        .await
        .unwrap();
    assert_eq!(persistence, Persistence::Saved);
    assert_eq!(store.held_refresh_token().as_deref(), Some("rt-2"));
}

#[tokio::test]
async fn store_calls_run_off_the_async_workers() {
    // A current-thread runtime: anything run inline runs on this very thread.
    let test_thread = std::thread::current().id();
    let mock = rotating_server(3600).await;
    let store = expired_double();
    let session = Session::open(mock.client(), store.clone()).await.unwrap();
    session.access_token().await.unwrap();
    session.disconnect().await.unwrap();
    let threads = store.calling_threads();
    assert_eq!(threads.len(), 3, "load, save, clear");
    assert!(
        threads.iter().all(|thread| *thread != test_thread),
        "a store call ran on the async worker"
    );
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once_and_the_request_retried() {
    let mock = Mock::start(|request| match (request.path.as_str(), bearer(request)) {
        ("/token", _) => tokens("at-2", Some("rt-2"), 3600),
        ("/photos", Some("at-2")) => json(200, r#"{"photos":[{"id":"1"}]}"#),
        _ => unauthorized("invalid_token"),
    })
    .await;
    let session = session_valid(&mock);
    let response = session
        .authorized_get(&format!("{}/photos", mock.base))
        .await
        .unwrap();
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(body["photos"][0]["id"], "1");
    let debug = format!("{response:?}");
    assert!(
        debug.contains("body_bytes") && !debug.contains("photos"),
        "{debug}"
    );
    assert_eq!(mock.requests_to("/token").len(), 1);
    assert_eq!(mock.requests_to("/photos").len(), 2);
}

#[tokio::test]
async fn a_token_rejected_again_after_refresh_is_an_error_without_a_loop() {
    let mock = Mock::start(|request| match request.path.as_str() {
        "/token" => tokens("at-2", Some("rt-2"), 3600),
        _ => unauthorized("invalid_token"),
    })
    .await;
    let session = session_valid(&mock);
    let error = session
        .authorized_get(&format!("{}/photos", mock.base))
        .await
        .unwrap_err();
    assert_unexpected_status(&error, 401);
    assert_eq!(mock.requests_to("/token").len(), 1);
    assert_eq!(mock.requests_to("/photos").len(), 2);
}

#[tokio::test]
async fn other_refusals_do_not_trigger_a_refresh() {
    let mock = Mock::start(|request| match request.path.as_str() {
        "/token" => tokens("at-2", Some("rt-2"), 3600),
        "/scoped" => unauthorized("insufficient_scope"),
        _ => reply(404, "text/plain", "no such photo"),
    })
    .await;
    let session = session_valid(&mock);
    let error = session
        .authorized_get(&format!("{}/scoped", mock.base))
        .await
        .unwrap_err();
    assert_unexpected_status(&error, 401);
    let error = session
        .authorized_get(&format!("{}/photos/9", mock.base))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("HTTP 404") && error.to_string().contains("plain text"),
        "{error}"
    );
    assert!(!error.to_string().contains("no such photo"), "{error}");
    assert!(mock.requests_to("/token").is_empty());
}

/// Answers `first` to the first request for `/photos`, then the photos.
async fn photos_after(
    first: impl Fn() -> axum::response::Response + Send + Sync + 'static,
) -> Mock {
    let answered = AtomicUsize::new(0);
    Mock::start(move |_| match answered.fetch_add(1, Ordering::SeqCst) {
        0 => first(),
        _ => json(200, r#"{"photos":[]}"#),
    })
    .await
}

fn quick_retries() -> photolink_oauth::ClientConfig {
    let mut config = crate::support::mock::config();
    config.http.resource_retry.first_backoff = Duration::from_millis(10);
    config
}

#[tokio::test]
async fn too_many_requests_is_retried_after_the_date_in_retry_after() {
    let mock = photos_after(|| {
        let at = SystemTime::now() + Duration::from_secs(2);
        let mut answer = reply(429, "text/plain", "slow down");
        answer
            .headers_mut()
            .insert("retry-after", httpdate::fmt_http_date(at).parse().unwrap());
        answer
    })
    .await;
    let session = Session::new(mock.client_with(quick_retries()), valid_store()).unwrap();

    let started = Instant::now();
    let photos = session
        .authorized_get(&format!("{}/photos", mock.base))
        .await
        .unwrap();

    assert_eq!(photos.status, 200);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retried after {:?}, before the date the server gave",
        started.elapsed()
    );
    assert_eq!(mock.requests_to("/photos").len(), 2);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let mock = photos_after(|| reply(404, "text/plain", "gone")).await;
    let session = Session::new(mock.client_with(quick_retries()), valid_store()).unwrap();
    let error = session
        .authorized_get(&format!("{}/photos", mock.base))
        .await
        .unwrap_err();
    assert_unexpected_status(&error, 404);
    assert_eq!(mock.requests_to("/photos").len(), 1);
}

#[tokio::test]
async fn invalid_grant_means_reconnect_needed() {
    let mock = Mock::start(|_| json(400, r#"{"error":"invalid_grant"}"#)).await;
    let store = memory(stored_tokens("at-1", Some("rt-1"), -1));
    let session = session(&mock, store.clone());
    let error = session.access_token().await.unwrap_err();
    assert!(matches!(error, Error::ReconnectNeeded), "{error:?}");
    assert_eq!(session.status(), SessionStatus::ReconnectNeeded);
    assert!(store.load().unwrap().is_none(), "dead tokens are forgotten");
    assert!(matches!(
        session.access_token().await,
        Err(Error::ReconnectNeeded)
    ));
    assert_eq!(mock.requests().len(), 1, "no further refresh attempts");
}

#[tokio::test]
async fn an_expired_token_without_refresh_token_means_reconnect_needed() {
    let mock = Mock::start(|_| json(500, "{}")).await;
    let session = session(&mock, memory(stored_tokens("at-1", None, -1)));
    assert!(matches!(
        session.access_token().await,
        Err(Error::ReconnectNeeded)
    ));
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn a_passing_refresh_failure_falls_back_to_the_still_valid_token() {
    let mock = Mock::start(|_| reply(503, "text/plain", "maintenance")).await;
    let session = session(&mock, memory(stored_tokens("at-1", Some("rt-1"), 30)));
    assert_eq!(session.access_token().await.unwrap().secret(), "at-1");

    let session = session_expired(&mock);
    let error = session.access_token().await.unwrap_err();
    assert_unexpected_status(&error, 503);
    assert_eq!(
        session.status(),
        SessionStatus::Connected,
        "a passing failure keeps the connection"
    );
}

#[tokio::test]
async fn a_refresh_the_server_refuses_is_an_error_even_while_the_token_is_still_valid() {
    let mock = Mock::start(|_| json(400, r#"{"error":"invalid_scope"}"#)).await;
    let store = memory(stored_tokens("at-1", Some("rt-1"), 30));
    let session = session(&mock, store.clone());
    let error = session.access_token().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Token {
                code: photolink_oauth::TokenErrorCode::InvalidScope,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(session.status(), SessionStatus::Connected);
    assert_eq!(
        store.load().unwrap().unwrap().access_token.secret(),
        "at-1",
        "the store is left as it was"
    );
}

fn session_expired(mock: &Mock) -> Session {
    session(mock, memory(stored_tokens("at-1", Some("rt-1"), -1)))
}

#[tokio::test]
async fn not_connected_until_tokens_exist() {
    let mock = Mock::start(|_| json(500, "{}")).await;
    let session = session(&mock, Arc::new(MemoryTokenStore::new()));
    assert_eq!(session.status(), SessionStatus::SignedOut);
    assert!(matches!(
        session.access_token().await,
        Err(Error::NotConnected)
    ));
    assert!(matches!(session.disconnect().await, Ok(())));
}

#[tokio::test]
async fn a_resource_that_is_not_the_expected_json_is_described_without_quoting_it() {
    let mock = Mock::start(|_| json(200, r#"["2YotnFZFEjr1zCsicMWpAA"]"#)).await;
    let session = session_valid(&mock);
    let response = session
        .authorized_get(&format!("{}/numbers", mock.base))
        .await
        .unwrap();
    let error = response.json::<Vec<u32>>().unwrap_err();
    assert_unexpected_status(&error, 200);
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("2YotnFZFEjr1zCsicMWpAA"), "{shown}");
}

#[tokio::test]
async fn insecure_resource_urls_never_get_the_token() {
    let mock = Mock::start(|_| json(200, "{}")).await;
    let session = session_valid(&mock);
    let error = session
        .authorized_get("http://photos.example.com/photos")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InsecureEndpoint { .. }), "{error:?}");
}

#[tokio::test]
async fn userinfo_is_read_with_the_token() {
    let mock = Mock::start(|request| match bearer(request) {
        Some("at-1") => json(
            200,
            r#"{"sub":"u1","name":"Ada","email":"ada@example.com","locale":"en"}"#,
        ),
        _ => unauthorized("invalid_token"),
    })
    .await;
    let session = session_valid(&mock);
    let user = session.userinfo().await.unwrap();
    assert_eq!(
        (user.sub.as_str(), user.name.as_deref()),
        ("u1", Some("Ada"))
    );
    assert_eq!(user.other["locale"], "en");

    let mut metadata = mock.metadata();
    metadata.userinfo_endpoint = None;
    let client =
        photolink_oauth::OAuthClient::new(crate::support::mock::config(), metadata).unwrap();
    let session = Session::new(client, valid_store()).unwrap();
    assert!(matches!(
        session.userinfo().await,
        Err(Error::NoUserinfoEndpoint)
    ));
}

#[tokio::test]
async fn userinfo_names_are_cleaned_to_be_shown() {
    let mock = Mock::start(|_| {
        json(
            200,
            r#"{"sub":"u1","name":"\u202eAda\n\tLovelace","email":"\u200b"}"#,
        )
    })
    .await;
    let user = session_valid(&mock).userinfo().await.unwrap();
    assert_eq!(user.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(user.email, None, "nothing visible is no e-mail");
}

#[tokio::test]
async fn disconnect_revokes_refresh_then_access_token_and_forgets_them() {
    let mock = Mock::start(|_| reply(200, "text/plain", "")).await;
    let store = valid_store();
    let session = session(&mock, store.clone());
    session.disconnect().await.unwrap();

    let revocations = mock.requests_to("/revoke");
    let sent: Vec<_> = revocations
        .iter()
        .map(|r| {
            (
                r.param("token").unwrap(),
                r.param("token_type_hint").unwrap(),
                r.param("client_id").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            ("rt-1", "refresh_token", "photolink-desktop"),
            ("at-1", "access_token", "photolink-desktop")
        ]
    );
    assert!(store.load().unwrap().is_none());
    assert_eq!(session.status(), SessionStatus::SignedOut);
}

#[tokio::test]
async fn a_failed_revocation_still_forgets_the_tokens_and_is_reported() {
    let mock = Mock::start(|_| reply(503, "text/html", "<html>down</html>")).await;
    let store = valid_store();
    let session = session(&mock, store.clone());
    let error = session.disconnect().await.unwrap_err();
    assert!(matches!(error, Error::RevocationFailed { .. }), "{error:?}");
    assert!(
        error.to_string().starts_with("revocation failed: "),
        "{error}"
    );
    assert!(store.load().unwrap().is_none());
    assert_eq!(session.status(), SessionStatus::SignedOut);
    assert_eq!(
        mock.requests_to("/revoke").len(),
        2,
        "both tokens were attempted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_failed_refresh() {
    let mock = Mock::start(|_| {
        // Slow enough that every caller is waiting for this refresh before it fails.
        std::thread::sleep(std::time::Duration::from_millis(300));
        reply(503, "text/plain", "maintenance")
    })
    .await;
    let session = Arc::new(session_expired(&mock));
    let callers: Vec<_> = (0..20)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move { session.access_token().await })
        })
        .collect();
    for caller in callers {
        let error = caller.await.unwrap().unwrap_err();
        assert!(
            matches!(error, Error::UnexpectedResponse { status: 503, .. }),
            "{error:?}"
        );
    }
    assert_eq!(mock.requests_to("/token").len(), 1);

    // A later call tries again.
    let _ = session.access_token().await;
    assert_eq!(mock.requests_to("/token").len(), 2);
}

#[tokio::test]
async fn a_store_that_cannot_be_cleared_is_reported_and_revocation_still_happens() {
    let mock = Mock::start(|_| reply(200, "text/plain", "")).await;
    let store = Arc::new(TokenStoreDouble::with_tokens(stored_tokens(
        "at-1",
        Some("rt-1"),
        3000,
    )));
    store.fail_clears(true);
    let session = session(&mock, store.clone());
    let error = session.disconnect().await.unwrap_err();
    assert!(matches!(error, Error::Storage(_)), "{error:?}");
    assert_eq!(mock.requests_to("/revoke").len(), 2);
    assert_eq!(session.status(), SessionStatus::SignedOut);
    assert!(matches!(session.persistence(), Persistence::MemoryOnly(_)));

    store.fail_clears(false);
    assert!(matches!(
        session.access_token().await,
        Err(Error::NotConnected)
    ));
    assert!(store.held().is_none(), "the next use clears the store");
    assert_eq!(session.persistence(), Persistence::Saved);
}

#[tokio::test]
async fn a_resource_fetched_without_credentials_carries_no_token_and_a_401_refreshes_nothing() {
    let mock = Mock::start(|request| match request.path.as_str() {
        "/download" => reply(200, "image/png", "png"),
        _ => unauthorized("invalid_token"),
    })
    .await;
    let session = session_valid(&mock);
    let fetched = session
        .get_without_credentials(&format!("{}/download", mock.base))
        .await
        .unwrap();
    assert_eq!(fetched.body, b"png");
    assert_eq!(fetched.content_type.as_deref(), Some("image/png"));
    let error = session
        .get_without_credentials(&format!("{}/expired", mock.base))
        .await
        .unwrap_err();
    assert_unexpected_status(&error, 401);
    assert_eq!(mock.requests().len(), 2);
    assert!(
        mock.requests()
            .iter()
            .all(|request| request.header("authorization").is_none())
    );
    assert!(mock.requests_to("/token").is_empty());
}

#[tokio::test]
async fn userinfo_about_another_account_than_the_verified_id_token_is_refused() {
    let mock = Mock::start(|request| match bearer(request) {
        Some("at-1") => json(200, r#"{"sub":"someone-else","name":"Mallory"}"#),
        Some("at-2") => json(200, r#"{"sub":"u1","name":"Ada"}"#),
        _ => unauthorized("invalid_token"),
    })
    .await;
    let verified = |access: &str| {
        let mut tokens = stored_tokens(access, Some("rt-1"), 3000);
        tokens.id_token_claims =
            Some(serde_json::from_value(serde_json::json!({"sub": "u1", "name": "Ada"})).unwrap());
        tokens
    };
    let other_account = session(&mock, memory(verified("at-1")));
    let refused = other_account.userinfo().await.unwrap_err();
    assert!(
        matches!(refused, Error::UserinfoSubjectMismatch),
        "{refused:?}"
    );
    assert!(!format!("{refused} {refused:?}").contains("Mallory"));

    let same_account = session(&mock, memory(verified("at-2")));
    assert_eq!(
        same_account.userinfo().await.unwrap().name.as_deref(),
        Some("Ada")
    );
}

#[tokio::test]
async fn a_post_of_json_and_a_delete_carry_the_token_and_are_refreshed_once_when_rejected() {
    let mock = Mock::start(|request| match (request.path.as_str(), bearer(request)) {
        ("/token", _) => tokens("at-2", Some("rt-2"), 3600),
        ("/sessions", Some("at-1")) => json(200, r#"{"id":"s1"}"#),
        ("/sessions/s1", Some("at-2")) => json(200, "{}"),
        _ => unauthorized("invalid_token"),
    })
    .await;
    let session = session_valid(&mock);
    let created = session
        .authorized_post_json(
            &format!("{}/sessions", mock.base),
            &serde_json::json!({"pickingConfig": {}}),
        )
        .await
        .unwrap();
    assert_eq!(created.json::<serde_json::Value>().unwrap()["id"], "s1");
    let post = &mock.requests_to("/sessions")[0];
    assert_eq!(post.method, axum::http::Method::POST);
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert_eq!(
        post.param(r#"{"pickingConfig":{}}"#),
        Some(""),
        "the JSON body as sent"
    );

    let deleted = session
        .authorized_delete(&format!("{}/sessions/s1", mock.base))
        .await
        .unwrap();
    assert_eq!(deleted.status, 200);
    let deletes = mock.requests_to("/sessions/s1");
    assert_eq!(deletes.len(), 2, "rejected, refreshed, retried");
    assert!(
        deletes
            .iter()
            .all(|r| r.method == axum::http::Method::DELETE)
    );
    assert_eq!(bearer(&deletes[1]), Some("at-2"));
    assert_eq!(mock.requests_to("/token").len(), 1);
}
