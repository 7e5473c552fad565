//! The embedded demo provider (cargo feature `demo-provider`): an app that turns it on signs in
//! to a provider running in its own process when no settings file exists, so that it can be
//! tried with nothing set up. An app without the feature does not link the demo provider; a
//! missing settings file is then an error that says where to write one.

use std::path::{Path, PathBuf};

use photolink_demo_provider::{self as demo, ProviderHandle, StateFileError};
use photolink_oauth::ClientConfig;
use photolink_oauth::sync::blocking;

use crate::error::Error;

/// Name of the embedded demo provider.
pub const NAME: &str = "Demo Photos";
/// The embedded provider's preferred port: a fixed one keeps its issuer, and with it the saved
/// connection, the same across restarts. A free port is used when it is taken.
const PORT: u16 = 47821;
const SCOPES: [&str; 2] = ["photos:read", "profile"];
/// File in the app data directory where the embedded provider keeps its grants (hashes only).
const STATE_FILE: &str = "demo-provider-state.json";

/// The client settings for the embedded provider's registered client.
pub fn client_config(redirect_uri: &str) -> ClientConfig {
    ClientConfig::new(demo::CLIENT_ID, redirect_uri).with_scopes(SCOPES)
}

/// Starts the demo provider on its preferred port (or a free one), with its grants in
/// `data_dir`. A state file it cannot read is set aside, so the demo still starts.
pub async fn start(data_dir: &Path) -> Result<ProviderHandle, Error> {
    let folder = data_dir.to_owned();
    blocking(move || std::fs::create_dir_all(folder))
        .await
        .map_err(|_| Error::MissingDirectory("data"))?;
    let state_file = data_dir.join(STATE_FILE);
    let config = demo::Config {
        port: PORT,
        state_file: Some(state_file.clone()),
        // The embedded provider shows the sign-in at its best: DPoP-bound tokens.
        offer_dpop: true,
        ..demo::Config::default()
    };
    match demo::start(config.clone()).await {
        Ok(handle) => Ok(handle),
        Err(demo::Error::Bind(error)) => {
            tracing::warn!(%error, port = PORT, "demo provider port taken; using a free port");
            Ok(demo::start(demo::Config { port: 0, ..config }).await?)
        }
        Err(demo::Error::StateFile(StateFileError::Corrupt { .. })) => {
            let aside = {
                let state_file = state_file.clone();
                blocking(move || set_aside(&state_file)).await
            };
            tracing::warn!(file = %aside.display(), "demo provider state was unreadable; set it aside");
            Ok(demo::start(config).await?)
        }
        Err(error) => Err(error.into()),
    }
}

fn set_aside(path: &Path) -> PathBuf {
    let mut aside = path.as_os_str().to_owned();
    aside.push(".unreadable");
    let aside = PathBuf::from(aside);
    if let Err(error) = std::fs::rename(path, &aside) {
        tracing::warn!(%error, "could not move the unreadable demo provider state");
    }
    aside
}
