//! The demo accounts. Demo Photos has no passwords: its consent page asks for a name, and each
//! name is an account of its own (the same name, in any case and spacing, the same account), so
//! an app can link several accounts without any setup. The page suggests Alex Rivera, the
//! account every sign-in used before there were several.
//!
//! An account is kept as its name (in the grants, and in the state file); everything else about
//! it is made from the name: its subject (`sub`), e-mail address and initials.

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

/// The longest name, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 40;
/// The name of the account the consent page suggests.
const SUGGESTED_NAME: &str = "Alex Rivera";
/// The suggested account's subject, e-mail address and initials, as they always were.
const SUGGESTED_SUBJECT: &str = "demo-user-alex";
const SUGGESTED_EMAIL: &str = "alex@demo.photos";
/// The domain of every demo account's e-mail address.
const EMAIL_DOMAIN: &str = "demo.photos";

/// A demo account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub(crate) struct Account {
    /// As typed, with its spaces tidied.
    name: String,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            name: SUGGESTED_NAME.to_owned(),
        }
    }
}

impl Account {
    /// The account called `typed`: leading, trailing and repeated spaces dropped. `None` for a
    /// name that is empty, longer than [`MAX_NAME_CHARS`] or holds a control character.
    pub fn named(typed: &str) -> Option<Self> {
        let name = typed.split_whitespace().collect::<Vec<_>>().join(" ");
        let fits = (1..=MAX_NAME_CHARS).contains(&name.chars().count());
        (fits && !name.chars().any(char::is_control)).then_some(Self { name })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The stable subject identifier: the same for the same name in any case.
    pub fn subject(&self) -> String {
        if self.is_suggested() {
            return SUGGESTED_SUBJECT.to_owned();
        }
        format!("demo-user-{}", self.key())
    }

    /// `first.last@demo.photos` from the name's letters and digits, or a key of the name when
    /// it has none of ASCII.
    pub fn email(&self) -> String {
        if self.is_suggested() {
            return SUGGESTED_EMAIL.to_owned();
        }
        let words: Vec<String> = self
            .name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let local = if words.is_empty() {
            format!("user-{}", self.key())
        } else {
            words.join(".")
        };
        format!("{local}@{EMAIL_DOMAIN}")
    }

    /// Up to two initials: of the first and the last word.
    pub fn initials(&self) -> String {
        let words: Vec<&str> = self.name.split(' ').collect();
        let first = words.first().and_then(|word| word.chars().next());
        let last = (words.len() > 1)
            .then(|| words.last().and_then(|word| word.chars().next()))
            .flatten();
        first
            .into_iter()
            .chain(last)
            .flat_map(char::to_uppercase)
            .collect()
    }

    fn is_suggested(&self) -> bool {
        self.name.to_lowercase() == SUGGESTED_NAME.to_lowercase()
    }

    /// 16 hex digits of the SHA-256 of the name in lower case.
    fn key(&self) -> String {
        let digest = Sha256::digest(self.name.to_lowercase().as_bytes());
        digest[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

/// A saved name that is no longer a valid one (a state file edited by hand) is the suggested
/// account, not a failure to start.
impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::named(&String::deserialize(deserializer)?).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suggested_account_keeps_the_subject_and_address_it_always_had() {
        let alex = Account::default();
        assert_eq!(alex.name(), "Alex Rivera");
        assert_eq!(alex.subject(), "demo-user-alex");
        assert_eq!(alex.email(), "alex@demo.photos");
        assert_eq!(alex.initials(), "AR");
        assert_eq!(
            Account::named("  alex   RIVERA ").unwrap().subject(),
            alex.subject()
        );
    }

    #[test]
    fn each_name_is_an_account_of_its_own_in_any_case_and_spacing() {
        let sam = Account::named("Sam Lee").unwrap();
        assert_eq!(
            sam.subject(),
            Account::named(" sam  lee").unwrap().subject()
        );
        assert_ne!(sam.subject(), Account::named("Sam Leek").unwrap().subject());
        assert_ne!(sam.subject(), Account::default().subject());
        assert_eq!(sam.email(), "sam.lee@demo.photos");
        assert_eq!(sam.initials(), "SL");
        assert_eq!(Account::named(" sam  lee").unwrap().name(), "sam lee");
    }

    #[test]
    fn a_name_without_ascii_letters_gets_an_address_from_its_key() {
        let name = Account::named("Ёжик в тумане").unwrap();
        assert!(name.email().starts_with("user-"), "{}", name.email());
        assert!(name.email().ends_with("@demo.photos"));
        assert_eq!(name.initials(), "ЁТ");
        assert!(name.subject().starts_with("demo-user-"));
        assert_eq!(name.subject().len(), "demo-user-".len() + 16);
    }

    #[test]
    fn empty_long_or_control_names_are_no_accounts() {
        for bad in ["", "   ", "a\u{0}b", "escape\u{1b}[2J"] {
            assert_eq!(Account::named(bad), None, "{bad:?}");
        }
        let longest = "x".repeat(MAX_NAME_CHARS);
        assert!(Account::named(&longest).is_some());
        assert_eq!(Account::named(&format!("{longest}x")), None);
        // Tabs and new lines are spaces between words, not control characters kept.
        assert_eq!(Account::named("Sam\tLee\n").unwrap().name(), "Sam Lee");
    }

    #[test]
    fn a_saved_name_reads_back_and_a_bad_one_is_the_suggested_account() {
        let sam: Account = serde_json::from_str("\"Sam Lee\"").unwrap();
        assert_eq!(sam, Account::named("Sam Lee").unwrap());
        assert_eq!(serde_json::to_string(&sam).unwrap(), "\"Sam Lee\"");
        let bad: Account = serde_json::from_str("\"\"").unwrap();
        assert_eq!(bad, Account::default());
    }
}
