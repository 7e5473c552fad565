//! Logging: every event goes to stderr and to a log file in the platform's log folder.
//!
//! # Where the log is
//!
//! `photolink.log` in Tauri's `app_log_dir`: `~/.local/share/com.example.photolink/logs` on
//! Linux (`$XDG_DATA_HOME` when set), `~/Library/Logs/com.example.photolink` on macOS,
//! `%LOCALAPPDATA%\com.example.photolink\logs` on Windows.
//!
//! # How it stays bounded
//!
//! [`RotatingFile`] writes `photolink.log` until the next event would take it past
//! [`MAX_FILE_BYTES`]; then `photolink.log.3` becomes `.4` (the old `.4` is deleted), …,
//! `photolink.log` becomes `.1`, and a new `photolink.log` starts. At most [`MAX_FILES`] files of
//! at most [`MAX_FILE_BYTES`] each exist, whatever the log level and however long PhotoLink
//! runs; an event larger than a whole file is cut. The files are readable by their owner only.
//!
//! `tracing-appender` bounds the number of files but rotates only by time, so a day at `trace`
//! level could fill a disk; `tauri-plugin-log` is built on the `log` crate rather than
//! `tracing` and would add a second logging stack. This file writer is small enough to own.
//!
//! # Order
//!
//! [`init`] runs first thing, before Tauri exists; it logs to stderr at once. The folder is only
//! known once the app is built, so the setup hook calls [`LogFile::open_in`]; events before it go
//! to stderr only. `RUST_LOG` filters both (default [`DEFAULT_FILTER`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::sync::lock;

/// Log filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "warn,photolink_lib=info,tauri_plugin_sign_in=info,photolink_oauth=info,photolink_demo_provider=info";
/// Name of the current log file; older ones get `.1`, `.2`, … appended.
pub const FILE_NAME: &str = "photolink.log";
/// Size at which the log file is rotated.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Number of log files kept, the current one included.
pub const MAX_FILES: usize = 5;

/// Starts logging to stderr, and to the log file once it is opened. Call once.
pub fn init() -> LogFile {
    let file = LogFile::default();
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(io::stderr))
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(file.clone()),
        )
        .init();
    file
}

/// The log file, shared with the logging layer; writes nothing until opened.
#[derive(Clone, Default)]
pub struct LogFile {
    file: Arc<Mutex<Option<RotatingFile>>>,
}

impl LogFile {
    /// Starts writing to `photolink.log` in `folder` (created if missing); returns its path.
    pub fn open_in(&self, folder: &Path) -> io::Result<PathBuf> {
        let file = RotatingFile::open(folder, MAX_FILE_BYTES, MAX_FILES)?;
        let path = file.path(0);
        *self.lock() = Some(file);
        Ok(path)
    }

    fn lock(&self) -> MutexGuard<'_, Option<RotatingFile>> {
        lock(&self.file)
    }
}

impl<'a> MakeWriter<'a> for LogFile {
    type Writer = LogFileWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LogFileWriter(self.lock())
    }
}

/// Writes one event to the log file (or nowhere before it is opened).
pub struct LogFileWriter<'a>(MutexGuard<'a, Option<RotatingFile>>);

impl Write for LogFileWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.0.as_mut() {
            Some(file) => file.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.as_mut().map_or(Ok(()), Write::flush)
    }
}

/// A file that rotates by size and keeps a fixed number of files (see the module docs).
pub struct RotatingFile {
    folder: PathBuf,
    max_file_bytes: u64,
    max_files: usize,
    file: File,
    /// Bytes in the current file.
    written: u64,
}

impl RotatingFile {
    /// Opens (appends to) `photolink.log` in `folder`, creating the folder when missing.
    pub fn open(folder: &Path, max_file_bytes: u64, max_files: usize) -> io::Result<Self> {
        fs::create_dir_all(folder)?;
        let path = folder.join(FILE_NAME);
        let file = options().append(true).open(&path)?;
        let written = file.metadata()?.len();
        Ok(Self {
            folder: folder.to_owned(),
            max_file_bytes,
            max_files: max_files.max(1),
            file,
            written,
        })
    }

    /// `photolink.log` for 0, `photolink.log.{n}` for older files.
    fn path(&self, age: usize) -> PathBuf {
        match age {
            0 => self.folder.join(FILE_NAME),
            n => self.folder.join(format!("{FILE_NAME}.{n}")),
        }
    }

