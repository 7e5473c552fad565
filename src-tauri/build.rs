//! Reads `tauri.conf.json` (the symlink to the repository root's file) and declares the app's
//! own commands so that capabilities can allow exactly those (the sign-in's are the sign-in
//! plugin's).

const COMMANDS: &[&str] = &[
    "photos",
    "save_original",
    "cancel_save",
    "chosen_photos",
    "choose_photos",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
