//! The connection state machine: starting up, connecting, finishing a sign-in from its
//! callback, cancelling, expiring, disconnecting. Every change of the connection goes through
//! [`AccountConnection`], which knows nothing of Tauri: the window, the OS and the clock sit
//! behind the [`Window`] and [`Os`] traits, so every transition is unit-tested with fakes.
//!
//! # States
//!
//! Each row is a row of the test `every_transition_of_the_table`, in this order. "Ends" is
//! what the step stops or deletes; a waiting sign-in's listener, expiry and keyring entry end
//! whenever it does, whatever the step.
//!
//! | # | From | Step | To | Ends, starts |
//! | --- | --- | --- | --- | --- |
//! | 1 | (process start) | start-up, nothing saved | Disconnected | |
//! | 2 | (process start) | start-up, an account saved | Connected | no browser |
//! | 3 | (process start) | start-up, a sign-in an earlier process saved | Waiting | its expiry starts again; no browser |
//! | 4 | (process start) | start-up, a saved sign-in that has expired | Disconnected | its entry deleted; the sign-in kept in memory only, so that its late callback says it expired |
//! | 5 | (process start) | start-up, the provider cannot be set up | Failed { retry: StartUp } | |
//! | 6 | Disconnected, Failed | connect | Waiting | the sign-in saved in the keyring, its expiry started, the browser opened |
//! | 7 | Disconnected, Failed | connect, provider with `redirect = "loopback"` | Waiting | a loopback listener started first; nothing saved (the listener dies with the process) |
//! | 8 | Disconnected, Failed | connect, the port cannot be listened on | Failed { retry: Connect } | no browser |
//! | 9 | Connected | connect | Waiting | the grant revoked and forgotten first |
//! | 10 | Waiting | connect | Disconnected, then Waiting (a new sign-in) | the old sign-in ends as with cancel before the new one listens or is saved |
//! | 11 | Waiting | its callback | Exchanging, then Connected | listener and expiry at once; the entry once Connected is shown |
//! | 12 | Waiting | its callback, refused (or the exchange fails) | Failed { retry: Connect } | listener, expiry, entry |
//! | 13 | Waiting | a callback the core ignores (forged, superseded) | Waiting, with a notice | nothing |
//! | 14 | Waiting | cancel | Disconnected | listener, expiry, entry |
//! | 15 | Waiting | its lifetime ends | Failed { retry: Connect } ("That sign-in expired. Try again.") | listener, entry |
//! | 16 | Waiting | disconnect | Disconnected | listener, expiry, entry |
//! | 17 | Waiting, Exchanging, Disconnected, Failed | the app reports a dead grant | unchanged | nothing: the report is about a grant that is gone already |
//! | 18 | Connected | the app reports a dead grant | Failed { retry: Connect } | the account's data dropped |
//! | 19 | Connected | disconnect | Disconnected | the grant revoked, its tokens deleted (a keyring or revocation failure is a notice) |
//! | 20 | Disconnected, Connected, Failed | a callback, the keyring holds a sign-in another process saved | Waiting, then as 11 | |
//! | 21 | Disconnected, Connected, Failed | a callback, no sign-in saved (or one that ended here and the keyring would not delete) | unchanged, with a notice | |
//! | 22 | Failed { retry: StartUp } | the callback of the sign-in the keyring holds | unchanged | the callback kept, and handled by the start-up "Try again" runs |
//! | 23 | Failed { retry: StartUp } | any other callback | unchanged, with a notice | |
//! | 24 | Failed { retry: StartUp } | try again | as start-up | |
//! | 25 | Failed { retry: Connect } | try again | as connect | |
//!
//! Exchanging lasts one step: no other step runs meanwhile, and a dead grant reported then
//! waits for it (row 17).
//!
//! # Simple by construction
//!
//! The [`Phase`] is the only record of where the connection stands, and it owns what each
//! phase needs: a waiting sign-in ([`WaitingSignIn`]) owns its secrets (the core's
//! [`PendingAuthorization`], single-use and never copied), its loopback listener, its expiry
//! and its keyring entry. Leaving Waiting drops them, so the listener stops and the expiry is
//! called off without a call anyone must remember. Deleting the keyring entry is keyring
//! work, which no drop may do: [`AccountConnection::go`], the one function that changes the
//! phase, deletes it. A process that exits while a sign-in waits leaves its entry on purpose,
//! so that the app started cold with the callback can finish the sign-in.
//!
//! The account's state ([`Account`]: the phase and what outlasts a phase) sits behind one
//! async lock. Each step holds it from start to end, so steps run one at a time (a callback
//! handled at a cold start waits for start-up), and only a step can reach `go`. That includes
//! the app's reports ([`AccountConnection::connection_failed`]), which change the phase only
//! from Connected. The window reads a copy of what it was last shown, so reading the status
//! never waits for a step.
//!
//! Whether a callback was for the sign-in in progress ("ignored" or "failed") is the core's
//! answer, not inferred here. A loopback listener ([`crate::loopback`]) hands its callbacks to
//! [`AccountConnection::finish`] like deep links.
//!
//! Time comes from [`Os::now`] and [`Os::sleep_until`]: the tests move a clock instead of
//! waiting.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::SystemTime;

use photolink_oauth::{
    AuthorizationResponse, CallbackError, Error as OAuthError, PendingAuthorization, Persistence,
    SessionStatus,
};
use tokio::task::AbortHandle;
use url::Url;

