//! The picking flow against the Picker API fixture on loopback, with the clock injected (so a
//! 30-minute timeout takes no time), the browser's part played over HTTP on the fixture's
//! picker page; the Duration strings; and what is kept.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use proptest::prelude::*;
use url::Url;

use super::*;
use crate::photos::google_photos_picker::against_the_fixture::{
    picker_page_never_sent_a_token, started,
};
use crate::photos::source::Download;

/// A clock that moves only when the flow sleeps, recording each sleep. A sleep still yields to
/// the runtime for a moment, so the browser's part (another task) can go on meanwhile.
struct TestClock {
    start: Instant,
    sleeps: Mutex<Vec<Duration>>,
}

impl TestClock {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            sleeps: Mutex::new(Vec::new()),
        }
    }

    fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
}

impl Clock for TestClock {
    fn now(&self) -> Instant {
        self.start + self.sleeps().iter().sum::<Duration>()
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        self.sleeps.lock().unwrap().push(duration);
        tokio::time::sleep(Duration::from_millis(2))
    }
}

/// An opener that plays the browser: picks `items` on the page it is handed (in another task,
/// as a person would, while the flow polls), recording the address.
fn browser_picking<'a>(
    items: &'static [&'static str],
    opened: &'a Mutex<Option<Url>>,
) -> impl FnOnce(&Url) -> Result<(), BrowserNotOpened> + 'a {
    move |url: &Url| {
        *opened.lock().unwrap() = Some(url.clone());
        let url = url.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let form: Vec<_> = items.iter().map(|item| ("item", *item)).collect();
            let done = reqwest::Client::new()
                .post(url)
                .form(&form)
                .send()
                .await
                .unwrap();
            assert!(done.status().is_success());
        });
        Ok(())
    }
}

#[tokio::test]
async fn the_flow_opens_the_picker_polls_at_its_interval_lists_the_picked_photos_and_deletes_the_session()
 {
    let (fixture, library, root) = started(9).await;
    fixture.set_polling("1.5s", "1800s");
    let clock = TestClock::new();
    let opened = Mutex::new(None);
    let steps = Mutex::new(Vec::new());

    let chosen = choose(
        &library,
        &root,
        browser_picking(&["p3", "p1", "p8"], &opened),
        &clock,
        |step| steps.lock().unwrap().push(step),
    )
    .await
    .unwrap();

    let ids: Vec<_> = chosen.iter().map(|photo| photo.id.as_str()).collect();
    assert_eq!(
        ids,
        ["p3", "p1", "p8"],
        "exactly those, in the order picked"
    );
    let opened = opened.into_inner().unwrap().unwrap();
    assert_eq!(
        opened.as_str(),
        format!("{}/picker/session-1/autoclose", fixture.content_origin())
    );
    assert_eq!(
        steps.into_inner().unwrap(),
        [
            Progress::Waiting {
                timeout_seconds: 1800
            },
            Progress::Reading
        ]
    );
    let sleeps = clock.sleeps();
    assert!(!sleeps.is_empty());
    assert!(
        sleeps
            .iter()
            .all(|sleep| *sleep == Duration::from_millis(1500)),
        "{sleeps:?}"
    );
    assert_eq!(fixture.picking_sessions(), 0, "the session was deleted");
    assert_eq!(fixture.picking_sessions_deleted(), 1);
    let seen = fixture.seen();
    let api: Vec<_> = seen.iter().filter(|seen| !seen.content_server).collect();
    assert_eq!(api[0].target, "/v1/sessions");
    assert_eq!(api.last().unwrap().target, "/v1/sessions/session-1");
    let bearer = format!("Bearer {}", fixture.access_token());
    assert!(
        api.iter()
            .all(|seen| seen.authorization.as_deref() == Some(bearer.as_str()))
    );
    assert!(picker_page_never_sent_a_token(&fixture));
}

#[tokio::test]
async fn a_person_who_does_not_finish_in_time_ends_the_flow_at_the_timeout_and_the_session_is_deleted()
 {
    let (fixture, library, root) = started(3).await;
    fixture.set_polling("1s", "10s");
    let clock = TestClock::new();
    let steps = Mutex::new(Vec::new());

    let error = choose(
        &library,
        &root,
        |_: &Url| Ok(()),
        &clock,
        |step| steps.lock().unwrap().push(step),
    )
    .await
    .unwrap_err();

    assert!(matches!(error, PickingError::Ended), "{error:?}");
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(1); 10]);
    assert_eq!(
        steps.into_inner().unwrap(),
        [Progress::Waiting {
            timeout_seconds: 10
        }]
    );
    assert_eq!(fixture.picking_sessions(), 0);
    assert_eq!(fixture.picking_sessions_deleted(), 1);
}

