//! The main window, and what it may show: PhotoLink's own pages and nothing else.
//!
//! Tauri treats whatever the window shows as the app, with the app's commands, so a page from
//! elsewhere must never load in it: navigation to anything but [`is_app_page`] is refused, and
//! so is every new window (`window.open`, `target="_blank"`); links meant for the browser are
//! opened through the OS instead. The window is declared in `tauri.conf.json` with
//! `"create": false` and built here from that entry, because the rules can only be given to a
//! window built in code.

use tauri::webview::NewWindowResponse;
use tauri::{AppHandle, WebviewWindow, WebviewWindowBuilder};
use url::Url;

/// The label of the main window in `tauri.conf.json` and in the capabilities.
pub const LABEL: &str = "main";

/// Builds the main window from its entry in `tauri.conf.json`, with the navigation rules.
pub fn create(app: &AppHandle) -> tauri::Result<WebviewWindow> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|window| window.label == LABEL)
        .ok_or(tauri::Error::WindowNotFound)?
        .clone();
    WebviewWindowBuilder::from_config(app, &config)?
        .on_navigation(|url| {
            let allowed = is_app_page(url);
            if !allowed {
                // The scheme and host say enough; the rest of the URL is the page's to choose.
                tracing::warn!(
                    scheme = url.scheme(),
                    host = url.host_str().unwrap_or(""),
                    "refused to navigate the window away from PhotoLink"
                );
            }
            allowed
        })
        .on_new_window(|url, _features| {
            tracing::warn!(
                scheme = url.scheme(),
                host = url.host_str().unwrap_or(""),
                "refused to open a new window"
            );
            NewWindowResponse::Deny
        })
        .build()
}

/// Whether `url` is one of PhotoLink's own pages: `tauri://localhost/…` on Linux and macOS,
/// `http://tauri.localhost/…` (or `https`) on Windows and Android.
pub fn is_app_page(url: &Url) -> bool {
    let host = url.host_str();
    let own_origin = match url.scheme() {
        "tauri" => host == Some("localhost"),
        "http" | "https" => host == Some("tauri.localhost"),
        _ => false,
    };
    own_origin && url.port().is_none() && url.username().is_empty() && url.password().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(url: &str) -> bool {
        is_app_page(&Url::parse(url).unwrap())
    }

    #[test]
    fn the_apps_own_pages_may_be_shown() {
        assert!(allowed("tauri://localhost"));
        assert!(allowed("tauri://localhost/index.html"));
        assert!(allowed("tauri://localhost/index.html?x=1#top"));
        assert!(allowed("http://tauri.localhost/"));
        assert!(allowed("https://tauri.localhost/index.html"));
    }

    #[test]
    fn every_other_page_is_refused() {
        for url in [
            "https://example.com/",
            "http://127.0.0.1:47821/authorize",
            "http://localhost/",
            "https://tauri.localhost.example.com/",
            "http://tauri.localhost:8080/",
            "http://user@tauri.localhost/",
            "tauri://example.com/",
            "photo://localhost/abc/image",
            "http://photo.localhost/abc/image",
            "ipc://localhost/status",
            "file:///etc/passwd",
            "data:text/html,<p>hi</p>",
            "javascript:alert(1)",
            "about:blank",
            "com.example.photolink:/oauth/callback?code=x",
        ] {
            assert!(!allowed(url), "{url} must be refused");
        }
    }
}