use crate::config::Redirect;
use crate::error::{BrowserNotOpened, Error};
use crate::loopback::{self, CallbackOutcome, Deliver, RedirectListener};
use crate::messages;
use crate::provider::Provider;
use crate::status::{Connection, Notice, ProviderSummary, Status, Tone};
use crate::store::{
    Forgotten, ForgottenEntries, KeyringError, KeyringTokenStore, OpenProblem, SecretEntry,
    SignInStore,
};
use photolink_oauth::sync::{blocking, lock};

/// The window: where the status goes.
pub trait Window: Send + Sync + 'static {
    /// Shows a new status; called in the order the changes happen.
    fn show(&self, status: &Status);
    /// The connected account changed or went away: drop whatever of it is shown or cached.
    fn forget_account_data(&self);
}

/// The operating system and the outside world the connection depends on.
pub trait Os: Send + Sync + 'static {
    /// Opens `url` in the system browser.
    fn open_browser(&self, url: &Url) -> Result<(), BrowserNotOpened>;
    /// Reads the settings and sets the provider up (may start the embedded one, discover the
    /// server's endpoints, read the keyring).
    fn set_up_provider(&self) -> impl Future<Output = Result<Provider, Error>> + Send;
    /// Where the sign-in in progress is kept while it lasts.
    fn sign_ins(&self) -> Arc<SignInStore>;
    /// The account's saved connection in the keyring and the tombstones that cover it, as
    /// deleting it needs them when its provider cannot be set up (only the entries' names);
    /// `None` when the platform has no data folder (nothing is saved then).
    fn saved_connection(&self) -> Option<(Box<dyn SecretEntry>, ForgottenEntries)>;
    /// A running loopback listener.
    type Listener: RedirectListener;
    /// Listens on `127.0.0.1` (on `port`, or a free one) for the browser's redirect, handing
    /// each callback to `deliver`, until the listener is dropped.
    fn listen_for_redirect(
        &self,
        port: Option<u16>,
        deliver: Deliver,
    ) -> impl Future<Output = std::io::Result<Self::Listener>> + Send;
    /// The time on the system clock, which sign-ins expire by.
    fn now(&self) -> SystemTime;
    /// Waits until the system clock reaches `deadline`.
    fn sleep_until(&self, deadline: SystemTime) -> impl Future<Output = ()> + Send + 'static;
}

/// How many callbacks are kept while start-up cannot finish (the provider is unreachable).
const DEFERRED_CALLBACKS: usize = 4;

/// Where the connection stands, with what each phase owns: the one record of it. Only
/// [`AccountConnection::go`] changes it.
enum Phase<L> {
    Disconnected,
    /// The sign-in page is open in the browser.
    Waiting(Box<WaitingSignIn<L>>),
    /// The code is being exchanged for tokens. Holds the keyring entry of the sign-in it ended
    /// (moved in by [`AccountConnection::go`]), deleted once the outcome is shown.
    Exchanging(Option<SavedSignInEntry>),
    Connected {
        account: String,
        email: Option<String>,
        scopes: Vec<String>,
        /// The account's `sub` at the provider, when userinfo or the ID token gave it: the
        /// same issuer and subject twice is the same account linked twice.
        subject: Option<String>,
    },
    Failed {
        message: String,
        retry: Retry,
    },
}

/// A sign-in waiting for its callback, with everything that lasts exactly as long as it does.
/// Leaving [`Phase::Waiting`] drops it: its secrets are forgotten, its listener stops and its
/// expiry is called off; [`AccountConnection::go`] deletes its keyring entry.
struct WaitingSignIn<L> {
    /// Tells one sign-in from the next, so that an expiry only ever ends its own.
    number: u64,
    /// The page the browser was sent to.
    authorize_url: Url,
    /// Its secrets (`state`, PKCE verifier), kept by the core's rules: single use, no copies.
    secrets: PendingAuthorization,
    /// The loopback listener, when the provider redirects to one; held to be dropped.
    _listener: Option<L>,
    /// Ends the sign-in when its lifetime is over; held to be dropped.
    _expiry: Expiry,
    /// Its copy in the keyring, for a later process to finish it.
    saved: SavedSignInEntry,
}

impl<L> WaitingSignIn<L> {
    /// Ends the sign-in: all it owns is dropped but its keyring entry, which is keyring work
    /// for the caller to do off the async threads.
    fn end(self) -> SavedSignInEntry {
        self.saved
    }
}

/// The keyring entry that keeps a sign-in in progress for a later process (the app
/// started cold with its callback). Deleting it is keyring work, so dropping it does nothing:
/// [`AccountConnection::go`] deletes it when its sign-in ends. A process that exits while a
/// sign-in waits leaves it on purpose, for the next process to finish that sign-in.
struct SavedSignInEntry(Arc<SignInStore>);

impl SavedSignInEntry {
    async fn delete(self) -> Result<(), KeyringError> {
        let Self(sign_ins) = self;
        blocking(move || sign_ins.delete()).await
    }
}

/// The timer that ends a waiting sign-in when its lifetime is over; dropping it calls it off,
/// unless it is the timer itself that is ending the sign-in.
struct Expiry(AbortHandle);

impl Drop for Expiry {
    fn drop(&mut self) {
        if tokio::task::try_id() != Some(self.0.id()) {
            self.0.abort();
        }
    }
}

/// What "Try again" does after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Set the provider up and restore the saved connection again (no browser).
    StartUp,
    /// Start a new sign-in.
    Connect,
    /// Nothing helps without changing something first (e.g. the settings file).
    Nothing,
}

