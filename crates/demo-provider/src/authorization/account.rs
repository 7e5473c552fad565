//! The demo account that is always signed in.

/// Stable subject identifier of the demo account.
pub(crate) const SUBJECT: &str = "demo-user-alex";
/// Display name of the demo account.
pub(crate) const NAME: &str = "Alex Rivera";
/// Email address of the demo account.
pub(crate) const EMAIL: &str = "alex@demo.photos";
/// Initials shown in the account badge.
pub(crate) const INITIALS: &str = "AR";
