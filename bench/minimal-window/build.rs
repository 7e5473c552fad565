//! Reads this crate's `tauri.conf.json` and declares its one command for the capability.

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(&["status"])),
    )
    .expect("failed to run tauri-build");
}