impl<L> Phase<L> {
    fn connection(&self) -> Connection {
        match self {
            Self::Disconnected => Connection::Disconnected,
            Self::Waiting(_) => Connection::Waiting,
            Self::Exchanging(_) => Connection::Exchanging,
            Self::Connected {
                account,
                email,
                scopes,
                subject: _,
            } => Connection::Connected {
                account: account.clone(),
                email: email.clone(),
                scopes: scopes.clone(),
            },
            Self::Failed { message, retry } => Connection::Error {
                message: message.clone(),
                retryable: *retry != Retry::Nothing,
            },
        }
    }

    fn waiting_link(&self) -> Option<WaitingLink> {
        match self {
            Self::Waiting(sign_in) => Some(WaitingLink {
                url: sign_in.authorize_url.clone(),
                expires_at: sign_in.secrets.authorize_url_expires_at(),
            }),
            _ => None,
        }
    }
}

/// The sign-in page while a sign-in waits, for "Open again" and "Copy link".
#[derive(Clone)]
struct WaitingLink {
    url: Url,
    /// When the address stops working (a pushed request's `request_uri`).
    expires_at: Option<SystemTime>,
}

/// The connection of one account: its phase, and what outlasts a phase. Held by the step that
/// runs (steps run one at a time); its phase changes only through [`AccountConnection::go`].
struct Account<L> {
    phase: Phase<L>,
    /// How many sign-ins this process started or restored; numbers the next.
    sign_ins_started: u64,
    /// The keyring refused to delete a sign-in that ended here: it must not be put back.
    ended_sign_in_kept: bool,
    /// A sign-in an earlier process started that had expired when this one read it: kept in
    /// memory only, so that its late callback says it expired. A new sign-in replaces it.
    expired_sign_in: Option<PendingAuthorization>,
    /// Callbacks for the saved sign-in that arrived while start-up could not finish; handled
    /// once it does.
    deferred_callbacks: Vec<String>,
}

/// What the window was last shown: a copy of the phase, readable without waiting for a step.
struct View {
    revision: u64,
    connection: Connection,
    waiting_link: Option<WaitingLink>,
    provider: Option<ProviderSummary>,
    notice: Option<Notice>,
    notices_shown: u64,
    /// The keyring warning as last shown.
    warning_shown: Option<String>,
}

impl View {
    /// The status, with the warning that holds right now.
    fn status(&self, warning: Option<String>) -> Status {
        Status {
            revision: self.revision,
            connection: self.connection.clone(),
            provider: self.provider.clone(),
            notice: self.notice.clone(),
            warning,
            accounts: Vec::new(),
            providers: Vec::new(),
        }
    }
}

/// The account connection of this process. Share it as `Arc<AccountConnection<_, _>>`.
pub struct AccountConnection<W: Window, O: Os> {
    window: W,
    os: O,
    /// The provider once set up.
    provider: OnceLock<Arc<Provider>>,
    /// The account's connection. Held by the step that runs: steps run one at a time.
    account: tokio::sync::Mutex<Account<O::Listener>>,
    /// What the window was last shown.
    view: Mutex<View>,
}

/// The account, held by the step that runs.
type HeldAccount<'a, O> = tokio::sync::MutexGuard<'a, Account<<O as Os>::Listener>>;

impl<W: Window, O: Os> AccountConnection<W, O> {
    pub fn new(window: W, os: O) -> Arc<Self> {
        Arc::new(Self {
            window,
            os,
            provider: OnceLock::new(),
            account: tokio::sync::Mutex::new(Account {
                phase: Phase::Disconnected,
                sign_ins_started: 0,
                ended_sign_in_kept: false,
                expired_sign_in: None,
                deferred_callbacks: Vec::new(),
            }),
            view: Mutex::new(View {
                revision: 0,
                connection: Connection::Disconnected,
                waiting_link: None,
                provider: None,
                notice: None,
                notices_shown: 0,
                warning_shown: None,
            }),
        })
    }

    /// The current status (the window pulls it on load).
    pub fn status(&self) -> Status {
        self.view().status(self.storage_warning())
    }

    /// The provider if it is set up already (never waits).
    pub fn provider(&self) -> Option<Arc<Provider>> {
        self.provider.get().cloned()
    }

    /// The issuer and subject of the connected account, when known: who this account is at
    /// its provider. Waits for the step that runs.
    pub async fn linked_subject(&self) -> Option<(String, String)> {
        let account = self.step().await;
        match (&account.phase, self.provider.get()) {
            (
                Phase::Connected {
                    subject: Some(subject),
                    ..
                },
                Some(provider),
            ) => Some((
                provider.session.client().metadata().issuer.clone(),
                subject.clone(),
            )),
            _ => None,
        }
    }

    /// Whether the keyring holds a sign-in of this account that `callback_url` is addressed to
    /// (its `state`): the account a link belongs to when no sign-in waits here yet (a cold
    /// start with the link).
    pub async fn keeps_sign_in_for(&self, callback_url: &str) -> bool {
        let sign_ins = self.os.sign_ins();
        let callback_url = callback_url.to_owned();
        blocking(move || {
            matches!(sign_ins.load(), Ok(Some((_, saved))) if saved.is_addressed_by(&callback_url))
        })
        .await
    }

    /// Says which provider the app will connect to, before it is set up.
    pub fn announce(&self, provider: ProviderSummary) {
        self.update(|view| view.provider = Some(provider));
    }