#[tokio::test]
async fn a_browser_that_cannot_be_opened_ends_the_flow_and_the_session_is_deleted() {
    let (fixture, library, root) = started(3).await;
    let error = choose(
        &library,
        &root,
        |_: &Url| Err(BrowserNotOpened("no browser".into())),
        &TestClock::new(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(error, PickingError::Browser(_)), "{error:?}");
    assert_eq!(fixture.picking_sessions_deleted(), 1);
}

#[tokio::test]
async fn a_session_that_ends_while_the_person_picks_ends_the_flow_at_the_next_poll() {
    let (fixture, library, root) = started(3).await;
    let clock = TestClock::new();
    let error = choose(
        &library,
        &root,
        |_: &Url| {
            fixture.expire_picking_sessions();
            Ok(())
        },
        &clock,
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(error, PickingError::Ended), "{error:?}");
    assert_eq!(clock.sleeps().len(), 1);
}

#[tokio::test]
async fn a_session_past_its_expire_time_ends_the_flow_before_the_browser_opens() {
    let (fixture, library, root) = started(3).await;
    fixture.set_expire_time("2020-01-01T00:00:00Z");
    let clock = TestClock::new();
    let opened = Mutex::new(None);
    let steps = Mutex::new(Vec::new());
    let error = choose(
        &library,
        &root,
        browser_picking(&["p1"], &opened),
        &clock,
        |step| steps.lock().unwrap().push(step),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, PickingError::Ended), "{error:?}");
    assert_eq!(*opened.lock().unwrap(), None, "the picker was opened");
    assert!(clock.sleeps().is_empty());
    assert!(steps.into_inner().unwrap().is_empty());
    assert_eq!(fixture.picking_sessions_deleted(), 1);
}

#[test]
fn the_time_to_pick_ends_at_the_timeout_or_the_expire_time_whichever_is_first() {
    let answer = |json: &str| crate::photos::source::tests::answer(json);
    let session = PickingSession::read(&answer(
        r#"{"id":"s1","pickerUri":"https://photos.google.com/picker/abc",
            "pollingConfig":{"timeoutIn":"1800s"},"expireTime":"2026-12-07T21:00:00Z"}"#,
    ))
    .unwrap();
    let expires = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_677_200);
    assert_eq!(session.expire_time, Some(expires));
    let before = |seconds: u64| expires - Duration::from_secs(seconds);
    assert_eq!(session.allowed(before(600)), Duration::from_secs(600));
    assert_eq!(session.allowed(before(3600)), Duration::from_secs(1800));
    assert_eq!(
        session.allowed(expires + Duration::from_secs(1)),
        Duration::ZERO
    );
    let unreadable = PickingSession::read(&answer(
        r#"{"id":"s1","pickerUri":"https://photos.google.com/picker/abc",
            "pollingConfig":{"timeoutIn":"1800s"},"expireTime":"tomorrow"}"#,
    ))
    .unwrap();
    assert_eq!(unreadable.expire_time, None);
    assert_eq!(unreadable.allowed(expires), Duration::from_secs(1800));
}

