//! What the authorization server, the photo API and the test machinery share: the server and
//! its handle, the configuration, the endpoints, the host check, request parameters, the state
//! file, secret handling and locks.

pub(crate) mod config;
pub(crate) mod endpoints;
pub(crate) mod handle;
pub(crate) mod host;
pub(crate) mod params;
pub(crate) mod persistence;
pub(crate) mod provider;
pub(crate) mod secrets;
pub(crate) mod server;
pub(crate) mod sync;
