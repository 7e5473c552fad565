//! Shared test helpers.

pub mod consent;
pub mod mock;
pub mod provider;
pub mod store;

use photolink_oauth::Error;

/// Asserts that `error` is an answer the client could not use, with HTTP `status`.
#[track_caller]
pub fn assert_unexpected_status(error: &Error, status: u16) {
    assert!(
        matches!(error, Error::UnexpectedResponse { status: found, .. } if *found == status),
        "{error:?}"
    );
}
