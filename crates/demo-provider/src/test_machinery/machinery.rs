//! Where the test machinery meets the provider: the one place that decides whether it exists.
//!
//! With the `test-machinery` feature, handlers count what they see in [`Counters`] and ask the
//! [`FaultSwitch`] whether to misbehave (see [`crate::test_machinery::faults`] and [`crate::test_machinery::stats`]). Without
//! it, which is how PhotoLink ships, both are empty types whose calls compile to nothing, and a
//! [`ServedFault`] cannot exist, so no handler holds a line of fault code and the release
//! binary has no test route.

#[cfg(feature = "test-machinery")]
pub(crate) use crate::test_machinery::faults::FaultSwitch;
#[cfg(feature = "test-machinery")]
pub(crate) use crate::test_machinery::stats::Counters;
#[cfg(not(feature = "test-machinery"))]
pub(crate) use without::{Counters, FaultSwitch};

/// The endpoint group a fault belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultTarget {
    Token,
    Photos,
    Discovery,
    Jwks,
    PushedAuthorization,
    Userinfo,
}

/// What the provider counts; each is the [`Stats`](crate::Stats) member of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    ConsentPages,
    Approvals,
    Denials,
    TokenRequests,
    TokenErrors,
    AuthorizationCodeGrants,
    RefreshGrants,
    CodeReuseDetected,
    RefreshReuseDetected,
    RevocationRequests,
    GrantsRevoked,
    UserinfoRequests,
    PushedAuthorizationRequests,
    JwksRequests,
    IdTokensIssued,
    PhotoListRequests,
    ImageRequests,
    ThumbnailRequests,
    UnauthorizedRequests,
    DpopProofsAccepted,
    DpopProofsRefused,
    DpopNoncesDemanded,
}

impl Count {
    /// How many there are.
    #[cfg(feature = "test-machinery")]
    pub(crate) const KINDS: usize = Self::DpopNoncesDemanded as usize + 1;
}

#[cfg(not(feature = "test-machinery"))]
mod without {
    use std::sync::Arc;

    use axum::response::Response;

    use super::{Count, FaultTarget};
    use crate::shared::provider::Provider;

    /// Nothing is counted.
    pub(crate) struct Counters;

    impl Counters {
        pub fn new(_presented_refresh_tokens: usize) -> Self {
            Self
        }

        pub fn bump(&self, _: Count) {}

        pub fn record_photo_list_request_time(&self) {}

        pub fn record_refresh_token_presented(&self, _refresh_token: &str) {}
    }

    /// No fault is ever armed.
    pub(crate) struct FaultSwitch;

    impl FaultSwitch {
        pub fn new(_: Arc<Counters>) -> Self {
            Self
        }

        pub fn take(&self, _: FaultTarget) -> Option<ServedFault> {
            None
        }

        pub fn clear(&self) {}
    }

    /// Uninhabited: no request is ever answered by a fault.
    pub(crate) enum ServedFault {}

    impl ServedFault {
        pub fn does_the_work(&self) -> bool {
            match *self {}
        }

        pub async fn answer(self, _: &Provider) -> Response {
            match self {}
        }
    }
}
