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

pub(crate) use crate::test_machinery::kinds::{Count, FaultTarget};

#[cfg(not(feature = "test-machinery"))]
mod without {
    use std::sync::Arc;

    use axum::response::Response;

    use super::{Count, FaultTarget};

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

        pub async fn answer<Provider>(self, _: &Provider) -> Response {
            match self {}
        }
    }
}
