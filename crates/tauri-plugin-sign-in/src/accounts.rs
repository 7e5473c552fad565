//! Several linked accounts: a keyed collection of [`AccountConnection`]s, one per account,
//! each with its own phase, session (tokens, DPoP key, refresh), keyring entries and sign-in.
//! The window shows the chosen account's status and the list of every account.
//!
//! # Rules
//!
//! - **Each account is a [`Slot`]**: its keyring entries are named by it (the first slot keeps
//!   the names of the single account linked before, so that account is restored as
//!   the first). The slots of linked accounts are listed, without secrets, by the [`Host`], so
//!   a restart restores every one of them without the browser.
//! - **One sign-in waits at a time**: connecting or adding an account ends a sign-in that waits
//!   for another one first, so a callback can only ever be for the one that waits, and goes to
//!   it.
//! - **An account is linked once**: a sign-in that ends connected to the issuer and subject of
//!   another account says so, gives its new grant back and leaves the other as it was.
//! - **Disconnect acts on the chosen account only**: the others keep their grants.
//! - **Each account belongs to one provider** of the settings, recorded by its key in the list
//!   of linked accounts (an account listed without one belongs to the settings' first provider,
//!   as every account did before a settings file could name several). An account whose
//!   provider left the settings shows why, and can still be disconnected: its keyring entries
//!   are deleted by their names, as no provider is needed for that.
//! - **An account added beside a linked one at the same provider asks for the provider's
//!   account chooser** (`prompt=select_account`).

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use photolink_oauth::sync::lock;
use serde::{Deserialize, Serialize};

use crate::connection::{AccountConnection, Os, Window};
use crate::error::Error;
use crate::loopback::CallbackOutcome;
use crate::messages;
use crate::provider::Provider;
use crate::status::{AccountItem, Connection, ProviderSummary, Status, Tone};
use crate::store::Slot;

/// What the accounts live in: the window, each account's OS, the list of linked accounts.
pub trait Host: Send + Sync + 'static {
    type Os: Os;
    /// The OS for the account in `slot` at the provider whose key is `provider` (the settings'
    /// first when `None`); `choose_account` when it is added beside a linked one there.
    fn os(&self, slot: Slot, provider: Option<&str>, choose_account: bool) -> Self::Os;
    /// Shows the window's status (the chosen account's, with the list).
    fn show(&self, status: &Status);
    /// The data of the account in `slot` went away (Disconnect, a new sign-in, a dead grant):
    /// the app drops what it keeps of that account.
    fn forget_account_data(&self, slot: Slot);
    /// The accounts linked when this process last changed them (blocking).
    fn linked(&self) -> Vec<LinkedAccount>;
    /// Keeps the linked accounts for the next start (blocking; no secrets).
    fn keep_linked(&self, accounts: &[LinkedAccount]);
}

/// A linked account as the list kept for the next start records it: its slot, and its
/// provider's key. A list written before accounts named their provider holds bare slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Listed")]
pub struct LinkedAccount {
    pub slot: Slot,
    /// `None`: the settings' first provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// How a list entry may be written.
#[derive(Deserialize)]
#[serde(untagged)]
enum Listed {
    Slot(Slot),
    Account {
        slot: Slot,
        #[serde(default)]
        provider: Option<String>,
    },
}

impl From<Listed> for LinkedAccount {
    fn from(listed: Listed) -> Self {
        match listed {
            Listed::Slot(slot) => Self {
                slot,
                provider: None,
            },
            Listed::Account { slot, provider } => Self { slot, provider },
        }
    }
}

/// One account's connection, told apart by its slot.
pub type Connected<H> = AccountConnection<AccountWindow<H>, <H as Host>::Os>;

/// The window as one account sees it: its status goes into the list.
pub struct AccountWindow<H: Host> {
    slot: Slot,
    accounts: Weak<Accounts<H>>,
}

impl<H: Host> Window for AccountWindow<H> {
    fn show(&self, status: &Status) {
        if let Some(accounts) = self.accounts.upgrade() {
            accounts.shown(self.slot, status.clone());
        }
    }

