//! Reads `tauri.conf.json` (the symlink to the repository root's file) and declares the app's
//! commands so that capabilities can allow exactly those.

const COMMANDS: &[&str] = &[
    "status",
    "connect",
    "retry",
    "cancel",
    "open_browser_again",
    "copy_link",
    "disconnect",
    "photos",
    "save_original",
    "cancel_save",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
