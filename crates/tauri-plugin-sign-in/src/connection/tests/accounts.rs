//! Several accounts ([`crate::accounts`]) on the fake computer against the demo provider, its
//! demo accounts told apart by the name typed on its consent page.

use super::*;
use crate::accounts::{Accounts, Host};
use crate::status::AccountItem;

/// The window of one process, and the list of linked accounts kept on the fake computer.
#[derive(Clone)]
struct FakeHost {
    computer: FakeComputer,
    shown: Arc<Mutex<Vec<Status>>>,
    forgotten: Arc<AtomicUsize>,
    linked: Arc<Mutex<Vec<Slot>>>,
}

impl Host for FakeHost {
    type Os = FakeOs;

    fn os(&self, slot: Slot, choose_account: bool) -> FakeOs {
        self.computer.os(slot, choose_account)
    }

    fn show(&self, status: &Status) {
        self.shown.lock().unwrap().push(status.clone());
    }

    fn forget_account_data(&self) {
        self.forgotten.fetch_add(1, Ordering::SeqCst);
    }

    fn linked(&self) -> Vec<Slot> {
        self.linked.lock().unwrap().clone()
    }

    fn keep_linked(&self, slots: &[Slot]) {
        *self.linked.lock().unwrap() = slots.to_vec();
    }
}

const ALEX: &str = "Alex Rivera";
const SAM: &str = "Sam Lee";

struct Desk {
    setup: Setup,
    linked: Arc<Mutex<Vec<Slot>>>,
}

impl Desk {
    async fn new() -> Self {
        Self {
            setup: set_up().await,
            linked: Arc::default(),
        }
    }

    /// The window and list of a new PhotoLink process.
    fn host(&self) -> FakeHost {
        FakeHost {
            computer: self.setup.computer.clone(),
            shown: Arc::default(),
            forgotten: Arc::default(),
            linked: self.linked.clone(),
        }
    }

    /// A PhotoLink process, started up.
    async fn start(&self) -> (Arc<Accounts<FakeHost>>, FakeHost) {
        let host = self.host();
        let accounts = Accounts::new(host.clone());
        accounts.start_up().await;
        (accounts, host)
    }

    /// The person signs in as `name` on the page the browser was last sent to.
    async fn approve_as(&self, name: &str) -> String {
        let page = self
            .setup
            .visits()
            .last()
            .cloned()
            .expect("a browser visit");
        consent_page::approve_as(&self.setup.http, &page, name)
            .await
            .expect("the consent page is answered")
    }

    /// Links Alex, then adds Sam.
    async fn link_alex_and_sam(&self, accounts: &Arc<Accounts<FakeHost>>) {
        accounts.connect().await;
        accounts.finish(&self.approve_as(ALEX).await).await;
        accounts.add().await;
        accounts.finish(&self.approve_as(SAM).await).await;
    }

    fn refresh_token_of(&self, slot: Slot) -> Option<String> {
        let text = self.setup.computer.tokens_entry_of(slot).read().unwrap()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        json["tokens"]["refresh_token"].as_str().map(str::to_owned)
    }
}

fn listed(accounts: &Accounts<FakeHost>) -> Vec<(Option<String>, &'static str, bool)> {
    accounts
        .status()
        .accounts
        .into_iter()
        .map(
            |AccountItem {
                 name,
                 state,
                 chosen,
                 ..
             }| (name, state, chosen),
        )
        .collect()
}

fn connected(name: &str, chosen: bool) -> (Option<String>, &'static str, bool) {
    (Some(name.to_owned()), "connected", chosen)
}

#[tokio::test]
async fn a_single_account_is_kept_under_the_names_one_account_always_had() {
    let desk = Desk::new().await;
    let (accounts, _host) = desk.start().await;
    assert_eq!(listed(&accounts), [(None, "disconnected", true)]);

    accounts.connect().await;
    accounts.finish(&desk.approve_as(ALEX).await).await;

    assert_eq!(listed(&accounts), [connected(ALEX, true)]);
    assert!(
        desk.setup.computer.saved_tokens().is_some(),
        "under `oauth-tokens`"
    );
    assert_eq!(*desk.linked.lock().unwrap(), [Slot::FIRST]);
    let first_visit = desk.setup.visits()[0].clone();
    assert!(!first_visit.query_pairs().any(|(name, _)| name == "prompt"));
}

