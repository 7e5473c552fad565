//! The floor of PhotoLink's start-up figure (`scripts/bench.sh`, BENCHMARKS.md): the least a
//! Tauri 2 window does to show a status. It has PhotoLink's window size, security settings and
//! release profile, and nothing else: no plugins, no keyring, no provider, no styling. Its page
//! invokes [`status`] on load, shows the answer and marks the frame that paints it
//! (`status-painted`), as PhotoLink's page does, so the benchmark times both windows from
//! process start to the same moment.

// No console window next to it on Windows release builds, as for PhotoLink.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use tracing_subscriber::EnvFilter;

/// The status the page shows: a fixed word, since there is nothing to connect.
#[tauri::command]
fn status() -> &'static str {
    "disconnected"
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .init();
    let app = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![status])
        .run(tauri::generate_context!());
    if let Err(error) = app {
        tracing::error!(%error, "the minimal window could not start");
        std::process::exit(1);
    }
}
