//! PhotoLink's desktop shell: the window, the photo sources, their caches and the `photo:`
//! scheme. The sign-in (connection, deep links, the loopback redirect listener, the keyring,
//! provider settings) is the `tauri-plugin-sign-in` plugin; OAuth itself lives in
//! `photolink_oauth`.
//!
//! Commands: the sign-in plugin's (`plugin:sign-in|status`, `…|connect`, …, event
//! `connection-changed`) and PhotoLink's own `photos(pageToken)`,
//! `save_original(id, title, onProgress)` and `cancel_save`.
//!
//! The main window shows PhotoLink's own pages only ([`main_window`]); logs go to stderr and to
//! a bounded, rotated file in the platform's log folder ([`logging`]).
//!
//! # Timing marks
//!
//! A few `info` events of target `photolink_bench` mark the moments `scripts/bench.sh` measures
//! (BENCHMARKS.md): `link-received` (a sign-in link was accepted), `callback-checked`,
//! `token-request-start`, `keyring-write-start`, `keyring-write-end` and `connected-sent` (the
//! steps of finishing a sign-in). The sign-in plugin logs them (see its documentation); they
//! carry nothing but their name, and the default log filter leaves them out;
//! `RUST_LOG=photolink_bench=info` turns them on. The window's page sets one user-timing mark,
//! `status-painted`, in the frame that paints its first status.

mod commands;
mod error;
mod logging;
mod main_window;
mod messages;
mod photos;
mod sync;

use tauri::Manager;

/// Runs PhotoLink until its window is closed.
pub fn run() {
    let log_file = logging::init();

    let app = tauri::Builder::default()
        // First, so that a second PhotoLink forwards its arguments and exits before doing anything else.
        .plugin(tauri_plugin_sign_in::single_instance())
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        // Only the backend opens dialogs: the window has no dialog permission.
        .plugin(tauri_plugin_dialog::init())
        .plugin(
            tauri_plugin_sign_in::Builder::new()
                .app_fields(photos::settings::FIELDS)
                .on_account_changed(photos::forget_account)
                .build(),
        )
        .manage(photos::Saving::default())
        .manage(photos::Choosing::default())
        .register_asynchronous_uri_scheme_protocol(photos::SCHEME, |context, request, responder| {
            photos::serve(context.app_handle(), request, responder);
        })
        .invoke_handler(tauri::generate_handler![
            commands::photos,
            commands::save_original,
            commands::cancel_save,
            commands::chosen_photos,
            commands::choose_photos,
        ])
        .setup(move |app| {
            match app.path().app_log_dir() {
                Ok(folder) => match log_file.open_in(&folder) {
                    Ok(path) => tracing::info!(log = %path.display(), "logging to a file"),
                    Err(error) => tracing::warn!(%error, "could not open the log file"),
                },
                Err(error) => tracing::warn!(%error, "no log folder; logging to stderr only"),
            }
            app.manage(photos::Photos::in_cache_folder(app.handle()));
            main_window::create(app.handle())?;
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

#[cfg(test)]
mod tests {
    /// The sign-in's redirect URI is the identifier as a scheme: the scheme the OS must hand to
    /// PhotoLink is that identifier.
    #[test]
    fn the_link_scheme_registered_is_the_identifier() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        let identifier = config["identifier"].as_str().unwrap();
        let schemes = &config["plugins"]["deep-link"]["desktop"]["schemes"];
        assert_eq!(schemes, &serde_json::json!([identifier]), "{config}");
    }
}
