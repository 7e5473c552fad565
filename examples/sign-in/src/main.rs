//! The least a Tauri app needs to sign in with `tauri-plugin-sign-in`: the plugin, the plugins
//! it relies on, and a window (`ui/`). The provider comes from `provider.toml`
//! (`PHOTOLINK_PROVIDER_CONFIG`, else this app's config folder); without one the window says where
//! to write it (the example has no embedded demo provider).

fn main() {
    tauri::Builder::default()
        // First, so that a second process forwards its sign-in link and exits at once.
        .plugin(tauri_plugin_sign_in::single_instance())
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(
            tauri_plugin_sign_in::Builder::new()
                // The same variable as PhotoLink's, so that the same tests drive both.
                .provider_config_env("PHOTOLINK_PROVIDER_CONFIG")
                .build(),
        )
        .run(tauri::generate_context!())
        .expect("the example could not start");
}