    /// Waits for the step that runs, if any, and holds the account for the next one.
    async fn step(&self) -> HeldAccount<'_, O> {
        self.account.lock().await
    }

    /// At start-up: sets the provider up and restores the saved connection and any sign-in in
    /// progress, without the browser.
    /// Callbacks that arrived while start-up failed are handled once it succeeds.
    pub async fn start_up(self: &Arc<Self>) {
        let mut account = self.step().await;
        let Some(provider) = self.ready(&mut account).await else {
            return;
        };
        let deferred = std::mem::take(&mut account.deferred_callbacks);
        for callback_url in deferred {
            self.handle_callback(&mut account, &provider, &callback_url)
                .await;
        }
    }

    /// "Try again" in the error view: runs the step that failed again.
    pub async fn retry(self: &Arc<Self>) {
        let retry = match &self.step().await.phase {
            Phase::Failed { retry, .. } => *retry,
            _ => return,
        };
        match retry {
            Retry::StartUp => self.start_up().await,
            Retry::Connect => self.connect().await,
            Retry::Nothing => {}
        }
    }

    /// Starts a sign-in and opens its page in the browser. A sign-in in progress ends first,
    /// as with Cancel; a connected account is disconnected first (its grant revoked), so that
    /// no grant is left behind.
    pub async fn connect(self: &Arc<Self>) {
        let mut account = self.step().await;
        self.clear_notice();
        let Some(provider) = self.ready(&mut account).await else {
            return;
        };
        if matches!(account.phase, Phase::Waiting(_)) {
            // Before listening again: a fixed port must be free for the new listener. And the
            // keyring keeps one sign-in: the old one's entry goes before the new one is saved.
            self.go(&mut account, Phase::Disconnected).await;
        }
        let mut warning = None;
        if provider.session.status() == SessionStatus::Connected {
            tracing::info!("connecting again: revoking the current grant first");
            warning = self.forget_account(&provider).await;
        }
        let secrets = PendingAuthorization::new();
        let client = provider.session.client();
        let (begun, listener) = match provider.redirect {
            Redirect::Scheme => (secrets.start(client).await, None),
            Redirect::Loopback { port } => match self.listen(port).await {
                Ok(listener) => {
                    let redirect_uri = loopback::redirect_uri(listener.port());
                    let begun = secrets.start_with_redirect_uri(client, &redirect_uri).await;
                    (begun, Some(listener))
                }
                Err(error) => {
                    let error = Error::RedirectListener(error);
                    return self
                        .fail(&mut account, &provider, error, Retry::Connect)
                        .await;
                }
            },
        };
        let authorize_url = match begun {
            Ok(url) => url,
            Err(error) => {
                drop(listener);
                let error = Error::OAuth(error);
                return self
                    .fail(&mut account, &provider, error, Retry::Connect)
                    .await;
            }
        };
        if listener.is_some() {
            // Only this process's listener can receive the callback: nothing to finish in a
            // later process, and an older saved sign-in must not come back.
            self.delete_saved_sign_in(&mut account, self.saved_sign_in_entry())
                .await;
        } else if let Some(saved) = secrets.saved() {
            let sign_ins = self.os.sign_ins();
            let url = authorize_url.clone();
            match blocking(move || sign_ins.save(&url, saved)).await {
                Ok(()) => account.ended_sign_in_kept = false,
                Err(error) => tracing::warn!(
                    %error,
                    "could not keep the sign-in in the keyring; it ends with this run"
                ),
            }
        }
        let sign_in = self.waiting(&mut account, secrets, authorize_url.clone(), listener);
        self.go(&mut account, Phase::Waiting(sign_in)).await;
        if let Some(warning) = warning {
            self.notify(Tone::Warning, warning);
        }
        self.open_in_browser(&authorize_url);
    }

    /// The sign-in page's address, while waiting for the browser. It holds no secret: `state`
    /// and the PKCE challenge are useless without the verifier, which never leaves the backend;
    /// a pushed request's `request_uri` works once, for a short time. Once that time is over
    /// the address is refused as expired: Connect pushes a new request.
    pub fn waiting_url(&self) -> Result<Url, Error> {
        match &self.view().waiting_link {
            Some(link) if link.expires_at.is_some_and(|at| at <= self.os.now()) => {
                Err(Error::OAuth(OAuthError::AuthorizationExpired))
            }
            Some(link) => Ok(link.url.clone()),
            None => Err(Error::NotWaiting),
        }
    }

    /// Opens the sign-in page again.
    pub fn open_browser_again(&self) -> Result<(), Error> {
        let url = self.waiting_url()?;
        self.open_in_browser(&url);
        Ok(())
    }

    /// Gives up the sign-in in progress; a callback for it arriving later is ignored.
    pub async fn cancel(self: &Arc<Self>) {
        let mut account = self.step().await;
        if matches!(account.phase, Phase::Waiting(_)) {
            self.go(&mut account, Phase::Disconnected).await;
        }
    }

    /// Finishes the sign-in with the callback URL the OS handed over. A URL that is not for the
    /// sign-in in progress only produces a notice and leaves that sign-in waiting.
    ///
    /// When the provider cannot be set up (start-up failed), the callback of the sign-in the
    /// keyring holds is kept and handled by the start-up that "Try again" runs; any other link
    /// only produces a notice.
    ///
    /// Answers what came of the callback, for the loopback listener's page. A kept callback
    /// answers [`CallbackOutcome::Ignored`]: no loopback listener runs before start-up succeeds.
    pub async fn finish(self: &Arc<Self>, callback_url: &str) -> CallbackOutcome {
        let mut account = self.step().await;
        let Some(provider) = self.ready(&mut account).await else {
            self.defer_callback(&mut account, callback_url).await;
            return CallbackOutcome::Ignored;
        };
        self.handle_callback(&mut account, &provider, callback_url)
            .await
    }

    /// Keeps a callback that arrived while start-up cannot finish. Only the saved sign-in's
    /// own callback is kept: any other link could never finish it, and keeping forged links
    /// would let them fill the slots before the real one arrives. When the keyring cannot be
    /// read, the link cannot be told apart and takes a slot while one is free.
    async fn defer_callback(&self, account: &mut Account<O::Listener>, callback_url: &str) {
        let sign_ins = self.os.sign_ins();
        let ignored = match blocking(move || sign_ins.load()).await {
            Ok(Some((_, saved))) if saved.is_addressed_by(callback_url) => None,
            Ok(Some(_)) => Some(messages::LINK_IGNORED_WHILE_WAITING),
            Ok(None) => Some(messages::LINK_IGNORED_NOT_WAITING),
            Err(error) => {
                tracing::warn!(%error, "could not read the saved sign-in to check a link");
                None
            }
        };
        if let Some(message) = ignored {
            tracing::warn!("ignored a sign-in link that is not for the saved sign-in");
            return self.notify(Tone::Info, message);
        }
        let deferred = &mut account.deferred_callbacks;
        if deferred.len() < DEFERRED_CALLBACKS && !deferred.iter().any(|kept| kept == callback_url)
        {
            deferred.push(callback_url.to_owned());
        }
    }

    /// Finishes the sign-in with a callback; called by a step.
    async fn handle_callback(
        self: &Arc<Self>,
        account: &mut Account<O::Listener>,
        provider: &Provider,
        callback_url: &str,
    ) -> CallbackOutcome {
        let response = match self.complete(account, provider, callback_url).await {
            Ok(response) => {
                tracing::info!(target: "photolink_bench", "callback-checked"); // timing mark
                response
            }
            Err(CallbackError::Ignored(reason)) => {
                tracing::warn!(%reason, "ignored a sign-in link");
                let message = if matches!(account.phase, Phase::Waiting(_)) {
                    messages::LINK_IGNORED_WHILE_WAITING
                } else {
                    messages::LINK_IGNORED_NOT_WAITING
                };
                self.notify(Tone::Info, message);
                return CallbackOutcome::Ignored;
            }
            Err(CallbackError::Failed(error)) => {
                let error = Error::OAuth(error);
                self.fail(account, provider, error, Retry::Connect).await;
                return Self::ended(account);
            }
        };
        self.go(account, Phase::Exchanging(None)).await;
        tracing::info!(target: "photolink_bench", "token-request-start"); // timing mark
        match provider.session.connect(response).await {
            Ok(persistence) => {
                if let Persistence::MemoryOnly(error) = persistence {
                    tracing::warn!(%error, "connected, but the keyring cannot keep the connection");
                }
                tracing::info!("account connected");
                self.window.forget_account_data();
                self.show_connected(account, provider).await;
            }
            Err(error) => {
                let error = Error::OAuth(error);
                self.fail(account, provider, error, Retry::Connect).await;
            }
        }
        Self::ended(account)
    }

    /// How a sign-in ended, as its loopback page tells the browser: a callback that ended
    /// the sign-in leaves the connection connected or failed.
    fn ended(account: &Account<O::Listener>) -> CallbackOutcome {
        match &account.phase {
            Phase::Failed { message, .. } => CallbackOutcome::Failed(message.clone()),
            _ => CallbackOutcome::Connected,
        }
    }

    /// Revokes the tokens at the provider and forgets them here; ends a sign-in in progress.
    /// Without a provider set up (it left the settings, or cannot be reached), the saved
    /// connection and sign-in are deleted all the same. Ends disconnected even when revocation
    /// or the keyring fails; that is reported in plain words.
    pub async fn disconnect(self: &Arc<Self>) {
        let mut account = self.step().await;
        let warning = match self.provider() {
            Some(provider) => self.forget_account(&provider).await,
            None => self.forget_unopened(&mut account).await,
        };
        self.go(&mut account, Phase::Disconnected).await;
        if let Some(warning) = warning {
            self.notify(Tone::Warning, warning);
        }
    }

    /// A failure while using the connection (e.g. listing photos): a dead grant means the
    /// person has to connect again. Only the connected account's grant can die in use: a
    /// report that arrives once the person started connecting again is about the grant that
    /// connecting replaced, and changes nothing. Waits for the step that runs.
    pub async fn connection_failed(&self, error: &OAuthError) {
        if !matches!(error, OAuthError::ReconnectNeeded) {
            return;
        }
        let mut account = self.step().await;
        if !matches!(account.phase, Phase::Connected { .. }) {
            tracing::info!("a dead grant was reported after the connection changed; ignored");
            return;
        }
        self.window.forget_account_data();
        let message = messages::oauth(error, &self.provider_name());
        let failed = Phase::Failed {
            message,
            retry: Retry::Connect,
        };
        self.go(&mut account, failed).await;
    }

    /// After the connection was used (a refresh may have saved tokens, or failed to): shows
    /// or drops the keyring warning when that changed. The phase is not touched, so this
    /// never waits for a step.
    pub fn connection_used(&self) {
        let warning = self.storage_warning();
        if self.view().warning_shown != warning {
            self.update(|_| {});
        }
    }

    /// The sentence the window shows for `error`, naming the provider in use.
    pub fn explain(&self, error: &Error) -> String {
        messages::error(error, &self.provider_name())
    }

    /// Shows a passing notice.
    pub fn notify(&self, tone: Tone, message: impl Into<String>) {
        let message = message.into();
        self.update(|view| {
            view.notices_shown += 1;
            view.notice = Some(Notice {
                id: view.notices_shown,
                message,
                tone,
            });
        });
    }

    // --- the one writer of the phase ---------------------------------------------------------

    /// Moves the account to the phase `to` and shows it: the only place the phase changes,
    /// called by a step (so under the one lock). What the phase left owned ends here:
    ///
    /// - leaving Waiting drops the sign-in's secrets, listener and expiry; its keyring entry is
    ///   deleted before the new phase is shown, unless the new phase is Exchanging, which
    ///   takes the entry along;
    /// - leaving Exchanging deletes that entry once the outcome is shown, so that keyring call
    ///   does not delay the frame that shows it (no other step runs in between).
    async fn go(&self, account: &mut Account<O::Listener>, to: Phase<O::Listener>) {
        if matches!(to, Phase::Waiting(_)) {
            account.expired_sign_in = None;
        }
        match std::mem::replace(&mut account.phase, to) {
            Phase::Waiting(sign_in) => {
                let saved = sign_in.end();
                match &mut account.phase {
                    Phase::Exchanging(entry) => *entry = Some(saved),
                    _ => self.delete_saved_sign_in(account, saved).await,
                }
                self.show(account);
            }
            Phase::Exchanging(saved) => {
                self.show(account);
                if matches!(account.phase, Phase::Connected { .. }) {
                    tracing::info!(target: "photolink_bench", "connected-sent"); // timing mark
                }
                if let Some(saved) = saved {
                    self.delete_saved_sign_in(account, saved).await;
                }
            }
            _ => self.show(account),
        }
    }

    /// A waiting sign-in from its started or restored `secrets`; its expiry starts now.
    fn waiting(
        self: &Arc<Self>,
        account: &mut Account<O::Listener>,
        secrets: PendingAuthorization,
        authorize_url: Url,
        listener: Option<O::Listener>,
    ) -> Box<WaitingSignIn<O::Listener>> {
        account.sign_ins_started += 1;
        let number = account.sign_ins_started;
        let lifetime_over = self
            .os
            .sleep_until(secrets.expires_at().unwrap_or_else(|| self.os.now()));
        let connection = Arc::downgrade(self);
        let timer = tokio::spawn(async move {
            lifetime_over.await;
            if let Some(connection) = connection.upgrade() {
                connection.expire(number).await;
            }
        });
        Box::new(WaitingSignIn {
            number,
            authorize_url,
            secrets,
            _listener: listener,
            _expiry: Expiry(timer.abort_handle()),
            saved: self.saved_sign_in_entry(),
        })
    }

    /// The sign-in numbered `sign_in` reached the end of its lifetime: ends it if it still
    /// waits.
    async fn expire(&self, sign_in: u64) {
        let mut account = self.step().await;
        if matches!(&account.phase, Phase::Waiting(waiting) if waiting.number == sign_in) {
            tracing::info!("the sign-in expired");
            let expired = Phase::Failed {
                message: messages::SIGN_IN_EXPIRED.into(),
                retry: Retry::Connect,
            };
            self.go(&mut account, expired).await;
        }
    }

    // --- steps -----------------------------------------------------------------------------

    /// The provider, set up by the first step of this process: restores the saved connection
    /// and the sign-in in progress. A failure shows the error view with "Try again" running
    /// start-up again. Called by a step.
    async fn ready(self: &Arc<Self>, account: &mut Account<O::Listener>) -> Option<Arc<Provider>> {
        if let Some(provider) = self.provider.get() {
            return Some(provider.clone());
        }
        let provider = match self.os.set_up_provider().await {
            Ok(provider) => Arc::new(provider),
            Err(error) => {
                let retry = if error.is_retryable() {
                    Retry::StartUp
                } else {
                    Retry::Nothing
                };
                let provider = self.provider_name();
                tracing::warn!(%error, "the provider could not be set up");
                let failed = Phase::Failed {
                    message: messages::error(&error, &provider),
                    retry,
                };
                self.go(account, failed).await;
                return None;
            }
        };
        let provider = self.provider.get_or_init(|| provider).clone();
        self.update(|view| view.provider = Some(provider.summary.clone()));
        match &provider.open_problem {
            Some(OpenProblem::Unreadable) => {
                self.notify(Tone::Warning, messages::SAVED_CONNECTION_UNREADABLE)
            }
            Some(OpenProblem::Unavailable(_)) | None => {}
        }
        if let Some(sign_in) = self.restore_sign_in(account, &provider).await {
            self.go(account, Phase::Waiting(sign_in)).await;
        } else if provider.session.status() == SessionStatus::Connected {
            self.show_connected(account, &provider).await;
        } else {
            self.go(account, Phase::Disconnected).await;
        }
        Some(provider)
    }

    /// Puts back the sign-in the keyring holds (started by an earlier process of the app). One
    /// still running is waited for again; an expired one is kept in memory only, so that its
    /// late callback says "expired".
    async fn restore_sign_in(
        self: &Arc<Self>,
        account: &mut Account<O::Listener>,
        provider: &Provider,
    ) -> Option<Box<WaitingSignIn<O::Listener>>> {
        let sign_ins = self.os.sign_ins();
        let (authorize_url, saved) = match blocking(move || sign_ins.load()).await {
            Ok(Some(found)) => found,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(%error, "could not read the saved sign-in");
                return None;
            }
        };
        let expired = saved.expires_at() <= self.os.now();
        let secrets = PendingAuthorization::new();
        if let Err(error) = secrets.restore(provider.session.client(), saved) {
            tracing::info!(%error, "the saved sign-in is not for this provider; dropping it");
            self.delete_saved_sign_in(account, self.saved_sign_in_entry())
                .await;
            return None;
        }
        if expired {
            self.delete_saved_sign_in(account, self.saved_sign_in_entry())
                .await;
            account.expired_sign_in = Some(secrets);
            return None;
        }
        tracing::info!("continuing the sign-in an earlier process started");
        Some(self.waiting(account, secrets, authorize_url, None))
    }

    /// Validates a callback. When no sign-in is in progress here, the keyring may hold one that
    /// another process of the app started (it was exiting when this one started): it is put
    /// back and the callback tried once more, unless it is one that ended here.
    async fn complete(
        self: &Arc<Self>,
        account: &mut Account<O::Listener>,
        provider: &Provider,
        callback_url: &str,
    ) -> Result<AuthorizationResponse, CallbackError> {
        match Self::check(account, callback_url) {
            Err(CallbackError::Ignored(OAuthError::NoPendingAuthorization))
                if !account.ended_sign_in_kept =>
            {
                if let Some(sign_in) = self.restore_sign_in(account, provider).await {
                    self.go(account, Phase::Waiting(sign_in)).await;
                }
                Self::check(account, callback_url)
            }
            outcome => outcome,
        }
    }

    /// Checks a callback against the sign-in it can be for: the waiting one, else an expired
    /// one an earlier process started.
    fn check(
        account: &Account<O::Listener>,
        callback_url: &str,
    ) -> Result<AuthorizationResponse, CallbackError> {
        match (&account.phase, &account.expired_sign_in) {
            (Phase::Waiting(sign_in), _) => sign_in.secrets.complete(callback_url),
            (_, Some(expired)) => expired.complete(callback_url),
            (_, None) => Err(CallbackError::Ignored(OAuthError::NoPendingAuthorization)),
        }
    }

    /// Starts the loopback listener for a new sign-in. Its callbacks go to
    /// [`finish`](Self::finish) of this connection while it lives.
    async fn listen(self: &Arc<Self>, port: Option<u16>) -> std::io::Result<O::Listener> {
        let connection = Arc::downgrade(self);
        let deliver: Deliver = Arc::new(move |callback_url: String| {
            let connection = connection.clone();
            Box::pin(async move {
                match connection.upgrade() {
                    Some(connection) => connection.finish(&callback_url).await,
                    None => CallbackOutcome::Ignored,
                }
            })
        });
        self.os.listen_for_redirect(port, deliver).await
    }

    /// The keyring entry of the sign-in in progress.
    fn saved_sign_in_entry(&self) -> SavedSignInEntry {
        SavedSignInEntry(self.os.sign_ins())
    }

    async fn delete_saved_sign_in(
        &self,
        account: &mut Account<O::Listener>,
        saved: SavedSignInEntry,
    ) {
        match saved.delete().await {
            Ok(()) => account.ended_sign_in_kept = false,
            Err(error) => {
                tracing::warn!(%error, "could not delete the saved sign-in");
                account.ended_sign_in_kept = true;
            }
        }
    }

    /// Disconnects the account: revokes its grant and forgets it here. Returns the warning
    /// to show once the new state is shown, when revocation or the keyring failed.
    async fn forget_account(&self, provider: &Provider) -> Option<String> {
        let outcome = provider.session.disconnect().await;
        self.window.forget_account_data();
        match outcome {
            Ok(()) => {
                tracing::info!("account disconnected");
                None
            }
            Err(OAuthError::Storage(error)) => {
                tracing::warn!(%error, "disconnected, but the keyring kept the entry");
                let comes_back = provider
                    .saved_connection
                    .as_ref()
                    .is_some_and(|store| store.forgotten_entry_comes_back());
                Some(match comes_back {
                    true => messages::DISCONNECTED_KEYRING_KEPT_UNRECORDED.into(),
                    false => messages::DISCONNECTED_KEYRING_KEPT.into(),
                })
            }
            Err(error) => {
                tracing::warn!(%error, "disconnected, but revocation failed");
                Some(messages::oauth(&error, &provider.summary.name))
            }
        }
    }

    /// Disconnects an account whose provider could not be set up (it left the settings, or
    /// cannot be reached): nothing can be revoked, but its saved connection and a sign-in kept
    /// for it are deleted by their names, or tombstoned, as [`Self::forget_account`] does.
    /// Returns the warning to show once the new state is shown.
    async fn forget_unopened(&self, account: &mut Account<O::Listener>) -> Option<String> {
        self.window.forget_account_data();
        self.delete_saved_sign_in(account, self.saved_sign_in_entry())
            .await;
        let saved = self.os.saved_connection();
        let forgotten = blocking(move || {
            saved.map(|(entry, tombstones)| KeyringTokenStore::forget_unopened(entry, tombstones))
        })
        .await;
        match forgotten {
            None | Some(Forgotten::Nothing) => None,
            Some(Forgotten::Deleted) => {
                tracing::info!("account disconnected without its provider");
                let provider = self.view().provider.as_ref().map(|p| p.name.clone());
                Some(messages::access_not_withdrawn(provider.as_deref()))
            }
            Some(Forgotten::Tombstoned) => Some(messages::DISCONNECTED_KEYRING_KEPT.into()),
            Some(Forgotten::ComesBack) => {
                Some(messages::DISCONNECTED_KEYRING_KEPT_UNRECORDED.into())
            }
        }
    }

    /// Shows the account as connected, with its name from userinfo when the provider offers it,
    /// else from the verified ID token of an OpenID Connect sign-in.
    async fn show_connected(&self, account: &mut Account<O::Listener>, provider: &Provider) {
        let session = &provider.session;
        let scopes = session.granted_scopes();
        let (name, email, subject) = match session.userinfo().await {
            Ok(info) => {
                let (name, email) = match (
                    info.name.filter(|n| !n.is_empty()),
                    info.email.filter(|e| !e.is_empty()),
                ) {
                    (Some(name), email) => (name, email),
                    (None, Some(email)) => (email, None),
                    (None, None) => (provider.summary.name.clone(), None),
                };
                (name, email, Some(info.sub))
            }
            Err(OAuthError::ReconnectNeeded) => {
                // The grant died (a refresh at start-up, say): as when the app finds it dead,
                // the account's data goes, whether or not it is the one shown.
                self.window.forget_account_data();
                let error = Error::OAuth(OAuthError::ReconnectNeeded);
                return self.fail(account, provider, error, Retry::Connect).await;
            }
            Err(error) => match session.id_token_claims() {
                Some(claims) => {
                    tracing::info!(%error, "no userinfo; showing the account of the ID token");
                    let subject = Some(claims.sub.clone());
                    let (name, email) = account_of_id_token(claims, &provider.summary.name);
                    (name, email, subject)
                }
                None => {
                    tracing::info!(%error, "no account details; showing the provider's name");
                    (provider.summary.name.clone(), None, None)
                }
            },
        };
        let connected = Phase::Connected {
            account: name,
            email,
            scopes,
            subject,
        };
        self.go(account, connected).await;
    }

    async fn fail(
        &self,
        account: &mut Account<O::Listener>,
        provider: &Provider,
        error: Error,
        retry: Retry,
    ) {
        tracing::warn!(%error, "connection error");
        let retry = if error.is_retryable() {
            retry
        } else {
            Retry::Nothing
        };
        let failed = Phase::Failed {
            message: messages::error(&error, &provider.summary.name),
            retry,
        };
        self.go(account, failed).await;
    }

    fn open_in_browser(&self, url: &Url) {
        tracing::info!(
            host = url.host_str().unwrap_or_default(),
            "opening the sign-in page in the browser"
        );
        if let Err(error) = self.os.open_browser(url) {
            tracing::warn!(%error, "could not open the browser");
            self.notify(Tone::Warning, messages::BROWSER_NOT_OPENED);
        }
    }

    // --- the view ----------------------------------------------------------------------------

    /// The warning that stays in the window while the keyring cannot keep the connection
    /// (worked out from the session each time, so it goes as soon as saving works again).
    fn storage_warning(&self) -> Option<String> {
        let provider = self.provider.get()?;
        let session = &provider.session;
        match (session.status(), session.persistence()) {
            (SessionStatus::Connected, Persistence::MemoryOnly(error)) => {
                Some(messages::memory_only(&error))
            }
            (SessionStatus::Connected, Persistence::Saved) => None,
            _ => match &provider.open_problem {
                Some(OpenProblem::Unavailable(reason)) => {
                    Some(messages::keyring_unavailable(reason))
                }
                _ => None,
            },
        }
    }

    /// The name of the provider in use, for sentences that name it.
    pub fn provider_name(&self) -> String {
        self.view()
            .provider
            .as_ref()
            .map_or_else(|| "your photo service".into(), |p| p.name.clone())
    }

    /// Shows the account's phase. A notice belongs to the state it was given in, so moving to
    /// another state (say from waiting to connected) clears it.
    fn show(&self, account: &Account<O::Listener>) {
        let connection = account.phase.connection();
        let waiting_link = account.phase.waiting_link();
        self.update(|view| {
            if std::mem::discriminant(&view.connection) != std::mem::discriminant(&connection) {
                view.notice = None;
            }
            view.connection = connection;
            view.waiting_link = waiting_link;
        });
    }

    fn clear_notice(&self) {
        if self.view().notice.is_some() {
            self.update(|view| view.notice = None);
        }
    }

    /// Changes the view and shows the new status while still holding the lock, so that the
    /// window receives changes in the order they happened.
    fn update(&self, change: impl FnOnce(&mut View)) {
        let mut view = self.view();
        change(&mut view);
        view.revision += 1;
        view.warning_shown = self.storage_warning();
        self.window.show(&view.status(view.warning_shown.clone()));
    }

    fn view(&self) -> MutexGuard<'_, View> {
        lock(&self.view)
    }
}

/// The display name and e-mail of the account a verified ID token names: its name, else its
/// e-mail, else the name it signs in with, else the provider's name.
fn account_of_id_token(
    claims: photolink_oauth::IdTokenClaims,
    provider: &str,
) -> (String, Option<String>) {
    let name = claims
        .name
        .or(claims.preferred_username)
        .filter(|name| !name.is_empty());
    match (name, claims.email.filter(|e| !e.is_empty())) {
        (Some(name), email) => (name, email),
        (None, Some(email)) => (email, None),
        (None, None) => (provider.to_owned(), None),
    }
}

#[cfg(test)]
mod tests;