#[tokio::test]
async fn two_accounts_are_linked_each_with_its_own_tokens_and_the_second_asks_for_the_chooser() {
    let desk = Desk::new().await;
    let (accounts, host) = desk.start().await;

    desk.link_alex_and_sam(&accounts).await;

    assert_eq!(
        listed(&accounts),
        [connected(ALEX, false), connected(SAM, true)]
    );
    let status = accounts.status();
    assert!(matches!(&status.connection, Connection::Connected { account, .. } if account == SAM));
    let alex = desk.refresh_token_of(Slot::FIRST).expect("Alex's tokens");
    let sam = desk.refresh_token_of(Slot(1)).expect("Sam's tokens");
    assert_ne!(alex, sam);
    assert_eq!(*desk.linked.lock().unwrap(), [Slot::FIRST, Slot(1)]);
    let added = desk.setup.visits().last().cloned().unwrap();
    assert!(
        added
            .query_pairs()
            .any(|(name, value)| name == "prompt" && value == "select_account")
    );
    let revisions: Vec<u64> = host
        .shown
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.revision)
        .collect();
    assert!(revisions.windows(2).all(|pair| pair[0] < pair[1]));
}

#[tokio::test]
async fn a_restart_restores_every_account_without_the_browser() {
    let desk = Desk::new().await;
    let (first, _host) = desk.start().await;
    desk.link_alex_and_sam(&first).await;
    drop(first);
    let visits = desk.setup.visits().len();

    let (accounts, _host) = desk.start().await;

    assert_eq!(
        listed(&accounts),
        [connected(ALEX, true), connected(SAM, false)]
    );
    assert_eq!(desk.setup.visits().len(), visits, "no browser");
}

#[tokio::test]
async fn disconnect_revokes_the_chosen_account_only() {
    let desk = Desk::new().await;
    let (accounts, host) = desk.start().await;
    desk.link_alex_and_sam(&accounts).await;
    let alex = desk.refresh_token_of(Slot::FIRST).unwrap();
    let sam = desk.refresh_token_of(Slot(1)).unwrap();
    let forgotten = host.forgotten.load(Ordering::SeqCst);

    accounts.disconnect().await;

    assert_eq!(listed(&accounts), [connected(ALEX, true)]);
    assert!(
        !desk.setup.provider_accepts(&sam).await,
        "Sam's grant revoked"
    );
    assert!(
        desk.setup.provider_accepts(&alex).await,
        "Alex's grant kept"
    );
    assert_eq!(desk.refresh_token_of(Slot(1)), None);
    assert_eq!(*desk.linked.lock().unwrap(), [Slot::FIRST]);
    assert!(
        host.forgotten.load(Ordering::SeqCst) > forgotten,
        "the gallery changes"
    );
}

#[tokio::test]
async fn choosing_an_account_shows_its_status() {
    let desk = Desk::new().await;
    let (accounts, host) = desk.start().await;
    desk.link_alex_and_sam(&accounts).await;
    let forgotten = host.forgotten.load(Ordering::SeqCst);

    assert!(accounts.choose(0));

    assert_eq!(
        listed(&accounts),
        [connected(ALEX, true), connected(SAM, false)]
    );
    assert!(
        matches!(&accounts.status().connection, Connection::Connected { account, .. } if account == ALEX)
    );
    assert_eq!(
        host.forgotten.load(Ordering::SeqCst),
        forgotten,
        "both accounts' data is kept"
    );
    assert!(!accounts.choose(7), "no such account");
}

