//! Replacing a small file so that no reader ever sees half of it: the one way PhotoLink writes
//! its files beside the keyring (saved provider metadata, tombstones, ended sign-ins).

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to a temporary file beside `path`, syncs it to disk, then renames it over
/// `path` and syncs the folder, so that a reader (also after a crash or a power cut) sees the
/// old file or the new one, never half of one. The one way PhotoLink replaces its small files.
pub fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    let temporary = PathBuf::from(temporary);
    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(error) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    // The rename itself is durable once the folder is synced (unix; Windows has no handle
    // on a folder for it, and its rename is journaled).
    #[cfg(unix)]
    if let Some(dir) = dir {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_a_file_leaves_the_new_bytes_and_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!(
            "photolink-atomic-file-{}-{:x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let path = dir.join("nested").join("file.json");
        replace_file(&path, b"old").unwrap();
        replace_file(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1,
            "a temporary file was left"
        );
        let blocked = dir.join("a-file");
        std::fs::write(&blocked, b"x").unwrap();
        let error = replace_file(&blocked.join("below.json"), b"y").unwrap_err();
        assert_ne!(error.kind(), std::io::ErrorKind::NotFound, "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
