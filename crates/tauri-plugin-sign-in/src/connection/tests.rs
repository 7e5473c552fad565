//! Every transition of [`AccountConnection`], against the real demo provider on loopback, with
//! a fake window, a fake browser and keyring entries that fail on demand. A "process" here is
//! one `AccountConnection`; two of them over the same fake keyring are two PhotoLink processes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use photolink_demo_provider::consent_page::{self, Decision};
use photolink_demo_provider::{self as demo, ProviderHandle};
use photolink_oauth::{ClientConfig, NetworkFailure, OAuthClient};
use url::Url;

use super::*;
use crate::config::Redirect;
use crate::store::fakes::CredentialManagerStandIn;
use crate::store::{ForgottenEntries, KeyringTokenStore, SecretEntry, Slot, SplitEntry};

const PROVIDER: &str = "Test Photos";
const REDIRECT_URI: &str = "com.example.photolink:/oauth/callback";

/// Records every status shown, whether the keyring still held a sign-in when it was shown, and
/// how often the account's data was dropped.
#[derive(Clone, Default)]
struct FakeWindow {
    shown: Arc<Mutex<Vec<Status>>>,
    sign_in_kept_when_shown: Arc<Mutex<Vec<bool>>>,
    sign_in: CredentialManagerStandIn,
    forgotten: Arc<AtomicUsize>,
}

impl Window for FakeWindow {
    fn show(&self, status: &Status) {
        self.shown.lock().unwrap().push(status.clone());
        let kept = SplitEntry::sign_in(Arc::new(self.sign_in.clone()), Slot::FIRST)
            .read()
            .is_ok_and(|text| text.is_some());
        self.sign_in_kept_when_shown.lock().unwrap().push(kept);
    }

    fn forget_account_data(&self) {
        self.forgotten.fetch_add(1, Ordering::SeqCst);
    }
}

/// What one test's "computer" holds: the keyring's entries (the saved connection's and the
/// sign-in's, each failing on demand on its own), the tombstone file, the browser's visits,
/// and whether the provider can be reached. Shared by every process.
#[derive(Clone)]
struct FakeComputer {
    issuer: String,
    tokens: CredentialManagerStandIn,
    sign_in: CredentialManagerStandIn,
    forgotten: PathBuf,
    /// The ended sign-ins' tombstones.
    ended: PathBuf,
    visits: Arc<Mutex<Vec<Url>>>,
    browser_fails: Arc<AtomicBool>,
    provider_unreachable: Arc<AtomicBool>,
    sign_in_lifetime: Duration,
    redirect: Redirect,
    listeners: Arc<Mutex<Vec<FakeListenerRecord>>>,
    listen_fails: Arc<AtomicBool>,
    /// Whether PhotoLink pushes its sign-in requests (RFC 9126): only when the provider
    /// requires it, so the other tests read the request's parameters in the browser's URL.
    pushes: bool,
    /// Signs in with `openid`.
    openid: bool,
    /// Signs in with `openid` and ignores the provider's userinfo endpoint.
    openid_without_userinfo: bool,
    clock: FakeClock,
    /// The provider's name and key in the settings.
    provider_name: String,
    /// The account's provider is no longer in the settings.
    provider_gone: bool,
}

/// The system clock, moved on by the test instead of by waiting: the real time plus what the
/// test let pass. (The core and the demo provider read the real clock; the tests set their
/// lifetimes so that they agree.)
#[derive(Clone)]
struct FakeClock {
    passed: Arc<tokio::sync::watch::Sender<Duration>>,
}

impl Default for FakeClock {
    fn default() -> Self {
        Self {
            passed: Arc::new(tokio::sync::watch::Sender::new(Duration::ZERO)),
        }
    }
}

impl FakeClock {
    fn now(&self) -> SystemTime {
        SystemTime::now() + *self.passed.borrow()
    }

    fn pass(&self, time: Duration) {
        self.passed.send_modify(|passed| *passed += time);
    }

    /// How many waits on the clock run (a waiting sign-in's expiry is one).
    fn timers(&self) -> usize {
        self.passed.receiver_count()
    }

