//! What the window is told: the connection status (the `status` command's answer and the
//! `connection-changed` event's payload). Nothing here is a secret.

use serde::Serialize;

/// Where the connection stands; serialized with a `state` tag the UI and tests read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Connection {
    Disconnected,
    /// The authorization page is open in the browser; waiting for the deep link.
    Waiting,
    /// The callback arrived; the code is being exchanged for tokens.
    Exchanging,
    Connected {
        /// Display name of the account (its name or e-mail, else the provider's name).
        account: String,
        /// The account's e-mail when it is not already the display name.
        email: Option<String>,
        /// Scopes the provider granted.
        scopes: Vec<String>,
    },
    Error {
        /// A sentence for people.
        message: String,
        /// Whether trying again (Connect) can help without changing anything else.
        retryable: bool,
    },
}

/// The provider the app connects to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderSummary {
    /// The provider's key in the settings (its `id`, else its name): what an account records
    /// of its provider, and what Add account names.
    pub id: String,
    pub name: String,
    /// `None` while the embedded provider is starting.
    pub issuer: Option<String>,
    /// True for the demo provider running inside the app.
    pub embedded: bool,
}

/// A passing message that does not change the connection (an ignored link, a keyring warning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Increases with every notice, so the window can tell a repeated message from an old one.
    pub id: u64,
    pub message: String,
    pub tone: Tone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    Info,
    Warning,
}

/// Everything the window shows about the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Increases with every change, so the window can drop an answer older than an event.
    pub revision: u64,
    #[serde(flatten)]
    pub connection: Connection,
    /// `None` until the provider settings have been read (or when they are invalid).
    pub provider: Option<ProviderSummary>,
    pub notice: Option<Notice>,
    /// A warning that stays while its cause lasts (e.g. the keyring cannot keep the connection).
    pub warning: Option<String>,
    /// Every account in the window's list, in the order they were added; the status above is
    /// the chosen one's.
    pub accounts: Vec<AccountItem>,
    /// Every provider of the settings, in their order: Add account asks which one when there
    /// are several.
    pub providers: Vec<ProviderSummary>,
}

/// One account of the window's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountItem {
    /// Names the account in commands (`choose`).
    pub id: u32,
    /// The account's name once it has connected (kept while it needs connecting again), else
    /// `None`.
    pub name: Option<String>,
    /// The provider's name.
    pub provider: Option<String>,
    /// The same state names as [`Connection`]'s.
    pub state: &'static str,
    pub chosen: bool,
}

impl Connection {
    /// The state's name, as serialized.
    pub fn state_name(&self) -> &'static str {
        match self {
            Self::Disconnected => "disconnected",
            Self::Waiting => "waiting",
            Self::Exchanging => "exchanging",
            Self::Connected { .. } => "connected",
            Self::Error { .. } => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_name_is_a_flat_field() {
        let status = Status {
            revision: 1,
            connection: Connection::Error {
                message: "No.".into(),
                retryable: true,
            },
            provider: Some(ProviderSummary {
                id: "Demo Photos".into(),
                name: "Demo Photos".into(),
                issuer: Some("http://127.0.0.1:1".into()),
                embedded: true,
            }),
            notice: None,
            warning: None,
            accounts: Vec::new(),
            providers: Vec::new(),
        };
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(json["state"], "error");
        assert_eq!(json["message"], "No.");
        assert_eq!(json["retryable"], true);
        assert_eq!(json["provider"]["name"], "Demo Photos");
        let waiting = serde_json::to_value(Status {
            connection: Connection::Waiting,
            ..status
        })
        .unwrap();
        assert_eq!(waiting["state"], "waiting");
        for connection in [
            Connection::Disconnected,
            Connection::Exchanging,
            Connection::Connected {
                account: "A".into(),
                email: None,
                scopes: Vec::new(),
            },
        ] {
            let json = serde_json::to_value(&connection).unwrap();
            assert_eq!(json["state"], connection.state_name());
        }
    }
}