    fn forget_account_data(&self) {
        if let Some(accounts) = self.accounts.upgrade() {
            accounts.host.forget_account_data(self.slot);
        }
    }
}

struct Entry<H: Host> {
    slot: Slot,
    /// Its provider's key (`None`: the settings' first, while they cannot be read).
    provider: Option<String>,
    connection: Arc<Connected<H>>,
    /// Its status as last shown.
    status: Status,
    /// Whether it is in the list of linked accounts (kept for the next start).
    linked: bool,
    /// The account's name as last shown connected: it names the account in the list also
    /// once it needs connecting again.
    name: Option<String>,
}

struct List<H: Host> {
    entries: Vec<Entry<H>>,
    chosen: Slot,
    revision: u64,
    /// The providers of the settings, once read.
    announced: Vec<ProviderSummary>,
}

impl<H: Host> List<H> {
    /// The key of the provider of an account that recorded `recorded`: with one provider in
    /// the settings, that one (so a file of one provider may rename it, as it always could);
    /// else `recorded`, the first's when nothing is recorded.
    fn provider_key(&self, recorded: Option<String>) -> Option<String> {
        match self.announced.as_slice() {
            [only] => Some(only.id.clone()),
            [first, ..] => recorded.or_else(|| Some(first.id.clone())),
            [] => recorded,
        }
    }

