//! The test machinery: fault injection, the test control routes, the exchange log, the
//! counters and the consent page driver the tests sign in with, compiled only with the
//! `test-machinery` feature. `machinery` (the hooks the endpoints call, empty without the feature)
//! and `kinds` (what the hooks name) are compiled either way.

#[cfg(feature = "test-machinery")]
pub mod consent_page;
#[cfg(feature = "test-machinery")]
pub(crate) mod exchanges;
#[cfg(feature = "test-machinery")]
mod fault_answers;
#[cfg(feature = "test-machinery")]
pub(crate) mod faults;
pub(crate) mod kinds;
pub(crate) mod machinery;
#[cfg(feature = "test-machinery")]
pub(crate) mod stats;
#[cfg(feature = "test-machinery")]
pub(crate) mod test_controls;
