//! The one place where `com.example.photolink:` links enter the app, from every source: the
//! deep-link plugin (`on_open_url`), a second PhotoLink process forwarding its arguments
//! (single-instance), and the command line of a cold start (`get_current`).
//!
//! The same URL may arrive by more than one of these paths, so handling is idempotent: a URL
//! already accepted is dropped. The connection handles links one step at a time.

use std::collections::VecDeque;
use std::sync::Mutex;

use tauri::{App, AppHandle, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::state::AppState;

/// PhotoLink's private-use URI scheme.
pub const SCHEME: &str = "com.example.photolink";
/// How many handled links are remembered to recognise a second delivery.
const REMEMBERED_LINKS: usize = 16;

/// Links already accepted. Managed by Tauri.
#[derive(Default)]
pub struct DeepLinks {
    accepted: Mutex<VecDeque<String>>,
}

impl DeepLinks {
    /// True the first time `url` is seen.
    fn accept(&self, url: &str) -> bool {
        let mut accepted = self
            .accepted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if accepted.iter().any(|seen| seen == url) {
            return false;
        }
        if accepted.len() == REMEMBERED_LINKS {
            accepted.pop_front();
        }
        accepted.push_back(url.to_owned());
        true
    }
}

/// Registers the scheme with the OS, listens for links, and handles a link given at a cold start.
///
/// Registration at run time: in development builds on Linux (installed packages register the
/// scheme through their desktop entry), and always on Windows, where the scheme declared for the
/// installer has been seen not to register in some NSIS installs (tauri#10095, tauri#12726).
/// macOS registers only through the bundle's `Info.plist`.
pub fn set_up(app: &App) {
    #[cfg(any(windows, all(debug_assertions, target_os = "linux")))]
    if let Err(error) = app.deep_link().register_all() {
        tracing::warn!(%error, "could not register the {SCHEME}: link handler with the OS");
    }

    let handle = app.handle().clone();
    app.deep_link().on_open_url(move |event| {
        receive(&handle, event.urls().into_iter().map(String::from));
    });
    match app.deep_link().get_current() {
        Ok(Some(urls)) => receive(app.handle(), urls.into_iter().map(String::from)),
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "could not read the link PhotoLink was started with"),
    }
}

/// A second PhotoLink was started (by the OS for a link, or by the person): bring this window
/// forward and handle any link among its arguments.
pub fn from_second_instance(app: &AppHandle, args: Vec<String>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    receive(app, args.into_iter());
}

fn receive(app: &AppHandle, candidates: impl Iterator<Item = String>) {
    let links = app.state::<DeepLinks>();
    for url in candidates.filter(|candidate| is_ours(candidate)) {
        if !links.accept(&url) {
            tracing::debug!("a link arrived a second time; already handled");
            continue;
        }
        // The URL carries an authorization code: it is never logged.
        tracing::info!("a {SCHEME}: link arrived");
        tracing::info!(target: "photolink_bench", "link-received"); // timing mark, see lib.rs
        let connection = app.state::<AppState>().connection.clone();
        tauri::async_runtime::spawn(async move {
            connection.finish(&url).await;
        });
    }
}

fn is_ours(candidate: &str) -> bool {
    url::Url::parse(candidate).is_ok_and(|url| url.scheme() == SCHEME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_scheme_counts_as_a_link() {
        assert!(is_ours(
            "com.example.photolink:/oauth/callback?code=a&state=b"
        ));
        assert!(is_ours("COM.EXAMPLE.PHOTOLINK:/oauth/callback"));
        assert!(!is_ours("/usr/bin/photolink"));
        assert!(!is_ours("https://example.com/oauth/callback"));
        assert!(!is_ours("--flag"));
    }

    #[test]
    fn a_link_is_accepted_once() {
        let links = DeepLinks::default();
        assert!(links.accept("com.example.photolink:/oauth/callback?state=1"));
        assert!(!links.accept("com.example.photolink:/oauth/callback?state=1"));
        assert!(links.accept("com.example.photolink:/oauth/callback?state=2"));
        for n in 0..REMEMBERED_LINKS {
            links.accept(&format!("com.example.photolink:/x?{n}"));
        }
        assert!(
            links.accept("com.example.photolink:/oauth/callback?state=1"),
            "old links are forgotten"
        );
    }
}
