//! Demo Photos: a strict OAuth 2.0 authorization server and photo API on loopback.
//!
//! PhotoLink embeds it as its default provider, and every test talks to it over real HTTP.
//! (Full documentation of the public API follows below once complete.)

mod account;
mod authorize;
mod bearer;
mod client;
mod client_auth;
mod config;
mod consent;
mod endpoints;
mod grants;
mod handle;
mod images;
mod library;
mod metadata;
mod oauth_error;
mod pages;
mod params;
mod persistence;
mod photos;
mod revocation;
mod scene;
mod scope;
mod secrets;
mod server;
mod stats;
mod token;
mod userinfo;

pub use client::{CLIENT_ID, CUSTOM_SCHEME_REDIRECT_URI};
pub use config::{Config, ExpiryField, IssParameter, WellKnownDocuments};
pub use endpoints::Endpoints;
pub use handle::ProviderHandle;
pub use persistence::StateFileError;
pub use secrets::token_hash;
pub use server::start;
pub use stats::Stats;

/// Why the provider could not start or change its state.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 127.0.0.1 and the requested port could not be bound.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[source] std::io::Error),
    /// The state file could not be read or written.
    #[error(transparent)]
    StateFile(#[from] StateFileError),
    /// A configuration value is not usable.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}