    /// Shifts every file one age up, dropping the oldest, and starts an empty current file.
    fn rotate(&mut self) -> io::Result<()> {
        missing_is_fine(fs::remove_file(self.path(self.max_files - 1)))?;
        for age in (0..self.max_files - 1).rev() {
            missing_is_fine(fs::rename(self.path(age), self.path(age + 1)))?;
        }
        // Truncate in case the current file could not be moved: the bound matters more.
        self.file = options().write(true).truncate(true).open(self.path(0))?;
        self.written = 0;
        Ok(())
    }
}

impl Write for RotatingFile {
    /// Writes one event (tracing writes each event in a single call), rotating first when it
    /// would not fit; an event larger than a whole file is cut to fit.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let fits = usize::try_from(self.max_file_bytes).unwrap_or(usize::MAX);
        let event = &buf[..buf.len().min(fits)];
        if self.written > 0 && self.written + event.len() as u64 > self.max_file_bytes {
            self.rotate()?;
        }
        self.file.write_all(event)?;
        self.written += event.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A file that is not there needs no removing or moving.
fn missing_is_fine(outcome: io::Result<()>) -> io::Result<()> {
    match outcome {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// Log files are created readable and writable by their owner only.
fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh, empty folder for one test.
    fn folder(test: &str) -> PathBuf {
        let folder =
            std::env::temp_dir().join(format!("photolink-logging-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&folder);
        folder
    }

    fn files(folder: &Path) -> Vec<(String, u64)> {
        let mut files: Vec<_> = fs::read_dir(folder)
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                (
                    entry.file_name().to_string_lossy().into_owned(),
                    entry.metadata().unwrap().len(),
                )
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn the_log_never_grows_past_its_files_and_their_size() {
        let folder = folder("bounded");
        let mut file = RotatingFile::open(&folder, 100, 3).unwrap();
        for n in 0..1000 {
            file.write_all(format!("event {n:04} ......\n").as_bytes())
                .unwrap();
        }
        let files = files(&folder);
        let names: Vec<_> = files.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            ["photolink.log", "photolink.log.1", "photolink.log.2"]
        );
        assert!(files.iter().all(|(_, size)| *size <= 100), "{files:?}");
        let newest = fs::read_to_string(folder.join("photolink.log")).unwrap();
        assert!(newest.ends_with("event 0999 ......\n"), "{newest}");
        let older = fs::read_to_string(folder.join("photolink.log.1")).unwrap();
        assert!(older.starts_with("event 09"), "{older}");
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn events_are_never_split_across_files() {
        let folder = folder("whole-events");
        let mut file = RotatingFile::open(&folder, 25, 2).unwrap();
        file.write_all(b"first event\n").unwrap();
        file.write_all(b"second event, longer\n").unwrap();
        assert_eq!(
            fs::read(folder.join("photolink.log.1")).unwrap(),
            b"first event\n"
        );
        assert_eq!(
            fs::read(folder.join("photolink.log")).unwrap(),
            b"second event, longer\n"
        );
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn an_event_larger_than_a_file_is_cut() {
        let folder = folder("cut");
        let mut file = RotatingFile::open(&folder, 10, 2).unwrap();
        file.write_all(&[b'x'; 50]).unwrap();
        assert_eq!(files(&folder), [("photolink.log".to_owned(), 10)]);
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn reopening_appends_and_counts_what_is_there() {
        let folder = folder("reopen");
        RotatingFile::open(&folder, 20, 2)
            .unwrap()
            .write_all(b"from the last run\n")
            .unwrap();
        let mut file = RotatingFile::open(&folder, 20, 2).unwrap();
        file.write_all(b"this run\n").unwrap();
        assert_eq!(
            fs::read(folder.join("photolink.log.1")).unwrap(),
            b"from the last run\n"
        );
        assert_eq!(
            fs::read(folder.join("photolink.log")).unwrap(),
            b"this run\n"
        );
        fs::remove_dir_all(folder).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn only_the_owner_can_read_the_log() {
        use std::os::unix::fs::PermissionsExt;
        let folder = folder("private");
        let mut file = RotatingFile::open(&folder, 10, 2).unwrap();
        file.write_all(b"0123456789").unwrap();
        file.write_all(b"rotated").unwrap();
        for name in ["photolink.log", "photolink.log.1"] {
            let mode = fs::metadata(folder.join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
        fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn nothing_is_written_before_the_file_is_opened() {
        let folder = folder("unopened");
        let log = LogFile::default();
        log.make_writer().write_all(b"early\n").unwrap();
        let path = log.open_in(&folder).unwrap();
        log.make_writer().write_all(b"late\n").unwrap();
        assert_eq!(path, folder.join(FILE_NAME));
        assert_eq!(fs::read(&path).unwrap(), b"late\n");
        fs::remove_dir_all(folder).unwrap();
    }
}
