//! Reading and atomically writing the state file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Problems with the state file.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// The file could not be read or written.
    #[error("cannot access the state file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file exists but does not hold provider state.
    #[error("the state file {path} is not valid provider state: {source}")]
    Corrupt {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The file was written by a newer provider.
    #[error("the state file {path} has format version {version}, newer than this provider")]
    NewerVersion { path: PathBuf, version: u32 },
}

/// Reads the state; a missing file gives `None`.
pub(crate) fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, StateFileError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(io_error(path, source)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| StateFileError::Corrupt {
            path: path.to_owned(),
            source,
        })
}

/// Writes the state to a temporary file beside `path` (creating the folder if needed), flushes
/// it to disk and renames it over `path`, so a crash leaves either the old or the new state,
/// never a torn file.
pub(crate) fn save<T: Serialize>(path: &Path, state: &T) -> Result<(), StateFileError> {
    let bytes = serde_json::to_vec(state).map_err(|source| StateFileError::Corrupt {
        path: path.to_owned(),
        source,
    })?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    if let Some(folder) = path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        fs::create_dir_all(folder).map_err(|source| io_error(folder, source))?;
    }
    write_private(&temporary, &bytes).map_err(|source| io_error(&temporary, source))?;
    fs::rename(&temporary, path).map_err(|source| io_error(path, source))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn io_error(path: &Path, source: std::io::Error) -> StateFileError {
    StateFileError::Io {
        path: path.to_owned(),
        source,
    }
}