#[tokio::test]
async fn the_same_account_twice_says_it_is_linked_already_and_changes_nothing() {
    let desk = Desk::new().await;
    let (accounts, _host) = desk.start().await;
    accounts.connect().await;
    accounts.finish(&desk.approve_as(ALEX).await).await;
    let alex = desk.refresh_token_of(Slot::FIRST).unwrap();

    accounts.add().await;
    accounts.finish(&desk.approve_as(ALEX).await).await;

    assert_eq!(listed(&accounts), [connected(ALEX, true)]);
    let notice = accounts.status().notice.map(|notice| notice.message);
    assert_eq!(notice.as_deref(), Some(messages::ACCOUNT_ALREADY_LINKED));
    assert!(
        desk.setup.provider_accepts(&alex).await,
        "the first grant kept"
    );
    assert_eq!(
        desk.refresh_token_of(Slot(1)),
        None,
        "the new grant not kept"
    );
    assert_eq!(*desk.linked.lock().unwrap(), [Slot::FIRST]);
}

#[tokio::test]
async fn only_one_sign_in_waits_and_an_ended_ones_callback_lands_nowhere() {
    let desk = Desk::new().await;
    let (accounts, _host) = desk.start().await;
    accounts.connect().await;
    accounts.finish(&desk.approve_as(ALEX).await).await;

    accounts.add().await;
    let first_page = desk.setup.visits().last().cloned().unwrap();
    accounts.add().await;
    let waiting: Vec<_> = listed(&accounts)
        .into_iter()
        .filter(|(_, state, _)| *state == "waiting")
        .collect();
    assert_eq!(waiting.len(), 1, "{:?}", listed(&accounts));

    let late = consent_page::approve_as(&desk.setup.http, &first_page, SAM)
        .await
        .unwrap();
    accounts.finish(&late).await;

    assert_eq!(
        listed(&accounts)
            .into_iter()
            .filter(|(_, state, _)| *state == "connected")
            .count(),
        1,
        "the ended sign-in's callback linked nothing: {:?}",
        listed(&accounts)
    );
    assert_eq!(
        accounts.status().notice.map(|n| n.message).as_deref(),
        Some(messages::LINK_IGNORED_WHILE_WAITING)
    );

    accounts.cancel().await;
    assert_eq!(
        listed(&accounts),
        [connected(ALEX, true)],
        "the added account went"
    );
}

#[tokio::test]
async fn connect_before_start_up_has_read_the_list_is_the_first_accounts() {
    let desk = Desk::new().await;
    let accounts = Accounts::new(desk.host());

    accounts.connect().await;
    let callback = desk.approve_as(ALEX).await;
    accounts.start_up().await;
    accounts.finish(&callback).await;

    assert_eq!(listed(&accounts), [connected(ALEX, true)]);
}

#[tokio::test]
async fn a_callback_at_a_cold_start_finishes_the_sign_in_an_earlier_process_added() {
    let desk = Desk::new().await;
    let (first, _host) = desk.start().await;
    first.connect().await;
    first.finish(&desk.approve_as(ALEX).await).await;
    first.add().await;
    let page = desk.setup.visits().last().cloned().unwrap();
    drop(first);
    let callback = consent_page::approve_as(&desk.setup.http, &page, SAM)
        .await
        .unwrap();

    // The OS starts PhotoLink with the link: it arrives while start-up runs.
    let accounts = Accounts::new(desk.host());
    let finishing = tokio::spawn({
        let accounts = accounts.clone();
        async move { accounts.finish(&callback).await }
    });
    accounts.start_up().await;
    finishing.await.unwrap();

    assert_eq!(
        listed(&accounts),
        [connected(ALEX, false), connected(SAM, true)]
    );
    assert_eq!(*desk.linked.lock().unwrap(), [Slot::FIRST, Slot(1)]);
}

#[tokio::test]
async fn a_dead_grant_is_reported_to_its_own_account_whichever_is_chosen() {
    let desk = Desk::new().await;
    let (accounts, _host) = desk.start().await;
    desk.link_alex_and_sam(&accounts).await;
    assert!(accounts.choose(0));
    let alex = accounts.provider().expect("Alex's provider");
    assert!(accounts.choose(1), "Sam chosen while Alex's request runs");

    accounts
        .connection_failed(&alex, &OAuthError::ReconnectNeeded)
        .await;

    let states: Vec<_> = listed(&accounts)
        .into_iter()
        .map(|(name, state, _)| (name, state))
        .collect();
    assert_eq!(
        states,
        [
            (Some(ALEX.to_owned()), "error"),
            (Some(SAM.to_owned()), "connected")
        ]
    );
}
