//! Shared test helpers.

pub mod consent;
pub mod mock;
pub mod provider;
pub mod store;
