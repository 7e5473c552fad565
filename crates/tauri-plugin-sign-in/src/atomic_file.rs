//! Writing a file so that no reader ever sees half of it: the one way the app writes its
//! files beside the keyring (saved provider metadata, tombstones, ended sign-ins) and the
//! originals a person saves.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to a temporary file beside `path`, syncs it to disk, then renames it over
/// `path` and syncs the folder, so that a reader (also after a crash or a power cut) sees the
/// old file or the new one, never half of one. The one way the app replaces its small files.
pub fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    let mut replacement = Replacement::at(path, PathBuf::from(temporary), |temporary| {
        File::create(temporary)
    })?;
    replacement.write(bytes)?;
    replacement.commit()
}

/// A file written piece by piece beside `path` that takes its place only once complete
/// ([`commit`](Self::commit)): until then `path` is untouched, and a replacement dropped
/// before (cancelled, failed) removes its temporary file, so nothing half-written is left.
pub struct Replacement {
    path: PathBuf,
    temporary: PathBuf,
    /// `None` once committed.
    file: Option<File>,
}

impl Replacement {
    /// Starts replacing `path`, whose folder must exist, in a new hidden file beside it
    /// (`.photolink-{random}.partial`: a name no other file has, and short whatever `path`'s
    /// name is, so it fits wherever that name does).
    pub fn begin(path: &Path) -> std::io::Result<Self> {
        let dir = path.parent().unwrap_or(Path::new(""));
        let temporary = dir.join(format!(".photolink-{:016x}.partial", rand::random::<u64>()));
        Self::at(path, temporary, |temporary| {
            File::options().write(true).create_new(true).open(temporary)
        })
    }

    fn at(
        path: &Path,
        temporary: PathBuf,
        create: impl FnOnce(&Path) -> std::io::Result<File>,
    ) -> std::io::Result<Self> {
        let file = create(&temporary)?;
        Ok(Self {
            path: path.to_owned(),
            temporary,
            file: Some(file),
        })
    }

    /// Appends `bytes`.
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.file {
            Some(file) => file.write_all(bytes),
            None => Err(std::io::Error::other("the file is already in place")),
        }
    }

    /// Syncs what was written to disk, renames it over `path` and syncs the folder: a reader
    /// (also after a crash or a power cut) sees the old file or the new one, never half of one.
    pub fn commit(mut self) -> std::io::Result<()> {
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        let renamed = file
            .sync_all()
            .and_then(|()| std::fs::rename(&self.temporary, &self.path));
        drop(file);
        if let Err(error) = renamed {
            let _ = std::fs::remove_file(&self.temporary);
            return Err(error);
        }
        // The rename itself is durable once the folder is synced (unix; Windows has no handle
        // on a folder for it, and its rename is journaled).
        #[cfg(unix)]
        if let Some(dir) = self.path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

impl Drop for Replacement {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A new, empty folder of the temp folder's, named for `purpose`.
    pub(crate) fn fresh_folder(purpose: &str) -> PathBuf {
        let folder = std::env::temp_dir().join(format!(
            "photolink-{purpose}-{}-{:x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&folder).unwrap();
        folder
    }

    #[test]
    fn replacing_a_file_leaves_the_new_bytes_and_no_temporary_file() {
        let dir = fresh_folder("atomic-file");
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

    #[test]
    fn a_replacement_takes_the_place_of_the_file_only_when_committed() {
        let dir = fresh_folder("replacement");
        let path = dir.join("photo.jpg");
        std::fs::write(&path, b"before").unwrap();

        let mut replacement = Replacement::begin(&path).unwrap();
        replacement.write(b"half").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"before");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        drop(replacement);
        assert_eq!(std::fs::read(&path).unwrap(), b"before");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "a dropped replacement left its temporary file"
        );

        let mut replacement = Replacement::begin(&path).unwrap();
        replacement.write(b"af").unwrap();
        replacement.write(b"ter").unwrap();
        replacement.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"after");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

        let error = Replacement::begin(&dir.join("missing").join("photo.jpg")).err();
        assert_eq!(error.map(|e| e.kind()), Some(std::io::ErrorKind::NotFound));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