#[test]
fn a_session_is_read_with_its_durations_and_needs_an_id_and_a_picker_address() {
    let answer = |json: &str| crate::photos::source::tests::answer(json);
    let session = PickingSession::read(&answer(
        r#"{"id":"s1","pickerUri":"https://photos.google.com/picker/abc",
            "pollingConfig":{"pollInterval":"0.1s","timeoutIn":"86400s"},
            "expireTime":"2026-12-07T21:00:00Z","mediaItemsSet":false}"#,
    ))
    .unwrap();
    assert_eq!(
        session.poll_interval, MIN_POLL_INTERVAL,
        "kept within bounds"
    );
    assert_eq!(session.timeout, MAX_TIMEOUT);
    assert_eq!(
        session.autoclose_uri().as_str(),
        "https://photos.google.com/picker/abc/autoclose"
    );
    let defaults = PickingSession::read(&answer(
        r#"{"id":"s1","pickerUri":"https://photos.google.com/picker/abc/","pollingConfig":{"pollInterval":5}}"#,
    ))
    .unwrap();
    assert_eq!(defaults.poll_interval, DEFAULT_POLL_INTERVAL);
    assert_eq!(defaults.timeout, DEFAULT_TIMEOUT);
    assert_eq!(
        defaults.autoclose_uri().as_str(),
        "https://photos.google.com/picker/abc/autoclose"
    );
    for unusable in [
        r#"{"pickerUri":"https://photos.google.com/picker/abc"}"#,
        r#"{"id":"","pickerUri":"https://photos.google.com/picker/abc"}"#,
        r#"{"id":"s1"}"#,
        r#"{"id":"s1","pickerUri":"http://photos.google.com/picker/abc"}"#,
        r#"{"id":"s1","pickerUri":"javascript:alert(1)"}"#,
        r#"{"id":"s1","pickerUri":"file:///etc/passwd"}"#,
    ] {
        assert!(
            PickingSession::read(&answer(unusable)).is_err(),
            "{unusable}"
        );
    }
}

#[test]
fn durations_are_read_as_protobuf_writes_them() {
    for (text, expected) in [
        ("5s", Some(Duration::from_secs(5))),
        ("1.5s", Some(Duration::from_millis(1500))),
        ("0.000000001s", Some(Duration::from_nanos(1))),
        ("1800s", Some(Duration::from_secs(1800))),
        ("86400s", Some(Duration::from_secs(86400))),
        ("86401s", None),
        ("5", None),
        ("-5s", None),
        ("1.s", None),
        (".5s", None),
        ("1.0000000001s", None),
        ("5 s", None),
        ("1e3s", None),
        ("", None),
        ("s", None),
    ] {
        assert_eq!(duration(text), expected, "{text}");
    }
}

fn photo(id: &str) -> SourcePhoto {
    let url = Url::parse(&format!("https://lh3.googleusercontent.com/{id}")).unwrap();
    SourcePhoto {
        id: id.into(),
        title: None,
        width: None,
        height: None,
        taken_at: None,
        bytes: None,
        thumbnail: Download::WithToken(url.clone()),
        image: Download::WithToken(url),
    }
}

#[test]
fn choosing_again_adds_in_front_and_a_photo_chosen_again_moves_there() {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    let mut selection = Selection::default();
    assert_eq!(selection.add(vec![photo("a"), photo("b")], start), 2);
    let later = start + Duration::from_secs(600);
    assert_eq!(selection.add(vec![photo("c"), photo("a")], later), 1);
    let ids: Vec<_> = selection.photos.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["c", "a", "b"]);
    assert_eq!(selection.expires_in(later + Duration::from_secs(3599)), 1);
    assert_eq!(selection.expires_in(later + BASE_URL_LIFETIME), 0);
    assert_eq!(selection.expires_in(later + 2 * BASE_URL_LIFETIME), 0);
}

#[tokio::test]
async fn the_selection_is_kept_in_the_account_folder_and_an_unreadable_one_is_none() {
    let folder = std::env::temp_dir().join(format!("photolink-selection-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let disk = Arc::new(DiskCache::open(folder.clone(), 1 << 20).unwrap());
    assert!(Selection::load(disk.clone()).await.photos.is_empty());
    let mut selection = Selection::default();
    selection.add(vec![photo("a"), photo("b")], SystemTime::now());
    selection.save(disk.clone()).await.unwrap();
    let loaded = Selection::load(disk.clone()).await;
    let ids: Vec<_> = loaded.photos.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(loaded.listed_at, selection.listed_at);
    disk.put(
        &SELECTION_KEY,
        &CachedBody::new("application/json", &b"{not json"[..]),
    )
    .unwrap();
    assert!(Selection::load(disk).await.photos.is_empty());
    let _ = std::fs::remove_dir_all(&folder);
}

proptest! {
    #[test]
    fn any_text_is_a_duration_only_in_protobufs_form(text in "[0-9.s -]{0,14}") {
        if let Some(read) = duration(&text) {
            prop_assert!(text.ends_with('s'));
            prop_assert!(read <= Duration::from_secs(86400));
            let seconds: f64 = text.trim_end_matches('s').parse().unwrap();
            prop_assert!((read.as_secs_f64() - seconds).abs() < 1e-6);
        }
    }
}