    /// The provider whose key is `key` (`None`: the first), when the settings have it.
    fn provider(&self, key: Option<&str>) -> Option<&ProviderSummary> {
        match key {
            None => self.announced.first(),
            Some(key) => self.announced.iter().find(|provider| provider.id == key),
        }
    }
}

/// Every account of this process. Share it as `Arc<Accounts<_>>`.
pub struct Accounts<H: Host> {
    host: H,
    me: Weak<Self>,
    list: Mutex<List<H>>,
    /// The checks of newly connected accounts that run; a step that can connect one waits
    /// for them before it returns.
    checks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Whether start-up has opened every account of the list: a link waits for that, so that
    /// it can go to the account whose sign-in it finishes.
    listed: tokio::sync::watch::Sender<bool>,
}

impl<H: Host> Accounts<H> {
    pub fn new(host: H) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            host,
            me: me.clone(),
            list: Mutex::new(List {
                entries: Vec::new(),
                chosen: Slot::FIRST,
                revision: 0,
                announced: Vec::new(),
            }),
            checks: Mutex::new(Vec::new()),
            listed: tokio::sync::watch::Sender::new(false),
        })
    }

    fn list(&self) -> MutexGuard<'_, List<H>> {
        lock(&self.list)
    }

    /// Says which providers the app may connect to, before any is set up.
    pub fn announce(&self, providers: Vec<ProviderSummary>) {
        let announced: Vec<_> = {
            let mut list = self.list();
            list.announced = providers;
            let list = &mut *list;
            for at in 0..list.entries.len() {
                if list.entries[at].provider.is_none() {
                    list.entries[at].provider = list.provider_key(None);
                }
            }
            list.entries
                .iter()
                .filter_map(|entry| {
                    let provider = list.provider(entry.provider.as_deref())?;
                    Some((entry.connection.clone(), provider.clone()))
                })
                .collect()
        };
        for (connection, provider) in announced {
            connection.announce(provider);
        }
    }

    /// The account in `slot` at the provider whose key is `provider` (the first when `None`),
    /// opened (not shown until it says where it stands) unless it is open already.
    fn open(
        &self,
        slot: Slot,
        provider: Option<String>,
        choose_account: bool,
        linked: bool,
    ) -> Arc<Connected<H>> {
        let provider = self.list().provider_key(provider);
        let window = AccountWindow {
            slot,
            accounts: self.me.clone(),
        };
        let os = self.host.os(slot, provider.as_deref(), choose_account);
        let connection = AccountConnection::new(window, os);
        let status = connection.status();
        let announced = {
            let mut list = self.list();
            if let Some(open) = list.entries.iter().find(|entry| entry.slot == slot) {
                return open.connection.clone();
            }
            let announced = list.provider(provider.as_deref()).cloned();
            list.entries.push(Entry {
                slot,
                provider,
                connection: connection.clone(),
                status,
                linked,
                name: None,
            });
            announced
        };
        if let Some(provider) = announced {
            connection.announce(provider);
        }
        connection
    }

    /// At start: restores every linked account (the first slot always), each as it was, in
    /// parallel and without the browser. The first is chosen.
    pub async fn start_up(&self) {
        let mut linked = photolink_oauth::sync::blocking({
            let me = self.me.clone();
            move || me.upgrade().map(|me| me.host.linked()).unwrap_or_default()
        })
        .await;
        if !linked.iter().any(|account| account.slot == Slot::FIRST) {
            linked.insert(
                0,
                LinkedAccount {
                    slot: Slot::FIRST,
                    provider: None,
                },
            );
        }
        linked.sort_by_key(|account| account.slot);
        linked.dedup_by_key(|account| account.slot);
        let connections: Vec<_> = linked
            .iter()
            .map(|account| self.open(account.slot, account.provider.clone(), false, true))
            .collect();
        self.list().chosen = linked[0].slot;
        self.listed.send_replace(true);
        // In parallel: each start-up reads its own keyring entries.
        let started: Vec<_> = connections
            .into_iter()
            .map(|connection| tokio::spawn(async move { connection.start_up().await }))
            .collect();
        for start_up in started {
            if let Err(error) = start_up.await {
                tracing::warn!(%error, "an account's start-up did not finish");
            }
        }
        self.checked().await;
        // Accounts listed but no longer in the keyring are not accounts any more.
        let gone: Vec<Slot> = {
            let list = self.list();
            list.entries
                .iter()
                .filter(|entry| entry.status.connection == Connection::Disconnected)
                .map(|entry| entry.slot)
                .collect()
        };
        for slot in gone {
            self.drop_unless_alone(slot);
        }
        // A sign-in an earlier process started for an account it added links that account
        // only once it connects.
        for entry in self.list().entries.iter_mut() {
            entry.linked = !matches!(entry.status.connection, Connection::Waiting);
        }
        self.choose_first_connected();
        self.keep_linked().await;
        self.emit();
    }

    /// The status the window shows: the chosen account's, with the list.
    pub fn status(&self) -> Status {
        let list = self.list();
        Self::window_status(&list)
    }

    fn window_status(list: &List<H>) -> Status {
        let chosen = list
            .entries
            .iter()
            .find(|entry| entry.slot == list.chosen)
            .or(list.entries.first());
        let mut status = match chosen {
            Some(entry) => entry.status.clone(),
            None => Status {
                revision: 0,
                connection: Connection::Disconnected,
                provider: list.announced.first().cloned(),
                notice: None,
                warning: None,
                accounts: Vec::new(),
                providers: Vec::new(),
            },
        };
        status.providers = list.announced.clone();
        status.revision = list.revision;
        status.accounts = list
            .entries
            .iter()
            .map(|entry| AccountItem {
                id: entry.slot.0,
                name: entry.name.clone(),
                // An account whose provider left the settings is named by its key.
                provider: entry
                    .status
                    .provider
                    .as_ref()
                    .map(|p| p.name.clone())
                    .or_else(|| entry.provider.clone()),
                state: entry.status.connection.state_name(),
                chosen: entry.slot == list.chosen,
            })
            .collect();
        status
    }

    /// An account showed a new status.
    fn shown(&self, slot: Slot, status: Status) {
        let newly_connected = {
            let mut list = self.list();
            let Some(entry) = list.entries.iter_mut().find(|entry| entry.slot == slot) else {
                return;
            };
            let was_connected = matches!(entry.status.connection, Connection::Connected { .. });
            let connected = matches!(status.connection, Connection::Connected { .. });
            match &status.connection {
                Connection::Connected { account, .. } => entry.name = Some(account.clone()),
                Connection::Disconnected => entry.name = None,
                _ => {}
            }
            entry.status = status;
            list.revision += 1;
            self.host.show(&Self::window_status(&list));
            connected && !was_connected
        };
        if newly_connected {
            let me = self.me.clone();
            let check = tokio::spawn(async move {
                if let Some(me) = me.upgrade() {
                    me.linked_now(slot).await;
                }
            });
            lock(&self.checks).push(check);
        }
    }

    /// Waits for the checks of newly connected accounts that run.
    async fn checked(&self) {
        loop {
            let Some(check) = lock(&self.checks).pop() else {
                return;
            };
            if let Err(error) = check.await {
                tracing::warn!(%error, "the check of a new account did not finish");
            }
        }
    }

    fn emit(&self) {
        let mut list = self.list();
        list.revision += 1;
        self.host.show(&Self::window_status(&list));
    }

    /// The account in `slot` connected: it is linked, unless it is an account linked already
    /// (same issuer and subject), which keeps its grant while the new one is given back.
    async fn linked_now(&self, slot: Slot) {
        let Some(connection) = self.connection(slot) else {
            return;
        };
        if let Some(who) = connection.linked_subject().await {
            for other in self.connections_but(slot) {
                if other.linked_subject().await.as_ref() == Some(&who) {
                    tracing::info!("that account is linked already; giving the new grant back");
                    connection.disconnect().await;
                    self.remove(slot);
                    let other_slot = self.slot_of(&other);
                    if let Some(other_slot) = other_slot {
                        self.list().chosen = other_slot;
                    }
                    self.host.forget_account_data(slot);
                    other.notify(Tone::Info, messages::ACCOUNT_ALREADY_LINKED);
                    self.emit();
                    self.keep_linked().await;
                    return;
                }
            }
        }
        if let Some(entry) = self.list().entries.iter_mut().find(|e| e.slot == slot) {
            entry.linked = true;
        }
        self.keep_linked().await;
    }

    /// Keeps the slots of the open accounts for the next start: the linked ones, and one
    /// added whose sign-in waits (so that the app started cold with its callback finishes
    /// it). An account that start-up finds disconnected leaves the list then.
    async fn keep_linked(&self) {
        let accounts: Vec<LinkedAccount> = {
            let list = self.list();
            list.entries
                .iter()
                .map(|entry| LinkedAccount {
                    slot: entry.slot,
                    provider: entry.provider.clone(),
                })
                .collect()
        };
        let me = self.me.clone();
        photolink_oauth::sync::blocking(move || {
            if let Some(me) = me.upgrade() {
                me.host.keep_linked(&accounts);
            }
        })
        .await;
    }

    fn connection(&self, slot: Slot) -> Option<Arc<Connected<H>>> {
        let list = self.list();
        list.entries
            .iter()
            .find(|entry| entry.slot == slot)
            .map(|entry| entry.connection.clone())
    }

    fn connections(&self) -> Vec<Arc<Connected<H>>> {
        let list = self.list();
        list.entries.iter().map(|e| e.connection.clone()).collect()
    }

    fn connections_but(&self, slot: Slot) -> Vec<Arc<Connected<H>>> {
        let list = self.list();
        list.entries
            .iter()
            .filter(|entry| entry.slot != slot)
            .map(|entry| entry.connection.clone())
            .collect()
    }

    fn slot_of(&self, connection: &Arc<Connected<H>>) -> Option<Slot> {
        let list = self.list();
        list.entries
            .iter()
            .find(|entry| Arc::ptr_eq(&entry.connection, connection))
            .map(|entry| entry.slot)
    }

    /// The chosen account's connection. Before start-up has read the list, that is the first
    /// account's (a command or a link may come first; its steps wait as they always do).
    pub fn chosen(&self) -> Arc<Connected<H>> {
        let found = {
            let list = self.list();
            list.entries
                .iter()
                .find(|entry| entry.slot == list.chosen)
                .or(list.entries.first())
                .map(|entry| entry.connection.clone())
        };
        found.unwrap_or_else(|| self.open(Slot::FIRST, None, false, true))
    }

    /// The chosen account's provider and session, once set up.
    pub fn provider(&self) -> Option<Arc<Provider>> {
        let list = self.list();
        let entry = list
            .entries
            .iter()
            .find(|entry| entry.slot == list.chosen)?;
        entry.connection.provider()
    }

    /// The provider and session of the account `id`, once set up.
    pub fn provider_of(&self, id: u32) -> Option<Arc<Provider>> {
        self.connection(Slot(id))?.provider()
    }

    /// The app's request with `provider`'s session failed: reported to the account of that
    /// session only (the person may have chosen another meanwhile).
    pub async fn connection_failed(&self, provider: &Provider, error: &photolink_oauth::Error) {
        let owner = self.connections().into_iter().find(|connection| {
            connection
                .provider()
                .is_some_and(|own| Arc::ptr_eq(&own.session, &provider.session))
        });
        match owner {
            Some(connection) => connection.connection_failed(error).await,
            None => tracing::info!("a failure was reported for an account no longer linked"),
        }
    }

    fn remove(&self, slot: Slot) {
        let mut list = self.list();
        list.entries.retain(|entry| entry.slot != slot);
        if list.chosen == slot {
            list.chosen = list.entries.first().map_or(Slot::FIRST, |entry| entry.slot);
        }
    }

    fn drop_unless_alone(&self, slot: Slot) {
        if self.list().entries.len() > 1 {
            self.remove(slot);
        }
    }

    /// After start-up: the first connected account is chosen, unless the chosen one is.
    fn choose_first_connected(&self) {
        let mut list = self.list();
        let is_connected =
            |entry: &Entry<H>| matches!(entry.status.connection, Connection::Connected { .. });
        let chosen_connected = list
            .entries
            .iter()
            .any(|entry| entry.slot == list.chosen && is_connected(entry));
        let first_connected = list
            .entries
            .iter()
            .find(|e| is_connected(e))
            .map(|e| e.slot);
        if let (false, Some(slot)) = (chosen_connected, first_connected) {
            list.chosen = slot;
        }
    }

    /// Ends a sign-in that waits for any account but `slot`, so that only one waits; an
    /// account added for that sign-in only goes with it.
    async fn end_other_sign_ins(&self, slot: Slot) {
        let waiting: Vec<(Slot, Arc<Connected<H>>, bool)> = {
            let list = self.list();
            list.entries
                .iter()
                .filter(|entry| {
                    entry.slot != slot && entry.status.connection == Connection::Waiting
                })
                .map(|entry| (entry.slot, entry.connection.clone(), entry.linked))
                .collect()
        };
        for (other, connection, linked) in waiting {
            connection.cancel().await;
            if !linked {
                self.remove(other);
            }
        }
    }

    /// Shows the account `id`'s status (and the app its gallery: [`Accounts::provider`] is
    /// then its own). False when there is no such account.
    pub fn choose(&self, id: u32) -> bool {
        let slot = Slot(id);
        {
            let mut list = self.list();
            if list.chosen == slot || !list.entries.iter().any(|entry| entry.slot == slot) {
                return list.chosen == slot;
            }
            list.chosen = slot;
        }
        // Nothing of either account is forgotten: the app tells them apart by their sessions.
        self.emit();
        true
    }

    /// Connects the chosen account (a sign-in waiting for another one ends first).
    pub async fn connect(&self) {
        let chosen = self.chosen();
        if let Some(slot) = self.slot_of(&chosen) {
            self.end_other_sign_ins(slot).await;
        }
        chosen.connect().await;
    }

    /// "Try again" for the chosen account (a sign-in waiting for another one ends first).
    pub async fn retry(&self) {
        let chosen = self.chosen();
        if let Some(slot) = self.slot_of(&chosen) {
            self.end_other_sign_ins(slot).await;
        }
        chosen.retry().await;
    }

    /// Adds an account at the provider whose key is `provider` (the first when `None`): a
    /// sign-in for a new slot, chosen at once. At a provider with a linked account the provider
    /// is asked for its account chooser.
    pub async fn add(&self, provider: Option<String>) -> Result<(), Error> {
        let (slot, provider, choose_account) = {
            let list = self.list();
            let provider = match (provider, list.announced.is_empty()) {
                (Some(key), false) => Some(
                    list.provider(Some(&key))
                        .ok_or(Error::NoSuchProvider)?
                        .id
                        .clone(),
                ),
                (asked, _) => asked.or_else(|| list.announced.first().map(|p| p.id.clone())),
            };
            let mut slot = Slot::FIRST;
            while list.entries.iter().any(|entry| entry.slot == slot) {
                slot = Slot(slot.0 + 1);
            }
            let connected_there = list.entries.iter().any(|entry| {
                entry.provider == provider
                    && matches!(entry.status.connection, Connection::Connected { .. })
            });
            (slot, provider, connected_there)
        };
        // A chosen account that is not connected is the one to connect, at its provider; one
        // that never linked anything takes the provider asked for.
        let chosen = self.chosen();
        if !matches!(chosen.status().connection, Connection::Connected { .. }) {
            let replaced = {
                let mut list = self.list();
                let chosen_slot = list.chosen;
                let entry = list.entries.iter().find(|e| e.slot == chosen_slot);
                let other_provider = entry.is_some_and(|e| e.provider != provider);
                let nothing_linked =
                    entry.is_some_and(|e| e.status.connection == Connection::Disconnected);
                match (other_provider, nothing_linked) {
                    (false, _) => None,
                    (true, true) => {
                        list.entries.retain(|e| e.slot != chosen_slot);
                        Some(Some(chosen_slot))
                    }
                    (true, false) => Some(None),
                }
            };
            match replaced {
                None => {
                    self.connect().await;
                    return Ok(());
                }
                Some(Some(slot)) => {
                    self.end_other_sign_ins(slot).await;
                    let connection = self.open(slot, provider, false, true);
                    self.list().chosen = slot;
                    self.emit();
                    connection.connect().await;
                    self.keep_linked().await;
                    return Ok(());
                }
                Some(None) => {}
            }
        }
        self.end_other_sign_ins(slot).await;
        let connection = self.open(slot, provider, choose_account, false);
        self.list().chosen = slot;
        connection.connect().await;
        self.keep_linked().await;
        Ok(())
    }

    /// Gives up the sign-in the chosen account waits for; an account added for it goes.
    pub async fn cancel(&self) {
        let chosen = self.chosen();
        chosen.cancel().await;
        self.drop_unlinked(&chosen);
        self.keep_linked().await;
    }

    /// An account added whose sign-in was given up (it is disconnected, never linked) goes
    /// from the list; one whose sign-in failed stays, to show why, until Disconnect.
    fn drop_unlinked(&self, connection: &Arc<Connected<H>>) {
        let unlinked = {
            let list = self.list();
            list.entries
                .iter()
                .find(|entry| {
                    Arc::ptr_eq(&entry.connection, connection)
                        && !entry.linked
                        && entry.status.connection == Connection::Disconnected
                })
                .map(|entry| entry.slot)
        };
        if let Some(slot) = unlinked {
            self.drop_unless_alone(slot);
            self.host.forget_account_data(slot);
            self.emit();
        }
    }

    /// Disconnects the chosen account only: its grant is revoked and it leaves the list (the
    /// last account stays, disconnected, as a single account always did).
    pub async fn disconnect(&self) {
        let chosen = self.chosen();
        chosen.disconnect().await;
        if let Some(slot) = self.slot_of(&chosen) {
            self.drop_unless_alone(slot);
            if let Some(entry) = self.list().entries.iter_mut().find(|e| e.slot == slot) {
                entry.linked = false;
            }
            self.host.forget_account_data(slot);
        }
        self.keep_linked().await;
        self.emit();
    }

    /// A sign-in link (once start-up has opened every account): goes to the account whose
    /// sign-in waits (only one does), else to the account whose sign-in in the keyring it is
    /// addressed to (an earlier process started it), else to the chosen one (which says the
    /// link is not for a sign-in in progress).
    pub async fn finish(&self, callback_url: &str) -> CallbackOutcome {
        let mut listed = self.listed.subscribe();
        // The sender lives as long as `self`: waiting cannot fail.
        let _ = listed.wait_for(|listed| *listed).await;
        let waiting = {
            let list = self.list();
            list.entries
                .iter()
                .find(|entry| entry.status.connection == Connection::Waiting)
                .map(|entry| entry.connection.clone())
        };
        let mut addressed = None;
        if waiting.is_none() {
            for connection in self.connections() {
                if connection.keeps_sign_in_for(callback_url).await {
                    addressed = Some(connection);
                    break;
                }
            }
        }
        let connection = waiting.or(addressed).unwrap_or_else(|| self.chosen());
        let outcome = connection.finish(callback_url).await;
        self.checked().await;
        self.drop_unlinked(&connection);
        // The account just signed in to is the one shown (a cold start shows it too).
        let signed_in = {
            let list = self.list();
            list.entries
                .iter()
                .find(|entry| Arc::ptr_eq(&entry.connection, &connection))
                .filter(|entry| matches!(entry.status.connection, Connection::Connected { .. }))
                .map(|entry| entry.slot)
        };
        if let Some(slot) = signed_in {
            self.choose(slot.0);
        }
        self.keep_linked().await;
        outcome
    }
}
