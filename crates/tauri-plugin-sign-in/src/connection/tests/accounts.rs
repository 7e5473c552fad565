//! Several accounts ([`crate::accounts`]) on the fake computer against the demo provider, its
//! demo accounts told apart by the name typed on its consent page.

use super::*;
use crate::accounts::{Accounts, Host, LinkedAccount};
use crate::status::AccountItem;
use photolink_oauth::TokenStore;

/// The window of one process, and the list of linked accounts kept on the fake computer.
#[derive(Clone)]
struct FakeHost {
    /// The computer at each provider of the settings, the first first.
    computers: Vec<FakeComputer>,
    shown: Arc<Mutex<Vec<Status>>>,
    /// The slots whose data the app was told to forget, in order.
    forgotten: Arc<Mutex<Vec<Slot>>>,
    linked: Arc<Mutex<Vec<LinkedAccount>>>,
}

impl FakeHost {
    fn forgotten(&self) -> Vec<Slot> {
        self.forgotten.lock().unwrap().clone()
    }
}

impl Host for FakeHost {
    type Os = FakeOs;

    fn os(&self, slot: Slot, provider: Option<&str>, choose_account: bool) -> FakeOs {
        let at = match provider {
            None => self.computers.first().cloned(),
            Some(key) => self
                .computers
                .iter()
                .find(|computer| computer.provider_name == key)
                .cloned(),
        };
        let computer = at.unwrap_or_else(|| FakeComputer {
            provider_gone: true,
            ..self.computers[0].clone()
        });
        computer.os(slot, choose_account)
    }

    fn show(&self, status: &Status) {
        self.shown.lock().unwrap().push(status.clone());
    }

    fn forget_account_data(&self, slot: Slot) {
        self.forgotten.lock().unwrap().push(slot);
    }

    fn linked(&self) -> Vec<LinkedAccount> {
        self.linked.lock().unwrap().clone()
    }

    fn keep_linked(&self, accounts: &[LinkedAccount]) {
        *self.linked.lock().unwrap() = accounts.to_vec();
    }
}

/// The slots of a list of linked accounts.
fn slots(linked: &Mutex<Vec<LinkedAccount>>) -> Vec<Slot> {
    linked.lock().unwrap().iter().map(|a| a.slot).collect()
}

const ALEX: &str = "Alex Rivera";
const SAM: &str = "Sam Lee";

struct Desk {
    setup: Setup,
    linked: Arc<Mutex<Vec<LinkedAccount>>>,
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
            computers: vec![self.setup.computer.clone()],
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
        accounts.add(None).await.unwrap();
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
    assert_eq!(slots(&desk.linked), [Slot::FIRST]);
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
    assert_eq!(slots(&desk.linked), [Slot::FIRST, Slot(1)]);
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
    let forgotten = host.forgotten().len();

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
    assert_eq!(slots(&desk.linked), [Slot::FIRST]);
    assert_eq!(
        host.forgotten()[forgotten..]
            .iter()
            .collect::<std::collections::BTreeSet<_>>(),
        [&Slot(1)].into(),
        "Sam's data only is dropped"
    );
}

