//! PhotoLink's desktop shell: the window, its commands and events, deep links, the loopback
//! redirect listener, the keyring and the `photo:` scheme. OAuth itself lives in
//! `photolink_oauth`.
//!
//! Commands: `status`, `connect`, `retry`, `cancel`, `open_browser_again`, `copy_link`,
//! `disconnect`, `photos(pageToken)`, `save_original(id, title, onProgress)`, `cancel_save`.
//! Event: `connection-changed` with the [`status::Status`].
//!
//! The main window shows PhotoLink's own pages only ([`main_window`]); logs go to stderr and to
//! a bounded, rotated file in the platform's log folder ([`logging`]).
//!
//! # Timing marks
//!
//! A few `info` events of target `photolink_bench` mark the moments `scripts/bench.sh` measures
//! (BENCHMARKS.md): `status-sent` (the window pulled the status, in `commands::status`),
//! `link-received` (a sign-in link was accepted), `callback-checked`, `token-request-start`,
//! `keyring-write-start`, `keyring-write-end` and `connected-sent` (the steps of finishing a
//! sign-in). They carry nothing but their name, and the default log filter leaves them out;
//! `RUST_LOG=photolink_bench=info` turns them on.

mod atomic_file;
mod commands;
mod config;
mod connection;
mod deep_link;
mod error;
mod logging;
mod loopback;
mod main_window;
mod messages;
mod photos;
mod presets;
mod provider;
mod saved_metadata;
mod state;
mod status;
mod store;
mod sync;

use tauri::Manager;

/// Runs PhotoLink until its window is closed.
pub fn run() {
    let log_file = logging::init();

    let app = tauri::Builder::default()
        // First, so that a second PhotoLink forwards its arguments and exits before doing anything else.
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            deep_link::from_second_instance(app, args);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        // Only the backend opens dialogs: the window has no dialog permission.
        .plugin(tauri_plugin_dialog::init())
        .manage(deep_link::DeepLinks::default())
        .manage(photos::Saving::default())
        .register_asynchronous_uri_scheme_protocol(photos::SCHEME, |context, request, responder| {
            photos::serve(context.app_handle(), request, responder);
        })
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::connect,
            commands::retry,
            commands::cancel,
            commands::open_browser_again,
            commands::copy_link,
            commands::disconnect,
            commands::photos,
            commands::save_original,
            commands::cancel_save,
        ])
        .setup(move |app| {
            match app.path().app_log_dir() {
                Ok(folder) => match log_file.open_in(&folder) {
                    Ok(path) => tracing::info!(log = %path.display(), "logging to a file"),
                    Err(error) => tracing::warn!(%error, "could not open the log file"),
                },
                Err(error) => tracing::warn!(%error, "no log folder; logging to stderr only"),
            }
            main_window::create(app.handle())?;
            let state = state::AppState::new(app.handle());
            let connection = state.connection.clone();
            app.manage(state);
            if let Some(provider) = provider::announced(app.handle()) {
                connection.announce(provider);
            }
            tauri::async_runtime::spawn(async move { connection.start_up().await });
            deep_link::set_up(app);
            Ok(())
        })
        .build(tauri::generate_context!());

    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(tauri::Error::PluginInitialization(plugin, reason)) if plugin == "single-instance" => {
            // Another PhotoLink holds the single-instance name but did not answer: it was
            // most likely quitting at that very moment.
            tracing::warn!(%reason, "the running PhotoLink did not answer");
            start_over_once()
        }
        Err(error) => {
            tracing::error!(%error, "PhotoLink could not start");
            std::process::exit(1);
        }
    }
}

/// Replaces this process with a fresh PhotoLink (same arguments) once the other one is gone.
/// Done at most once, so a PhotoLink that really hangs is not retried forever.
#[cfg(unix)]
fn start_over_once() -> ! {
    use std::os::unix::process::CommandExt;

    const STARTED_OVER: &str = "PHOTOLINK_STARTED_OVER";
    if std::env::var_os(STARTED_OVER).is_none() {
        std::thread::sleep(std::time::Duration::from_millis(500));
        match std::env::current_exe() {
            Ok(exe) => {
                let error = std::process::Command::new(exe)
                    .args(std::env::args_os().skip(1))
                    .env(STARTED_OVER, "1")
                    .exec();
                tracing::error!(%error, "PhotoLink could not start over");
            }
            Err(error) => tracing::error!(%error, "PhotoLink could not find itself to start over"),
        }
    }
    std::process::exit(1)
}

#[cfg(not(unix))]
fn start_over_once() -> ! {
    tracing::error!("another PhotoLink is running but did not answer; close it and try again");
    std::process::exit(1)
}