    fn sleep_until(&self, deadline: SystemTime) -> impl Future<Output = ()> + Send + 'static {
        let mut passed = self.passed.subscribe();
        async move {
            while SystemTime::now() + *passed.borrow_and_update() < deadline {
                if passed.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}

impl FakeComputer {
    /// The saved connection, split over the keyring's entries as the app keeps it.
    fn tokens_entry(&self) -> SplitEntry {
        self.tokens_entry_of(Slot::FIRST)
    }

    /// The saved connection of the account in `slot`.
    fn tokens_entry_of(&self, slot: Slot) -> SplitEntry {
        SplitEntry::tokens(Arc::new(self.tokens.clone()), slot)
    }

    /// The OS of the account in `slot`, in one process.
    fn os(&self, slot: Slot, choose_account: bool) -> FakeOs {
        FakeOs {
            computer: self.clone(),
            sign_ins: Arc::new(SignInStore::over(
                Box::new(SplitEntry::sign_in(Arc::new(self.sign_in.clone()), slot)),
                Some(ForgottenEntries::at(self.ended.clone())),
            )),
            slot,
            choose_account,
        }
    }

    fn saved_tokens(&self) -> Option<String> {
        self.tokens_entry().read().unwrap()
    }

    fn saved_sign_in(&self) -> Option<String> {
        SplitEntry::sign_in(Arc::new(self.sign_in.clone()), Slot::FIRST)
            .read()
            .unwrap()
    }
}

/// A loopback listener as the fake OS started it: its port, what it hands callbacks to, and
/// whether it was stopped.
#[derive(Clone)]
struct FakeListenerRecord {
    port: u16,
    asked_port: Option<u16>,
    deliver: Deliver,
    stopped: Arc<AtomicBool>,
    /// Whether every earlier listener was stopped when this one was asked for.
    earlier_stopped: bool,
}

struct FakeListener {
    port: u16,
    stopped: Arc<AtomicBool>,
}

impl RedirectListener for FakeListener {
    fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for FakeListener {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

/// The OS of one process on the fake computer.
struct FakeOs {
    computer: FakeComputer,
    sign_ins: Arc<SignInStore>,
    /// The account's slot: names its entries.
    slot: Slot,
    /// Asks the provider for its account chooser.
    choose_account: bool,
}

impl Os for FakeOs {
    fn open_browser(&self, url: &Url) -> Result<(), BrowserNotOpened> {
        if self.computer.browser_fails.load(Ordering::SeqCst) {
            return Err(BrowserNotOpened("no browser".into()));
        }
        self.computer.visits.lock().unwrap().push(url.clone());
        Ok(())
    }

    async fn set_up_provider(&self) -> Result<Provider, Error> {
        let computer = &self.computer;
        if computer.provider_gone {
            return Err(Error::ProviderGone);
        }
        if computer.provider_unreachable.load(Ordering::SeqCst) {
            return Err(Error::OAuth(OAuthError::Network(
                NetworkFailure::CouldNotConnect,
            )));
        }
        let mut config = ClientConfig::new(demo::CLIENT_ID, REDIRECT_URI)
            .with_scopes(["photos:read", "profile"]);
        if computer.openid || computer.openid_without_userinfo {
            config.scopes.push("openid".into());
        }
        config.pending_lifetime = computer.sign_in_lifetime;
        let discovered = OAuthClient::discover(config.clone(), &computer.issuer).await?;
        let mut metadata = discovered.metadata().clone();
        if !computer.pushes {
            metadata.pushed_authorization_request_endpoint = None;
        }
        if computer.openid_without_userinfo {
            metadata.userinfo_endpoint = None;
        }
        let client = OAuthClient::new(config, metadata)?;
        let client = crate::provider::asking_for_the_account_chooser(&client, self.choose_account)?;
        let (store, problem) = KeyringTokenStore::open(
            computer.issuer.clone(),
            Box::new(computer.tokens_entry_of(self.slot)),
            ForgottenEntries::at(computer.forgotten.clone()),
        );
        let summary = ProviderSummary {
            id: computer.provider_name.clone(),
            name: computer.provider_name.clone(),
            issuer: Some(computer.issuer.clone()),
            embedded: false,
        };
        let store = Arc::new(store);
        let mut provider = Provider::new(summary, client, store.clone())?;
        provider.open_problem = problem;
        provider.saved_connection = Some(store);
        provider.redirect = computer.redirect;
        Ok(provider)
    }

    fn sign_ins(&self) -> Arc<SignInStore> {
        self.sign_ins.clone()
    }

    fn saved_connection(&self) -> Option<(Box<dyn SecretEntry>, ForgottenEntries)> {
        Some((
            Box::new(self.computer.tokens_entry_of(self.slot)),
            ForgottenEntries::at(self.computer.forgotten.clone()),
        ))
    }

    type Listener = FakeListener;

    async fn listen_for_redirect(
        &self,
        port: Option<u16>,
        deliver: Deliver,
    ) -> std::io::Result<FakeListener> {
        if self.computer.listen_fails.load(Ordering::SeqCst) {
            return Err(std::io::ErrorKind::AddrInUse.into());
        }
        let mut listeners = self.computer.listeners.lock().unwrap();
        let earlier_stopped = listeners.iter().all(|l| l.stopped.load(Ordering::SeqCst));
        let stopped = Arc::new(AtomicBool::new(false));
        let asked_port = port;
        let port = port.unwrap_or(50_000 + listeners.len() as u16);
        listeners.push(FakeListenerRecord {
            port,
            asked_port,
            deliver,
            stopped: stopped.clone(),
            earlier_stopped,
        });
        Ok(FakeListener { port, stopped })
    }

    fn now(&self) -> SystemTime {
        self.computer.clock.now()
    }

    fn sleep_until(&self, deadline: SystemTime) -> impl Future<Output = ()> + Send + 'static {
        self.computer.clock.sleep_until(deadline)
    }
}

type TestConnection = AccountConnection<FakeWindow, FakeOs>;

struct Setup {
    provider: ProviderHandle,
    computer: FakeComputer,
    http: reqwest::Client,
}

/// One PhotoLink process on the test's computer, with its window.
struct Process {
    connection: Arc<TestConnection>,
    window: FakeWindow,
}

impl Process {
    /// What "Try again" does, in the error view.
    fn retry(&self) -> Option<Retry> {
        let account = self.connection.account.try_lock().expect("no step runs");
        match account.phase {
            Phase::Failed { retry, .. } => Some(retry),
            _ => None,
        }
    }

    fn state(&self) -> Connection {
        self.connection.status().connection
    }

    fn notice(&self) -> Option<String> {
        self.connection.status().notice.map(|n| n.message)
    }

    fn warning(&self) -> Option<String> {
        self.connection.status().warning
    }

    fn error_message(&self) -> String {
        match self.state() {
            Connection::Error { message, .. } => message,
            other => panic!("not an error: {other:?}"),
        }
    }
}

/// How long a sign-in lasts in the tests, unless one says otherwise.
const SIGN_IN_LIFETIME: Duration = Duration::from_secs(600);

async fn set_up() -> Setup {
    set_up_with(SIGN_IN_LIFETIME).await
}

async fn set_up_with(sign_in_lifetime: Duration) -> Setup {
    set_up_with_provider(sign_in_lifetime, demo::Config::default()).await
}

async fn set_up_with_provider(sign_in_lifetime: Duration, config: demo::Config) -> Setup {
    let pushes = config.require_par;
    let provider = demo::start(config).await.expect("the demo provider starts");
    let dir = std::env::temp_dir().join(format!(
        "photolink-connection-{}-{}",
        std::process::id(),
        provider.issuer_url().rsplit(':').next().unwrap_or_default()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let computer = FakeComputer {
        issuer: provider.issuer_url().to_owned(),
        tokens: CredentialManagerStandIn::default(),
        sign_in: CredentialManagerStandIn::default(),
        forgotten: dir.join("forgotten.json"),
        ended: dir.join("ended.json"),
        visits: Arc::default(),
        browser_fails: Arc::default(),
        provider_unreachable: Arc::default(),
        sign_in_lifetime,
        redirect: Redirect::Scheme,
        listeners: Arc::default(),
        listen_fails: Arc::default(),
        pushes,
        openid: false,
        openid_without_userinfo: false,
        clock: FakeClock::default(),
        provider_name: PROVIDER.into(),
        provider_gone: false,
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Setup {
        provider,
        computer,
        http,
    }
}

impl Setup {
    /// Starts a PhotoLink process (not yet started up).
    fn process(&self) -> Process {
        let window = FakeWindow {
            sign_in: self.computer.sign_in.clone(),
            ..FakeWindow::default()
        };
        let os = self.computer.os(Slot::FIRST, false);
        Process {
            connection: AccountConnection::new(window.clone(), os),
            window,
        }
    }

    fn visits(&self) -> Vec<Url> {
        self.computer.visits.lock().unwrap().clone()
    }

    /// What a person does in the browser: opens the last page PhotoLink sent them to and
    /// presses `decision`; returns the callback URL the provider redirects to.
    async fn decide(&self, decision: Decision) -> String {
        let page = self
            .visits()
            .last()
            .cloned()
            .expect("the browser was opened");
        consent_page::decide(&self.http, &page, decision)
            .await
            .unwrap_or_else(|error| panic!("the consent page is answered: {error}"))
    }

    async fn approve(&self) -> String {
        self.decide(Decision::Approve).await
    }

    /// Connects `process` through the browser.
    async fn connect(&self, process: &Process) {
        process.connection.connect().await;
        let callback = self.approve().await;
        process.connection.finish(&callback).await;
        assert!(
            matches!(process.state(), Connection::Connected { .. }),
            "{:?}",
            process.state()
        );
    }

    /// Lets `time` pass on the clock and the steps that sets off (an expiry) finish.
    async fn let_time_pass(&self, process: &Process, time: Duration) {
        self.computer.clock.pass(time);
        settle(process).await;
    }

    fn saved_refresh_token(&self) -> Option<String> {
        let text = self.computer.saved_tokens()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        json["tokens"]["refresh_token"].as_str().map(str::to_owned)
    }

    /// Whether the provider still honours `refresh_token`.
    async fn provider_accepts(&self, refresh_token: &str) -> bool {
        self.http
            .post(&self.provider.endpoints().token)
            .header("Accept", "application/json")
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", demo::CLIENT_ID),
            ])
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    }
}

/// Lets the tasks that are ready run, then waits for the step that runs, if any, to finish.
async fn settle(process: &Process) {
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
    drop(process.connection.step().await);
}

fn forged(state: &str) -> String {
    format!("{REDIRECT_URI}?code=x&state={state}")
}

#[tokio::test]
async fn start_up_without_a_saved_account_shows_disconnected_and_the_provider() {
    let setup = set_up().await;
    let process = setup.process();

    process.connection.start_up().await;

    assert_eq!(process.state(), Connection::Disconnected);
    let status = process.connection.status();
    assert_eq!(status.provider.unwrap().name, PROVIDER);
    assert!(setup.visits().is_empty());
}

#[tokio::test]
async fn a_failed_command_is_explained_in_words_that_name_the_provider() {
    let setup = set_up().await;
    let process = setup.process();
    process.connection.start_up().await;

    let sentence = process
        .connection
        .explain(&Error::OAuth(OAuthError::Network(
            NetworkFailure::CouldNotConnect,
        )));

    assert_eq!(
        sentence,
        format!("The app could not reach {PROVIDER}. Check your connection and try again.")
    );
}

#[tokio::test]
async fn connect_waits_for_the_browser_keeps_the_sign_in_in_the_keyring_and_the_callback_connects()
{
    let setup = set_up().await;
    let process = setup.process();
    process.connection.start_up().await;

    process.connection.connect().await;

    assert_eq!(process.state(), Connection::Waiting);
    assert_eq!(setup.visits().len(), 1);
    assert_eq!(
        process.connection.waiting_url().unwrap(),
        setup.visits()[0],
        "Copy link gives the page the browser was sent to"
    );
    let kept = setup
        .computer
        .saved_sign_in()
        .expect("the sign-in is kept in the keyring");
    assert!(kept.contains(&setup.computer.issuer));

    let callback = setup.approve().await;
    process.connection.finish(&callback).await;

    let Connection::Connected {
        account, scopes, ..
    } = process.state()
    else {
        panic!("{:?}", process.state());
    };
    assert!(!account.is_empty());
    assert!(scopes.contains(&"photos:read".to_owned()));
    assert_eq!(
        setup.computer.saved_sign_in(),
        None,
        "the ended sign-in stayed in the keyring"
    );
    assert!(
        setup.saved_refresh_token().is_some(),
        "the tokens were not saved"
    );
    assert!(matches!(
        process.connection.waiting_url(),
        Err(Error::NotWaiting)
    ));
}

#[tokio::test]
async fn connected_is_shown_before_the_ended_sign_in_is_deleted_from_the_keyring() {
    let setup = set_up().await;
    let process = setup.process();
    process.connection.start_up().await;
    process.connection.connect().await;

    let callback = setup.approve().await;
    process.connection.finish(&callback).await;

    let shown = process.window.shown.lock().unwrap().clone();
    let kept = process
        .window
        .sign_in_kept_when_shown
        .lock()
        .unwrap()
        .clone();
    let connected = shown
        .iter()
        .position(|status| matches!(status.connection, Connection::Connected { .. }))
        .expect("connected was shown");
    assert!(
        kept[connected],
        "the keyring call that deletes the sign-in came before the frame that shows connected"
    );
    assert_eq!(
        setup.computer.saved_sign_in(),
        None,
        "the ended sign-in stayed in the keyring"
    );
}

#[tokio::test]
async fn a_forged_callback_is_ignored_and_the_sign_in_still_waits() {
    let setup = set_up().await;
    let process = setup.process();
    process.connection.connect().await;

    process.connection.finish(&forged("forged")).await;
    process.connection.finish("not a url").await;

    assert_eq!(process.state(), Connection::Waiting);
    assert_eq!(
        process.notice().as_deref(),
        Some(messages::LINK_IGNORED_WHILE_WAITING)
    );
    assert!(setup.computer.saved_sign_in().is_some());
    let callback = setup.approve().await;
    process.connection.finish(&callback).await;
    assert!(matches!(process.state(), Connection::Connected { .. }));
}

#[tokio::test]
async fn a_callback_while_nothing_waits_only_shows_a_notice() {
    let setup = set_up().await;
    let process = setup.process();
    process.connection.start_up().await;

    process.connection.finish(&forged("forged")).await;

    assert_eq!(process.state(), Connection::Disconnected);
    assert_eq!(
        process.notice().as_deref(),
        Some(messages::LINK_IGNORED_NOT_WAITING)
    );
}

#[tokio::test]
async fn cancel_ends_the_sign_in_everywhere_and_its_late_callback_is_ignored() {
    let setup = set_up().await;
    let process = setup.process();
    process.connection.connect().await;

    process.connection.cancel().await;

    assert_eq!(process.state(), Connection::Disconnected);
    assert_eq!(setup.computer.saved_sign_in(), None);
    let late = setup.approve().await;
    process.connection.finish(&late).await;
    assert_eq!(process.state(), Connection::Disconnected);
    assert_eq!(
        process.notice().as_deref(),
        Some(messages::LINK_IGNORED_NOT_WAITING)
    );
    assert!(setup.saved_refresh_token().is_none());
}

#[tokio::test]
async fn a_refusal_names_the_provider_and_try_again_starts_a_new_sign_in() {
    let setup = set_up().await;
    let process = setup.process();
    process.connection.connect().await;

    let denied = setup.decide(Decision::Deny).await;
    process.connection.finish(&denied).await;

    assert_eq!(
        process.error_message(),
        "You declined access at Test Photos."
    );
    assert_eq!(setup.computer.saved_sign_in(), None);
    assert!(process.retry() == Some(Retry::Connect));

    process.connection.retry().await;

    assert_eq!(process.state(), Connection::Waiting);
    assert_eq!(setup.visits().len(), 2);
}

#[tokio::test]
async fn a_browser_that_cannot_open_leaves_the_sign_in_waiting_with_a_notice() {
    let setup = set_up().await;
    setup.computer.browser_fails.store(true, Ordering::SeqCst);
    let process = setup.process();

    process.connection.connect().await;

    assert_eq!(process.state(), Connection::Waiting);
    assert_eq!(
        process.notice().as_deref(),
        Some(messages::BROWSER_NOT_OPENED)
    );
    assert!(
        process.connection.waiting_url().is_ok(),
        "Copy link still works"
    );
}

#[tokio::test]
async fn the_waiting_view_times_out_by_itself_when_the_sign_in_expires() {
    let setup = set_up().await;
    let process = setup.process();
    process.connection.connect().await;
    setup
        .let_time_pass(&process, SIGN_IN_LIFETIME - Duration::from_secs(1))
        .await;
    assert_eq!(process.state(), Connection::Waiting);

    setup.let_time_pass(&process, Duration::from_secs(1)).await;

    assert_eq!(process.error_message(), messages::SIGN_IN_EXPIRED);
    assert!(process.retry() == Some(Retry::Connect));
    assert_eq!(
        setup.computer.saved_sign_in(),
        None,
        "the expired sign-in stayed in the keyring"
    );
    assert!(
        matches!(process.connection.waiting_url(), Err(Error::NotWaiting)),
        "an ended sign-in has no link to copy"
    );
}

#[tokio::test]
async fn an_ended_sign_ins_expiry_is_called_off() {
    let setup = set_up().await;
    let process = setup.process();
    process.connection.connect().await;
    assert_eq!(setup.computer.clock.timers(), 1);

    process.connection.cancel().await;
    settle(&process).await;

    assert_eq!(
        setup.computer.clock.timers(),
        0,
        "the cancelled sign-in's expiry still runs"
    );
    process.connection.connect().await;
    assert_eq!(setup.computer.clock.timers(), 1);
    assert_eq!(process.state(), Connection::Waiting);
}

#[tokio::test]
async fn a_callback_delivered_to_a_new_process_finishes_the_sign_in_the_old_one_started() {
    let setup = set_up().await;
    let first = setup.process();
    first.connection.connect().await;
    drop(first); // PhotoLink closed while the browser waited

    let callback = setup.approve().await;
    let second = setup.process(); // the OS starts PhotoLink cold with the link
    let start_up = second.connection.clone();
    let finish = second.connection.clone();
    tokio::join!(start_up.start_up(), finish.finish(&callback));

    assert!(
        matches!(second.state(), Connection::Connected { .. }),
        "{:?}",
        second.state()
    );
    assert_eq!(
        setup.visits().len(),
        1,
        "the new process opened the browser again"
    );
    assert_eq!(setup.computer.saved_sign_in(), None);
}

#[tokio::test]
async fn a_new_process_shows_the_sign_in_an_old_one_started_as_waiting() {
    let setup = set_up().await;
    let first = setup.process();
    first.connection.connect().await;
    drop(first);

    let second = setup.process();
    second.connection.start_up().await;

    assert_eq!(second.state(), Connection::Waiting);
    assert_eq!(second.connection.waiting_url().unwrap(), setup.visits()[0]);
}

#[tokio::test]
async fn a_callback_after_the_sign_in_expired_says_so_also_in_a_new_process() {
    // A sign-in that has expired as soon as it started (the core reads the real clock): the
    // first process closes before its expiry runs.
    let setup = set_up_with(Duration::ZERO).await;
    let first = setup.process();
    first.connection.connect().await;
    drop(first);
    let callback = setup.approve().await;

    let second = setup.process();
    second.connection.start_up().await;
    assert_eq!(second.state(), Connection::Disconnected);
    second.connection.finish(&callback).await;

    assert_eq!(second.error_message(), "That sign-in expired. Try again.");
    assert_eq!(setup.computer.saved_sign_in(), None);
    assert!(setup.saved_refresh_token().is_none());
}

#[tokio::test]
async fn a_process_started_before_the_sign_in_was_saved_still_finishes_it() {
    let setup = set_up().await;
    // The second process starts (and finds nothing) while the first is still running...
    let second = setup.process();
    second.connection.start_up().await;
    let first = setup.process();
    first.connection.connect().await;
    drop(first); // ...then the first exits, and the callback reaches the second.

    let callback = setup.approve().await;
    second.connection.finish(&callback).await;

    assert!(
        matches!(second.state(), Connection::Connected { .. }),
        "{:?}",
        second.state()
    );
}

#[tokio::test]
async fn a_callback_finished_by_one_process_is_not_exchanged_again_by_another() {
    let setup = set_up().await;
    let first = setup.process();
    let second = setup.process();
    second.connection.start_up().await;
    first.connection.connect().await;
    let callback = setup.approve().await;

    first.connection.finish(&callback).await;
    second.connection.finish(&callback).await;

    assert!(matches!(first.state(), Connection::Connected { .. }));
    assert_eq!(second.state(), Connection::Disconnected);
    assert_eq!(
        second.notice().as_deref(),
        Some(messages::LINK_IGNORED_NOT_WAITING)
    );
}

#[tokio::test]
async fn try_again_after_a_failed_start_up_restores_the_saved_connection_without_the_browser() {
    let setup = set_up().await;
    let earlier = setup.process();
    setup.connect(&earlier).await;
    drop(earlier);
    let visits = setup.visits().len();

    setup
        .computer
        .provider_unreachable
        .store(true, Ordering::SeqCst);
    let process = setup.process();
    process.connection.start_up().await;
    assert!(process.retry() == Some(Retry::StartUp));
    assert_eq!(
        process.error_message(),
        "The app could not reach your photo service. Check your connection and try again."
    );

    setup
        .computer
        .provider_unreachable
        .store(false, Ordering::SeqCst);
    process.connection.retry().await;

    assert!(
        matches!(process.state(), Connection::Connected { .. }),
        "{:?}",
        process.state()
    );
    assert_eq!(setup.visits().len(), visits, "Try again opened the browser");
}

#[tokio::test]
async fn connecting_while_connected_revokes_the_old_grant() {
    let setup = set_up().await;
    let process = setup.process();
    setup.connect(&process).await;
    let old = setup
        .saved_refresh_token()
        .expect("a refresh token is saved");

    setup.connect(&process).await;

    let new = setup
        .saved_refresh_token()
        .expect("a refresh token is saved");
    assert_ne!(old, new);
    assert!(
        !setup.provider_accepts(&old).await,
        "the old grant still works"
    );
    assert!(setup.provider_accepts(&new).await);
}

#[tokio::test]
async fn a_damaged_saved_connection_says_so_and_connecting_still_works() {
    let setup = set_up().await;
    for damaged in [
        "not json".to_owned(),
        format!(
            r#"{{"issuer":"{}","tokens":{{"access_token":"a","token_type":"Bearer","received_at":18446744073709551615,"expires_at":18446744073709551615}}}}"#,
            setup.computer.issuer
        ),
    ] {
        setup.computer.tokens_entry().write(&damaged).unwrap();
        let process = setup.process();

        process.connection.start_up().await;

        assert_eq!(process.state(), Connection::Disconnected);
        assert_eq!(
            process.notice().as_deref(),
            Some("Your saved connection could not be read. Connect again.")
        );
        setup.connect(&process).await;
    }
}

#[tokio::test]
async fn a_saved_connection_missing_one_of_its_entries_says_it_could_not_be_read() {
    let setup = set_up().await;
    let process = setup.process();
    setup.connect(&process).await;
    let names = setup.computer.tokens.names();
    let part = names
        .iter()
        .find(|name| name.starts_with("oauth-tokens."))
        .expect("the connection is kept in parts");
    setup.computer.tokens.remove(part);

    let next = setup.process();
    next.connection.start_up().await;

    assert_eq!(next.state(), Connection::Disconnected);
    assert_eq!(
        next.notice().as_deref(),
        Some(messages::SAVED_CONNECTION_UNREADABLE)
    );
    setup.connect(&next).await;
}

#[tokio::test]
async fn a_keyring_that_refuses_writes_keeps_the_connection_for_this_run_with_a_visible_warning() {
    let setup = set_up().await;
    setup
        .computer
        .tokens
        .fail_writes
        .store(true, Ordering::SeqCst);
    let process = setup.process();

    setup.connect(&process).await;

    let warning = process.warning().expect("a visible warning");
    assert!(warning.contains("until the app closes"), "{warning}");
    assert_eq!(
        setup.computer.tokens.names(),
        Vec::<String>::new(),
        "nothing half-stored"
    );
}

#[tokio::test]
async fn a_disconnect_the_keyring_refuses_to_delete_is_not_restored_at_the_next_start() {
    let setup = set_up().await;
    let process = setup.process();
    setup.connect(&process).await;
    setup
        .computer
        .tokens
        .fail_deletes
        .store(true, Ordering::SeqCst);

    process.connection.disconnect().await;

    assert_eq!(process.state(), Connection::Disconnected);
    assert_eq!(
        process.notice().as_deref(),
        Some(messages::DISCONNECTED_KEYRING_KEPT)
    );
    let next = setup.process();
    next.connection.start_up().await;
    assert_eq!(
        next.state(),
        Connection::Disconnected,
        "the disconnected account came back"
    );
}

#[tokio::test]
async fn a_disconnect_whose_tombstone_cannot_be_written_says_the_account_may_come_back() {
    let mut setup = set_up().await;
    let folder = setup.computer.forgotten.parent().unwrap().to_owned();
    std::fs::create_dir_all(&folder).unwrap();
    let not_a_folder = folder.join("not-a-folder");
    std::fs::write(&not_a_folder, b"").unwrap();
    setup.computer.forgotten = not_a_folder.join("forgotten.json");
    let process = setup.process();
    setup.connect(&process).await;
    setup
        .computer
        .tokens
        .fail_deletes
        .store(true, Ordering::SeqCst);

    process.connection.disconnect().await;

    assert_eq!(process.state(), Connection::Disconnected);
    assert_eq!(
        process.notice().as_deref(),
        Some(messages::DISCONNECTED_KEYRING_KEPT_UNRECORDED)
    );
}

#[tokio::test]
async fn disconnect_revokes_forgets_and_drops_the_accounts_data() {
    let setup = set_up().await;
    let process = setup.process();
    setup.connect(&process).await;
    let refresh = setup.saved_refresh_token().unwrap();
    let dropped = process.window.forgotten.load(Ordering::SeqCst);

    process.connection.disconnect().await;

    assert_eq!(process.state(), Connection::Disconnected);
    assert_eq!(setup.computer.saved_tokens(), None);
    assert!(!setup.provider_accepts(&refresh).await);
    assert!(process.window.forgotten.load(Ordering::SeqCst) > dropped);
}

#[tokio::test]
async fn a_dead_grant_while_in_use_shows_the_error_view_and_drops_the_accounts_data() {
    let setup = set_up().await;
    let process = setup.process();
    setup.connect(&process).await;
    let dropped = process.window.forgotten.load(Ordering::SeqCst);

    process
        .connection
        .connection_failed(&OAuthError::ReconnectNeeded)
        .await;

    assert_eq!(
        process.error_message(),
        "Your connection to Test Photos has expired or was withdrawn. Connect again."
    );
    assert!(process.window.forgotten.load(Ordering::SeqCst) > dropped);
}

#[tokio::test]
async fn a_provider_out_of_reach_while_in_use_keeps_the_connection_and_the_saved_photos() {
    let setup = set_up().await;
    let process = setup.process();
    setup.connect(&process).await;
    let dropped = process.window.forgotten.load(Ordering::SeqCst);

    process
        .connection
        .connection_failed(&OAuthError::Network(NetworkFailure::CouldNotConnect))
        .await;

    assert!(
        matches!(process.state(), Connection::Connected { .. }),
        "{:?}",
        process.state()
    );
    assert_eq!(
        process.window.forgotten.load(Ordering::SeqCst),
        dropped,
        "the saved photos were dropped because the network is gone"
    );
}

#[tokio::test]
async fn every_change_reaches_the_window_in_order() {
    let setup = set_up().await;
    let process = setup.process();
    setup.connect(&process).await;

    let shown = process.window.shown.lock().unwrap().clone();
    let revisions: Vec<u64> = shown.iter().map(|s| s.revision).collect();
    assert!(revisions.windows(2).all(|w| w[0] < w[1]), "{revisions:?}");
    let states: Vec<&Connection> = shown.iter().map(|s| &s.connection).collect();
    assert!(states.contains(&&Connection::Waiting));
    assert!(states.contains(&&Connection::Exchanging));
    assert_eq!(shown.last().unwrap(), &process.connection.status());
}

#[tokio::test]
async fn a_callback_that_arrives_while_the_provider_is_down_is_finished_by_try_again() {
    let setup = set_up().await;
    let first = setup.process();
    first.connection.connect().await;
    drop(first);
    let callback = setup.approve().await;
    setup
        .computer
        .provider_unreachable
        .store(true, Ordering::SeqCst);

    let cold = setup.process(); // started by the OS with the link, while the provider is down
    cold.connection.start_up().await;
    cold.connection.finish(&callback).await;
    assert!(cold.retry() == Some(Retry::StartUp));

    setup
        .computer
        .provider_unreachable
        .store(false, Ordering::SeqCst);
    cold.connection.retry().await;

    assert!(
        matches!(cold.state(), Connection::Connected { .. }),
        "{:?}",
        cold.state()
    );
    assert_eq!(setup.visits().len(), 1);
}

#[tokio::test]
async fn forged_links_while_the_provider_is_down_do_not_crowd_out_the_real_callback() {
    let setup = set_up().await;
    let first = setup.process();
    first.connection.connect().await;
    drop(first);
    let callback = setup.approve().await;
    setup
        .computer
        .provider_unreachable
        .store(true, Ordering::SeqCst);
    let cold = setup.process();
    cold.connection.start_up().await;

    for n in 0..DEFERRED_CALLBACKS + 4 {
        let outcome = cold.connection.finish(&forged(&format!("forged{n}"))).await;
        assert_eq!(outcome, CallbackOutcome::Ignored);
        assert_eq!(
            cold.notice().as_deref(),
            Some(messages::LINK_IGNORED_WHILE_WAITING),
            "forged link {n}"
        );
    }
    cold.connection.finish(&callback).await;
    setup
        .computer
        .provider_unreachable
        .store(false, Ordering::SeqCst);
    cold.connection.retry().await;

    assert!(
        matches!(cold.state(), Connection::Connected { .. }),
        "{:?}",
        cold.state()
    );
    assert!(setup.saved_refresh_token().is_some());
}

#[tokio::test]
async fn a_link_while_the_provider_is_down_and_no_sign_in_is_saved_only_shows_a_notice() {
    let setup = set_up().await;
    setup
        .computer
        .provider_unreachable
        .store(true, Ordering::SeqCst);
    let cold = setup.process();
    cold.connection.start_up().await;

    let outcome = cold.connection.finish(&forged("anything")).await;

    assert_eq!(outcome, CallbackOutcome::Ignored);
    assert_eq!(
        cold.notice().as_deref(),
        Some(messages::LINK_IGNORED_NOT_WAITING)
    );
    assert!(cold.retry() == Some(Retry::StartUp));
}

/// Starts a sign-in and cancels it while the keyring refuses to delete the saved sign-in, so
/// that only the record of ended sign-ins keeps it from coming back.
async fn cancel_while_the_keyring_refuses_to_delete_the_sign_in(setup: &Setup, process: &Process) {
    process.connection.connect().await;
    setup
        .computer
        .sign_in
        .fail_deletes
        .store(true, Ordering::SeqCst);
    process.connection.cancel().await;
    assert!(
        setup.computer.saved_sign_in().is_some(),
        "the fake refused the delete"
    );
}

#[tokio::test]
async fn a_cancelled_sign_in_the_keyring_would_not_delete_is_not_put_back_by_its_late_callback() {
    let setup = set_up().await;
    let process = setup.process();
    cancel_while_the_keyring_refuses_to_delete_the_sign_in(&setup, &process).await;
    let late = setup.approve().await;
    process.connection.finish(&late).await;

    assert_eq!(process.state(), Connection::Disconnected);
    assert_eq!(
        process.notice().as_deref(),
        Some(messages::LINK_IGNORED_NOT_WAITING)
    );
    assert!(setup.saved_refresh_token().is_none());
}

#[tokio::test]
async fn a_cancelled_sign_in_the_keyring_would_not_delete_is_not_put_back_after_a_restart() {
    let setup = set_up().await;
    let process = setup.process();
    cancel_while_the_keyring_refuses_to_delete_the_sign_in(&setup, &process).await;
    let late = setup.approve().await;
    drop(process);

    let next = setup.process();
    next.connection.start_up().await;
    assert_eq!(
        next.state(),
        Connection::Disconnected,
        "the ended sign-in came back"
    );
    next.connection.finish(&late).await;

    assert_eq!(next.state(), Connection::Disconnected);
    assert_eq!(
        next.notice().as_deref(),
        Some(messages::LINK_IGNORED_NOT_WAITING)
    );
    assert!(setup.saved_refresh_token().is_none());
}

#[tokio::test]
async fn a_refresh_the_keyring_cannot_save_shows_the_warning_and_a_later_save_drops_it() {
    let setup = set_up().await;
    let process = setup.process();
    setup.connect(&process).await;
    let provider = process.connection.provider().unwrap();
    assert_eq!(process.warning(), None);
    setup
        .computer
        .tokens
        .fail_writes
        .store(true, Ordering::SeqCst);
    // The access token dies at the provider: the next request's 401 makes the session refresh.
    setup.provider.expire_access_tokens().unwrap();

    provider.session.userinfo().await.expect("refreshed");
    process.connection.connection_used();

    let shown = process
        .window
        .shown
        .lock()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    let warning = shown
        .warning
        .expect("the window was told about the keyring");
    assert!(warning.contains("until the app closes"), "{warning}");
    assert_eq!(
        setup.computer.saved_tokens(),
        None,
        "a stale refresh token stayed behind"
    );

    setup
        .computer
        .tokens
        .fail_writes
        .store(false, Ordering::SeqCst);
    setup.provider.expire_access_tokens().unwrap();
    provider.session.userinfo().await.expect("refreshed");
    process.connection.connection_used();

    let shown = process
        .window
        .shown
        .lock()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(
        shown.warning, None,
        "the warning stayed after saving worked again"
    );
    assert!(setup.saved_refresh_token().is_some());
}

#[tokio::test]
async fn a_refused_code_exchange_ends_the_sign_in_with_try_again() {
    let config = demo::Config {
        authorization_code_ttl: Duration::ZERO,
        ..demo::Config::default()
    };
    let setup = set_up_with_provider(SIGN_IN_LIFETIME, config).await;
    let process = setup.process();
    process.connection.connect().await;
    let callback = setup.approve().await;

    process.connection.finish(&callback).await;

    assert_eq!(
        process.error_message(),
        "Test Photos no longer accepts that sign-in (it expired, was used or was withdrawn). Try again."
    );
    assert!(process.retry() == Some(Retry::Connect));
    assert_eq!(setup.computer.saved_sign_in(), None);
    assert!(setup.saved_refresh_token().is_none(), "nothing half-stored");
}

// --- the loopback redirect ---------------------------------------------------------------------

async fn set_up_loopback(port: Option<u16>) -> Setup {
    let mut setup = set_up().await;
    setup.computer.redirect = Redirect::Loopback { port };
    setup
}

impl Setup {
    fn listeners(&self) -> Vec<FakeListenerRecord> {
        self.computer.listeners.lock().unwrap().clone()
    }

    fn last_listener(&self) -> FakeListenerRecord {
        self.listeners()
            .last()
            .cloned()
            .expect("a listener was started")
    }
}

fn redirect_uri_of(url: &Url) -> String {
    url.query_pairs()
        .find(|(name, _)| name == "redirect_uri")
        .map(|(_, value)| value.into_owned())
        .expect("a redirect_uri")
}

#[tokio::test]
async fn a_loopback_provider_listens_sends_its_redirect_uri_and_keeps_nothing_in_the_keyring() {
    let setup = set_up_loopback(None).await;
    let process = setup.process();

    process.connection.connect().await;

    assert_eq!(process.state(), Connection::Waiting);
    let listener = setup.last_listener();
    assert_eq!(listener.asked_port, None);
    assert_eq!(
        redirect_uri_of(&setup.visits()[0]),
        format!("http://127.0.0.1:{}/oauth/callback", listener.port)
    );
    assert_eq!(
        setup.computer.saved_sign_in(),
        None,
        "a loopback sign-in cannot finish in another process"
    );
    assert!(!listener.stopped.load(Ordering::SeqCst));
}

#[tokio::test]
async fn the_listeners_callback_connects_and_stops_the_listener() {
    let setup = set_up_loopback(None).await;
    let process = setup.process();
    process.connection.connect().await;
    let listener = setup.last_listener();

    let callback = setup.approve().await;
    assert!(callback.starts_with(&format!(
        "http://127.0.0.1:{}/oauth/callback?",
        listener.port
    )));
    let outcome = (listener.deliver)(callback).await;

    assert_eq!(outcome, CallbackOutcome::Connected);
    assert!(matches!(process.state(), Connection::Connected { .. }));
    assert!(
        listener.stopped.load(Ordering::SeqCst),
        "the listener still runs"
    );
    assert!(setup.saved_refresh_token().is_some());
}

#[tokio::test]
async fn a_forged_request_to_the_listener_is_ignored_and_the_sign_in_still_completes() {
    let setup = set_up_loopback(None).await;
    let process = setup.process();
    process.connection.connect().await;
    let listener = setup.last_listener();

    let forged = format!(
        "http://127.0.0.1:{}/oauth/callback?code=x&state=forged",
        listener.port
    );
    assert_eq!((listener.deliver)(forged).await, CallbackOutcome::Ignored);
    let scheme_link = forged_scheme_link(&setup);
    process.connection.finish(&scheme_link).await;

    assert_eq!(process.state(), Connection::Waiting);
    assert!(!listener.stopped.load(Ordering::SeqCst));
    let callback = setup.approve().await;
    assert_eq!(
        (listener.deliver)(callback).await,
        CallbackOutcome::Connected
    );
}

/// A callback with the right `state` that arrives by the scheme instead of the loopback port.
fn forged_scheme_link(setup: &Setup) -> String {
    let page = setup.visits().last().cloned().unwrap();
    let state = page
        .query_pairs()
        .find(|(n, _)| n == "state")
        .unwrap()
        .1
        .into_owned();
    forged(&state)
}

#[tokio::test]
async fn a_refusal_through_the_listener_tells_the_browser_why_and_stops_it() {
    let setup = set_up_loopback(None).await;
    let process = setup.process();
    process.connection.connect().await;
    let listener = setup.last_listener();

    let denied = setup.decide(Decision::Deny).await;
    let outcome = (listener.deliver)(denied).await;

    assert_eq!(
        outcome,
        CallbackOutcome::Failed("You declined access at Test Photos.".into())
    );
    assert!(listener.stopped.load(Ordering::SeqCst));
}

#[tokio::test]
async fn cancel_disconnect_and_a_new_connect_stop_the_listener() {
    let setup = set_up_loopback(Some(8765)).await;
    let process = setup.process();

    process.connection.connect().await;
    process.connection.connect().await;
    let [first, second] = setup.listeners().try_into().ok().unwrap();
    assert!(
        second.earlier_stopped,
        "the old listener still ran when the new one started"
    );
    assert_eq!(second.asked_port, Some(8765));
    assert!(first.stopped.load(Ordering::SeqCst));

    process.connection.cancel().await;
    assert!(second.stopped.load(Ordering::SeqCst));
    assert_eq!(process.state(), Connection::Disconnected);

    process.connection.connect().await;
    process.connection.disconnect().await;
    assert!(setup.last_listener().stopped.load(Ordering::SeqCst));
    assert_eq!(process.state(), Connection::Disconnected);
    let late = setup.approve().await;
    assert_eq!(
        process.connection.finish(&late).await,
        CallbackOutcome::Ignored
    );
    assert!(setup.saved_refresh_token().is_none());
}

#[tokio::test]
async fn the_sign_ins_timeout_stops_the_listener() {
    let setup = set_up_loopback(None).await;
    let process = setup.process();
    process.connection.connect().await;
    let listener = setup.last_listener();

    setup.let_time_pass(&process, SIGN_IN_LIFETIME).await;

    assert_eq!(process.error_message(), messages::SIGN_IN_EXPIRED);
    assert!(listener.stopped.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_port_that_cannot_be_listened_on_shows_the_error_view_with_try_again() {
    let setup = set_up_loopback(Some(8765)).await;
    let process = setup.process();
    setup.computer.listen_fails.store(true, Ordering::SeqCst);

    process.connection.connect().await;

    assert!(process.error_message().contains("redirect_port"));
    assert!(process.retry() == Some(Retry::Connect));
    assert!(
        setup.visits().is_empty(),
        "the browser opened without a listener"
    );
    setup.computer.listen_fails.store(false, Ordering::SeqCst);
    process.connection.retry().await;
    assert_eq!(process.state(), Connection::Waiting);
}

async fn set_up_requiring_par(config: demo::Config) -> Setup {
    set_up_with_provider(
        SIGN_IN_LIFETIME,
        demo::Config {
            require_par: true,
            ..config
        },
    )
    .await
}

#[tokio::test]
async fn with_pushing_required_the_browser_gets_only_a_request_uri_and_the_callback_connects() {
    let setup = set_up_requiring_par(demo::Config::default()).await;
    let process = setup.process();
    process.connection.start_up().await;
    process.connection.connect().await;

    assert_eq!(process.state(), Connection::Waiting);
    let names: Vec<String> = setup.visits()[0]
        .query_pairs()
        .map(|(name, _)| name.into_owned())
        .collect();
    assert_eq!(names, ["client_id", "request_uri"]);
    let callback = setup.approve().await;
    process.connection.finish(&callback).await;
    assert!(
        matches!(process.state(), Connection::Connected { .. }),
        "{:?}",
        process.state()
    );
    assert_eq!(setup.provider.stats().pushed_authorization_requests, 1);
}

#[tokio::test]
async fn a_pushed_sign_in_is_finished_by_a_new_process() {
    let setup = set_up_requiring_par(demo::Config::default()).await;
    let first = setup.process();
    first.connection.connect().await;
    drop(first);

    let callback = setup.approve().await;
    let second = setup.process();
    let start_up = second.connection.clone();
    let finish = second.connection.clone();
    tokio::join!(start_up.start_up(), finish.finish(&callback));
    assert!(
        matches!(second.state(), Connection::Connected { .. }),
        "{:?}",
        second.state()
    );
    assert_eq!(setup.provider.stats().pushed_authorization_requests, 1);
}

#[tokio::test]
async fn the_link_of_an_expired_pushed_request_is_refused_and_connect_pushes_again() {
    let setup = set_up_requiring_par(demo::Config {
        par_request_lifetime: Duration::ZERO,
        ..demo::Config::default()
    })
    .await;
    let process = setup.process();
    process.connection.start_up().await;
    process.connection.connect().await;
    let error = process.connection.open_browser_again().unwrap_err();
    assert_eq!(
        process.connection.explain(&error),
        "That sign-in expired. Try again."
    );
    assert_eq!(
        setup.visits().len(),
        1,
        "the dead link was not opened again"
    );
    process.connection.connect().await;
    assert_eq!(setup.provider.stats().pushed_authorization_requests, 2);
    assert_eq!(setup.visits().len(), 2);
}

#[tokio::test]
async fn without_userinfo_the_account_comes_from_the_verified_id_token() {
    let mut setup = set_up().await;
    setup.computer.openid_without_userinfo = true;
    let process = setup.process();
    process.connection.start_up().await;
    setup.connect(&process).await;
    let Connection::Connected { account, email, .. } = process.state() else {
        panic!("{:?}", process.state());
    };
    assert_eq!(account, "Alex Rivera");
    assert_eq!(email.as_deref(), Some("alex@demo.photos"));
    let stats = setup.provider.stats();
    assert_eq!((stats.userinfo_requests, stats.id_tokens_issued), (0, 1));
}

#[tokio::test]
async fn userinfo_about_another_account_is_ignored_for_the_verified_id_tokens_account() {
    let mut setup = set_up().await;
    setup.computer.openid = true;
    setup
        .provider
        .set_faults([demo::Fault::UserinfoOtherSubject.until_cleared()])
        .unwrap();
    let process = setup.process();
    process.connection.start_up().await;
    setup.connect(&process).await;
    let Connection::Connected { account, email, .. } = process.state() else {
        panic!("{:?}", process.state());
    };
    assert_eq!(account, "Alex Rivera");
    assert_eq!(email.as_deref(), Some("alex@demo.photos"));
    let stats = setup.provider.stats();
    assert_eq!(stats.faults_served.get("userinfo_other_subject"), Some(&1));
}

#[tokio::test]
async fn a_dead_grant_reported_while_a_new_sign_in_waits_leaves_the_sign_in_waiting() {
    let setup = set_up_loopback(None).await;
    let process = setup.process();
    setup.connect(&process).await;
    // The person connects again while a photo request with the old grant is still out.
    process.connection.connect().await;
    let listener = setup.last_listener();

    process
        .connection
        .connection_failed(&OAuthError::ReconnectNeeded)
        .await;

    assert_eq!(process.state(), Connection::Waiting);
    assert!(
        !listener.stopped.load(Ordering::SeqCst),
        "the sign-in's listener was stopped"
    );
    let callback = setup.approve().await;
    assert_eq!(
        (listener.deliver)(callback).await,
        CallbackOutcome::Connected
    );
}

// --- the table of the module docs ---------------------------------------------------------------

/// Where a row starts. A process that is not started yet is "process start".
#[derive(Clone, Copy, Debug, PartialEq)]
enum Before {
    ProcessStart,
    /// An earlier process connected.
    ProcessStartWithAccount,
    /// An earlier process started a sign-in and closed.
    ProcessStartWithSignIn,
    /// As `ProcessStartWithSignIn`, with a sign-in that has expired.
    ProcessStartWithExpiredSignIn,
    ProcessStartProviderDown,
    Disconnected,
    /// Disconnected, and another process then started a sign-in and closed.
    DisconnectedWithAnotherProcesssSignIn,
    /// Disconnected, with a loopback port that cannot be listened on.
    DisconnectedPortTaken,
    Connected,
    /// Run once with the scheme redirect (the keyring entry is checked) and once with a
    /// loopback listener (the listener is checked).
    Waiting,
    /// Start-up failed while the keyring held a sign-in an earlier process started.
    FailedStartUpWithSignIn,
    /// Start-up failed with nothing saved; the provider is back for "Try again".
    FailedStartUp,
    /// The sign-in was refused.
    FailedConnect,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    StartUp,
    Connect,
    ItsCallback,
    ItsCallbackRefused,
    ForgedCallback,
    Cancel,
    LifetimeEnds,
    Disconnect,
    DeadGrant,
    TryAgain,
}

/// What the window shows after the step.
#[derive(Clone, Debug, PartialEq)]
enum Shown {
    Disconnected,
    Waiting,
    Connected,
    Failed(Retry),
}

/// One row: from, step, to, and what ended or started (`None`: not checked in this row).
struct Row {
    number: usize,
    before: Before,
    step: Step,
    after: Shown,
    /// Whether the sign-in's loopback listener was stopped (with the loopback redirect).
    listener_stopped: Option<bool>,
    /// Whether the keyring holds a sign-in afterwards (with the scheme redirect).
    sign_in_saved: Option<bool>,
    notice: bool,
    browser_opened: bool,
}

const fn row(number: usize, before: Before, step: Step, after: Shown) -> Row {
    Row {
        number,
        before,
        step,
        after,
        listener_stopped: None,
        sign_in_saved: None,
        notice: false,
        browser_opened: false,
    }
}

impl Row {
    const fn ends_sign_in(self) -> Self {
        Self {
            listener_stopped: Some(true),
            sign_in_saved: Some(false),
            ..self
        }
    }

    const fn keeps_sign_in(self) -> Self {
        Self {
            listener_stopped: Some(false),
            sign_in_saved: Some(true),
            ..self
        }
    }

    const fn saved(self, saved: bool) -> Self {
        Self {
            sign_in_saved: Some(saved),
            ..self
        }
    }

    const fn notice(self) -> Self {
        Self {
            notice: true,
            ..self
        }
    }

    const fn opens_browser(self) -> Self {
        Self {
            browser_opened: true,
            ..self
        }
    }
}

/// The module docs' table, row by row.
fn table() -> Vec<Row> {
    use Before as B;
    use Shown as S;
    use Step as T;
    vec![
        row(1, B::ProcessStart, T::StartUp, S::Disconnected).saved(false),
        row(2, B::ProcessStartWithAccount, T::StartUp, S::Connected),
        row(3, B::ProcessStartWithSignIn, T::StartUp, S::Waiting).saved(true),
        row(
            4,
            B::ProcessStartWithExpiredSignIn,
            T::StartUp,
            S::Disconnected,
        )
        .saved(false),
        row(
            5,
            B::ProcessStartProviderDown,
            T::StartUp,
            S::Failed(Retry::StartUp),
        ),
        row(6, B::Disconnected, T::Connect, S::Waiting)
            .saved(true)
            .opens_browser(),
        row(7, B::Disconnected, T::Connect, S::Waiting).opens_browser(),
        row(
            8,
            B::DisconnectedPortTaken,
            T::Connect,
            S::Failed(Retry::Connect),
        ),
        row(9, B::Connected, T::Connect, S::Waiting).opens_browser(),
        row(10, B::Waiting, T::Connect, S::Waiting)
            .saved(true)
            .opens_browser(),
        row(11, B::Waiting, T::ItsCallback, S::Connected).ends_sign_in(),
        row(
            12,
            B::Waiting,
            T::ItsCallbackRefused,
            S::Failed(Retry::Connect),
        )
        .ends_sign_in(),
        row(13, B::Waiting, T::ForgedCallback, S::Waiting)
            .keeps_sign_in()
            .notice(),
        row(14, B::Waiting, T::Cancel, S::Disconnected).ends_sign_in(),
        row(15, B::Waiting, T::LifetimeEnds, S::Failed(Retry::Connect)).ends_sign_in(),
        row(16, B::Waiting, T::Disconnect, S::Disconnected).ends_sign_in(),
        row(17, B::Waiting, T::DeadGrant, S::Waiting).keeps_sign_in(),
        row(18, B::Connected, T::DeadGrant, S::Failed(Retry::Connect)),
        row(19, B::Connected, T::Disconnect, S::Disconnected),
        row(
            20,
            B::DisconnectedWithAnotherProcesssSignIn,
            T::ItsCallback,
            S::Connected,
        )
        .saved(false),
        row(21, B::Disconnected, T::ForgedCallback, S::Disconnected).notice(),
        row(
            22,
            B::FailedStartUpWithSignIn,
            T::ItsCallback,
            S::Failed(Retry::StartUp),
        )
        .saved(true),
        row(
            23,
            B::FailedStartUpWithSignIn,
            T::ForgedCallback,
            S::Failed(Retry::StartUp),
        )
        .saved(true)
        .notice(),
        row(24, B::FailedStartUp, T::TryAgain, S::Disconnected),
        row(25, B::FailedConnect, T::TryAgain, S::Waiting).opens_browser(),
    ]
}

/// Brings a new process to `before`, with `redirect` for the sign-ins it starts.
async fn arrive(before: Before, redirect: Redirect) -> (Setup, Process) {
    let lifetime = match before {
        Before::ProcessStartWithExpiredSignIn => Duration::ZERO,
        _ => SIGN_IN_LIFETIME,
    };
    let mut setup = set_up_with(lifetime).await;
    setup.computer.redirect = redirect;
    let earlier = setup.process();
    match before {
        Before::ProcessStartWithAccount => setup.connect(&earlier).await,
        Before::ProcessStartWithSignIn
        | Before::ProcessStartWithExpiredSignIn
        | Before::FailedStartUpWithSignIn => earlier.connection.connect().await,
        _ => {}
    }
    drop(earlier); // closed before its expiry could run
    let process = setup.process();
    let unreachable = &setup.computer.provider_unreachable;
    match before {
        Before::ProcessStart
        | Before::ProcessStartWithAccount
        | Before::ProcessStartWithSignIn
        | Before::ProcessStartWithExpiredSignIn => {}
        Before::ProcessStartProviderDown => unreachable.store(true, Ordering::SeqCst),
        Before::Disconnected => process.connection.start_up().await,
        Before::DisconnectedWithAnotherProcesssSignIn => {
            process.connection.start_up().await;
            let another = setup.process();
            another.connection.connect().await;
        }
        Before::DisconnectedPortTaken => {
            setup.computer.redirect = Redirect::Loopback { port: Some(8765) };
            let process = setup.process();
            process.connection.start_up().await;
            setup.computer.listen_fails.store(true, Ordering::SeqCst);
            return (setup, process);
        }
        Before::Connected => setup.connect(&process).await,
        Before::Waiting => process.connection.connect().await,
        Before::FailedStartUpWithSignIn | Before::FailedStartUp => {
            unreachable.store(true, Ordering::SeqCst);
            process.connection.start_up().await;
            if before == Before::FailedStartUp {
                unreachable.store(false, Ordering::SeqCst);
            }
        }
        Before::FailedConnect => {
            process.connection.connect().await;
            let denied = setup.decide(Decision::Deny).await;
            process.connection.finish(&denied).await;
        }
    }
    (setup, process)
}

async fn take(step: Step, setup: &Setup, process: &Process) {
    let connection = &process.connection;
    match step {
        Step::StartUp => connection.start_up().await,
        Step::Connect => connection.connect().await,
        Step::ItsCallback => {
            let callback = setup.approve().await;
            connection.finish(&callback).await;
        }
        Step::ItsCallbackRefused => {
            let denied = setup.decide(Decision::Deny).await;
            connection.finish(&denied).await;
        }
        Step::ForgedCallback => {
            connection.finish(&forged("forged")).await;
        }
        Step::Cancel => connection.cancel().await,
        Step::LifetimeEnds => setup.let_time_pass(process, SIGN_IN_LIFETIME).await,
        Step::Disconnect => connection.disconnect().await,
        Step::DeadGrant => {
            connection
                .connection_failed(&OAuthError::ReconnectNeeded)
                .await
        }
        Step::TryAgain => connection.retry().await,
    }
}

fn shown(process: &Process) -> Shown {
    match process.state() {
        Connection::Disconnected => Shown::Disconnected,
        Connection::Waiting => Shown::Waiting,
        Connection::Connected { .. } => Shown::Connected,
        Connection::Error { .. } => Shown::Failed(process.retry().expect("a failure")),
        Connection::Exchanging => panic!("a step ended while exchanging"),
    }
}

#[tokio::test]
async fn every_transition_of_the_table() {
    for row in table() {
        let loopback = row.number == 7 || row.before == Before::Waiting;
        let redirects: &[Redirect] = match (row.number, loopback) {
            (7, _) => &[Redirect::Loopback { port: None }],
            (_, true) => &[Redirect::Scheme, Redirect::Loopback { port: None }],
            (_, false) => &[Redirect::Scheme],
        };
        for &redirect in redirects {
            let what = format!("row {} ({:?}, {redirect:?})", row.number, row.step);
            let (setup, process) = arrive(row.before, redirect).await;
            let visits = setup.visits().len();
            let listeners = setup.listeners().len();

            take(row.step, &setup, &process).await;
            settle(&process).await;

            assert_eq!(shown(&process), row.after, "{what}");
            assert_eq!(process.notice().is_some(), row.notice, "{what}");
            assert_eq!(
                setup.visits().len() > visits,
                row.browser_opened,
                "{what}: the browser"
            );
            match redirect {
                Redirect::Scheme => {
                    if let Some(saved) = row.sign_in_saved {
                        let kept = setup.computer.saved_sign_in().is_some();
                        assert_eq!(kept, saved, "{what}: the keyring's sign-in");
                    }
                }
                Redirect::Loopback { .. } => {
                    assert_eq!(
                        setup.computer.saved_sign_in(),
                        None,
                        "{what}: a loopback sign-in was saved"
                    );
                    let started = setup.listeners();
                    if let Some(stopped) = row.listener_stopped {
                        let first = &started[listeners - 1];
                        assert_eq!(
                            first.stopped.load(Ordering::SeqCst),
                            stopped,
                            "{what}: the listener"
                        );
                    }
                    if row.after == Shown::Waiting {
                        let last = started.last().expect("a listener");
                        assert!(!last.stopped.load(Ordering::SeqCst), "{what}");
                        assert!(last.earlier_stopped, "{what}: an old listener still ran");
                    }
                }
            }
        }
    }
}

mod accounts;