#[tokio::test]
async fn choosing_an_account_shows_its_status() {
    let desk = Desk::new().await;
    let (accounts, host) = desk.start().await;
    desk.link_alex_and_sam(&accounts).await;
    let forgotten = host.forgotten().len();

    assert!(accounts.choose(0));

    assert_eq!(
        listed(&accounts),
        [connected(ALEX, true), connected(SAM, false)]
    );
    assert!(
        matches!(&accounts.status().connection, Connection::Connected { account, .. } if account == ALEX)
    );
    assert_eq!(
        host.forgotten().len(),
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

    accounts.add(None).await.unwrap();
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
    assert_eq!(slots(&desk.linked), [Slot::FIRST]);
}

#[tokio::test]
async fn only_one_sign_in_waits_and_an_ended_ones_callback_lands_nowhere() {
    let desk = Desk::new().await;
    let (accounts, _host) = desk.start().await;
    accounts.connect().await;
    accounts.finish(&desk.approve_as(ALEX).await).await;

    accounts.add(None).await.unwrap();
    let first_page = desk.setup.visits().last().cloned().unwrap();
    accounts.add(None).await.unwrap();
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
    first.add(None).await.unwrap();
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
    assert_eq!(slots(&desk.linked), [Slot::FIRST, Slot(1)]);
}

#[tokio::test]
async fn a_dead_grant_is_reported_to_its_own_account_whichever_is_chosen() {
    let desk = Desk::new().await;
    let (accounts, host) = desk.start().await;
    desk.link_alex_and_sam(&accounts).await;
    assert!(accounts.choose(0));
    let alex = accounts.provider().expect("Alex's provider");
    assert!(accounts.choose(1), "Sam chosen while Alex's request runs");
    let forgotten = host.forgotten().len();

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
    assert_eq!(
        host.forgotten()[forgotten..],
        [Slot::FIRST],
        "Alex's data only"
    );
}

#[tokio::test]
async fn an_account_not_shown_refreshes_when_used_and_stays_connected() {
    let desk = Desk::new().await;
    let (accounts, host) = desk.start().await;
    desk.link_alex_and_sam(&accounts).await;
    let alex_before = desk.refresh_token_of(Slot::FIRST).unwrap();
    let forgotten = host.forgotten().len();
    // Every access token expires while Sam is shown.
    desk.setup.provider.expire_access_tokens().unwrap();

    assert!(accounts.choose(0));
    let alex = accounts.provider().expect("Alex's provider");
    alex.session.userinfo().await.expect("refreshed when used");
    accounts.chosen().connection_used();

    assert_eq!(
        listed(&accounts),
        [connected(ALEX, true), connected(SAM, false)]
    );
    assert_ne!(
        desk.refresh_token_of(Slot::FIRST).unwrap(),
        alex_before,
        "the rotated refresh token is kept for Alex"
    );
    assert_eq!(host.forgotten().len(), forgotten, "nothing forgotten");
}

#[test]
fn a_list_of_bare_slots_is_read_as_accounts_of_the_first_provider() {
    let old: Vec<LinkedAccount> = serde_json::from_str("[0, 2]").unwrap();
    let first = |slot| LinkedAccount {
        slot: Slot(slot),
        provider: None,
    };
    assert_eq!(old, [first(0), first(2)]);
    let work = LinkedAccount {
        slot: Slot(1),
        provider: Some("work".into()),
    };
    let written = serde_json::to_string(&[first(0), work.clone()]).unwrap();
    assert_eq!(written, r#"[{"slot":0},{"slot":1,"provider":"work"}]"#);
    let read: Vec<LinkedAccount> = serde_json::from_str(&written).unwrap();
    assert_eq!(read, [first(0), work]);
}

const WORK: &str = "Work Photos";

/// Two providers in the settings: the desk's demo provider first, a second one named
/// [`WORK`] (another demo provider, on the same computer and keyring).
struct TwoProviders {
    desk: Desk,
    work: FakeComputer,
    /// Runs the second provider while the test runs.
    _work_provider: ProviderHandle,
}

impl TwoProviders {
    async fn new() -> Self {
        let desk = Desk::new().await;
        let other = set_up().await;
        let work = FakeComputer {
            issuer: other.provider.issuer_url().to_owned(),
            provider_name: WORK.into(),
            ..desk.setup.computer.clone()
        };
        Self {
            desk,
            work,
            _work_provider: other.provider,
        }
    }

    /// A PhotoLink process whose settings have `computers`' providers, started up.
    async fn start_with(
        &self,
        computers: Vec<FakeComputer>,
    ) -> (Arc<Accounts<FakeHost>>, FakeHost) {
        let host = FakeHost {
            computers: computers.clone(),
            ..self.desk.host()
        };
        let accounts = Accounts::new(host.clone());
        accounts.announce(
            computers
                .iter()
                .map(|computer| ProviderSummary {
                    id: computer.provider_name.clone(),
                    name: computer.provider_name.clone(),
                    issuer: Some(computer.issuer.clone()),
                    embedded: false,
                })
                .collect(),
        );
        accounts.start_up().await;
        (accounts, host)
    }

    async fn start(&self) -> (Arc<Accounts<FakeHost>>, FakeHost) {
        self.start_with(vec![self.desk.setup.computer.clone(), self.work.clone()])
            .await
    }

    /// Links Alex at the work provider (the first account), then Sam at the first provider.
    async fn link_alex_at_work_and_sam(&self, accounts: &Arc<Accounts<FakeHost>>) {
        accounts.add(Some(WORK.into())).await.unwrap();
        accounts.finish(&self.desk.approve_as(ALEX).await).await;
        accounts.add(Some(PROVIDER.into())).await.unwrap();
        accounts.finish(&self.desk.approve_as(SAM).await).await;
    }
}

/// Each account of the list: its name, its provider's name, its state.
fn listed_with_providers(
    accounts: &Accounts<FakeHost>,
) -> Vec<(Option<String>, Option<String>, &'static str)> {
    accounts
        .status()
        .accounts
        .into_iter()
        .map(|item| (item.name, item.provider, item.state))
        .collect()
}

fn at(name: &str, provider: &str) -> (Option<String>, Option<String>, &'static str) {
    (Some(name.into()), Some(provider.into()), "connected")
}

#[tokio::test]
async fn accounts_at_two_providers_are_each_linked_at_their_own() {
    let two = TwoProviders::new().await;
    let (accounts, _host) = two.start().await;
    let providers: Vec<_> = accounts
        .status()
        .providers
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(providers, [PROVIDER, WORK], "the window can ask which");

    two.link_alex_at_work_and_sam(&accounts).await;

    assert_eq!(
        listed_with_providers(&accounts),
        [at(ALEX, WORK), at(SAM, PROVIDER)]
    );
    let visits = two.desk.setup.visits();
    assert!(
        visits[0].as_str().starts_with(&two.work.issuer),
        "{}",
        visits[0]
    );
    assert!(
        visits[1]
            .as_str()
            .starts_with(&two.desk.setup.computer.issuer),
        "{}",
        visits[1]
    );
    for visit in &visits {
        assert!(
            !visit.query_pairs().any(|(name, _)| name == "prompt"),
            "no chooser at a provider without a linked account: {visit}"
        );
    }
    let linked = two.desk.linked.lock().unwrap().clone();
    let keys: Vec<_> = linked
        .iter()
        .map(|a| (a.slot, a.provider.as_deref()))
        .collect();
    assert_eq!(keys, [(Slot::FIRST, Some(WORK)), (Slot(1), Some(PROVIDER))]);

    accounts.add(Some(WORK.into())).await.unwrap();
    let beside = two.desk.setup.visits().last().cloned().unwrap();
    assert!(beside.as_str().starts_with(&two.work.issuer), "{beside}");
    assert!(
        beside
            .query_pairs()
            .any(|(name, value)| name == "prompt" && value == "select_account"),
        "the chooser beside a linked account at the same provider: {beside}"
    );
    accounts.cancel().await;
    assert!(matches!(
        accounts.add(Some("Nowhere".into())).await,
        Err(Error::NoSuchProvider)
    ));
    assert_eq!(accounts.status().accounts.len(), 2, "nothing added");
}

#[tokio::test]
async fn a_restart_restores_both_and_disconnect_drops_one_accounts_data_only() {
    let two = TwoProviders::new().await;
    let (first_run, _host) = two.start().await;
    two.link_alex_at_work_and_sam(&first_run).await;
    drop(first_run);
    let visits = two.desk.setup.visits().len();

    let (accounts, host) = two.start().await;

    assert_eq!(
        listed_with_providers(&accounts),
        [at(ALEX, WORK), at(SAM, PROVIDER)]
    );
    assert_eq!(two.desk.setup.visits().len(), visits, "no browser");
    assert!(accounts.choose(0));
    accounts.disconnect().await;
    assert_eq!(listed_with_providers(&accounts), [at(SAM, PROVIDER)]);
    assert!(
        host.forgotten().iter().all(|slot| *slot == Slot::FIRST),
        "only the work account's data goes: {:?}",
        host.forgotten()
    );
    assert!(two.desk.refresh_token_of(Slot(1)).is_some(), "Sam's kept");
}

#[tokio::test]
async fn an_account_whose_provider_left_the_settings_says_so_and_can_be_disconnected() {
    let two = TwoProviders::new().await;
    let (first_run, _host) = two.start().await;
    two.link_alex_at_work_and_sam(&first_run).await;
    drop(first_run);

    // Work Photos went; another provider came (with one provider, every account is at it).
    let home = FakeComputer {
        provider_name: "Home Photos".into(),
        ..two.desk.setup.computer.clone()
    };
    let (accounts, _host) = two
        .start_with(vec![two.desk.setup.computer.clone(), home])
        .await;

    let listed = listed_with_providers(&accounts);
    assert_eq!(listed[1], at(SAM, PROVIDER));
    assert_eq!(listed[0].1.as_deref(), Some(WORK), "named by its key");
    assert_eq!(listed[0].2, "error");
    assert!(accounts.choose(0));
    let Connection::Error { message, retryable } = accounts.status().connection else {
        panic!("not an error: {:?}", accounts.status().connection);
    };
    assert!(
        message.contains("no longer in the provider settings"),
        "{message}"
    );
    assert!(!retryable);

    accounts.disconnect().await;

    assert_eq!(listed_with_providers(&accounts), [at(SAM, PROVIDER)]);
    assert_eq!(slots(&two.desk.linked), [Slot(1)]);
}

#[tokio::test]
async fn a_grant_found_dead_at_start_drops_that_accounts_data_also_when_it_is_not_shown() {
    let desk = Desk::new().await;
    let (first_run, _host) = desk.start().await;
    desk.link_alex_and_sam(&first_run).await;
    drop(first_run);
    // Sam's grant dies meanwhile: the provider knows neither of the tokens saved for it.
    let entry = desk.setup.computer.tokens_entry_of(Slot(1));
    let mut saved: serde_json::Value =
        serde_json::from_str(&entry.read().unwrap().unwrap()).unwrap();
    saved["tokens"]["access_token"] = "taken-back".into();
    saved["tokens"]["refresh_token"] = "taken-back".into();
    entry.write(&saved.to_string()).unwrap();

    let (accounts, host) = desk.start().await;

    assert_eq!(
        listed(&accounts),
        [connected(ALEX, true), (None, "error", false)]
    );
    assert_eq!(host.forgotten(), [Slot(1)], "Sam's data only");
}

/// The names of the keyring entries of the account in `slot` among `names`: its manifest and
/// its parts.
fn entries_of(slot: Slot, base: &str, names: Vec<String>) -> Vec<String> {
    let name = match slot {
        Slot::FIRST => base.to_owned(),
        Slot(n) => format!("{base}-{n}"),
    };
    names
        .into_iter()
        .filter(|entry| *entry == name || entry.starts_with(&format!("{name}.")))
        .collect()
}

/// Work Photos leaves the settings with Alex linked there (and a sign-in an earlier process
/// kept for Alex's account); the next process starts with the first provider and Home Photos.
async fn restart_without_work(
    two: &TwoProviders,
) -> (Arc<Accounts<FakeHost>>, FakeHost, CredentialManagerStandIn) {
    let (first_run, _host) = two.start().await;
    two.link_alex_at_work_and_sam(&first_run).await;
    drop(first_run);
    let computer = &two.desk.setup.computer;
    SplitEntry::sign_in(Arc::new(computer.sign_in.clone()), Slot::FIRST)
        .write("a sign-in kept by an earlier process")
        .unwrap();
    let home = FakeComputer {
        provider_name: "Home Photos".into(),
        ..computer.clone()
    };
    let (accounts, host) = two.start_with(vec![computer.clone(), home]).await;
    (accounts, host, computer.tokens.clone())
}

#[tokio::test]
async fn disconnecting_an_account_whose_provider_left_the_settings_deletes_every_entry_of_it() {
    let two = TwoProviders::new().await;
    let (accounts, host, keyring) = restart_without_work(&two).await;
    let sign_ins = two.desk.setup.computer.sign_in.clone();
    assert!(
        entries_of(Slot::FIRST, "oauth-tokens", keyring.names()).len() > 1,
        "Alex's connection is kept over a manifest and parts: {:?}",
        keyring.names()
    );
    let sams = entries_of(Slot(1), "oauth-tokens", keyring.names());
    assert!(!sams.is_empty());
    assert!(accounts.choose(0));

    accounts.disconnect().await;

    assert_eq!(
        entries_of(Slot::FIRST, "oauth-tokens", keyring.names()),
        Vec::<String>::new()
    );
    assert_eq!(
        entries_of(Slot::FIRST, "sign-in", sign_ins.names()),
        Vec::<String>::new()
    );
    assert_eq!(entries_of(Slot(1), "oauth-tokens", keyring.names()), sams);
    assert!(
        !host.forgotten().is_empty() && host.forgotten().iter().all(|s| *s == Slot::FIRST),
        "Alex's data only: {:?}",
        host.forgotten()
    );
    assert_eq!(notices(&host), [messages::access_not_withdrawn(None)]);
}

/// Every notice the window was shown.
fn notices(host: &FakeHost) -> Vec<String> {
    let shown = host.shown.lock().unwrap();
    let mut notices: Vec<String> = shown
        .iter()
        .filter_map(|status| status.notice.as_ref().map(|n| n.message.clone()))
        .collect();
    notices.dedup();
    notices
}

#[tokio::test]
async fn an_account_whose_provider_left_and_whose_entry_the_keyring_keeps_is_tombstoned() {
    let two = TwoProviders::new().await;
    let (accounts, host, keyring) = restart_without_work(&two).await;
    let alexs = entries_of(Slot::FIRST, "oauth-tokens", keyring.names());
    assert!(accounts.choose(0));
    keyring.fail_deletes.store(true, Ordering::SeqCst);

    accounts.disconnect().await;

    assert_eq!(notices(&host), [messages::DISCONNECTED_KEYRING_KEPT]);
    assert_eq!(
        entries_of(Slot::FIRST, "oauth-tokens", keyring.names()),
        alexs
    );
    // The tombstone keeps it from being restored, even for a provider at its issuer.
    keyring.fail_deletes.store(false, Ordering::SeqCst);
    let (store, problem) = KeyringTokenStore::open(
        two.work.issuer.clone(),
        Box::new(two.desk.setup.computer.tokens_entry_of(Slot::FIRST)),
        ForgottenEntries::at(two.desk.setup.computer.forgotten.clone()),
    );
    assert_eq!(problem, None);
    assert!(store.load().unwrap().is_none(), "Alex's tokens came back");
    assert_eq!(
        entries_of(Slot::FIRST, "oauth-tokens", keyring.names()),
        Vec::<String>::new(),
        "the delete is retried when the entry is opened again"
    );
}

#[tokio::test]
async fn with_one_provider_in_the_settings_every_account_is_at_it_whatever_it_recorded() {
    let two = TwoProviders::new().await;
    let only_the_first = || vec![two.desk.setup.computer.clone()];
    let (first_run, _host) = two.start_with(only_the_first()).await;
    first_run.connect().await;
    first_run.finish(&two.desk.approve_as(ALEX).await).await;
    drop(first_run);
    for account in two.desk.linked.lock().unwrap().iter_mut() {
        account.provider = Some("Its name before it was renamed".into());
    }

    let (accounts, _host) = two.start_with(only_the_first()).await;

    assert_eq!(listed_with_providers(&accounts), [at(ALEX, PROVIDER)]);
}
