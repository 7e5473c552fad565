//! The one place where links of the app's scheme (`{identifier}:`) enter the app, from every
//! source: the deep-link plugin (`on_open_url`), a second process of the app forwarding its
//! arguments (single-instance), and the command line of a cold start (`get_current`).
//!
//! The same URL may arrive by more than one of these paths, so handling is idempotent: a URL
//! already accepted is dropped. The connection handles links one step at a time.

use std::collections::VecDeque;
use std::sync::Mutex;

use photolink_oauth::sync::lock;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_deep_link::DeepLinkExt;
use url::Url;

use crate::SignIn;
/// How many handled links are remembered to recognise a second delivery.
const REMEMBERED_LINKS: usize = 16;

/// The app's callback address, and the links already accepted. Managed by Tauri.
pub struct DeepLinks {
    redirect_uri: String,
    accepted: Mutex<VecDeque<String>>,
}

impl DeepLinks {
    /// Links to `redirect_uri`.
    pub fn new(redirect_uri: impl Into<String>) -> Self {
        Self {
            redirect_uri: redirect_uri.into(),
            accepted: Mutex::default(),
        }
    }

    /// True the first time `url` is seen.
    fn accept(&self, url: &str) -> bool {
        let mut accepted = lock(&self.accepted);
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
pub fn set_up<R: Runtime>(app: &AppHandle<R>) {
    #[cfg(any(windows, all(debug_assertions, target_os = "linux")))]
    if let Err(error) = app.deep_link().register_all() {
        tracing::warn!(%error, "could not register the app's link scheme with the OS");
    }

    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        receive(&handle, event.urls().into_iter().map(String::from));
    });
    match app.deep_link().get_current() {
        Ok(Some(urls)) => receive(app, urls.into_iter().map(String::from)),
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "could not read the link the app was started with"),
    }
}

/// A second process of the app was started (by the OS for a link, or by the person): bring this window
/// forward and handle any link among its arguments.
pub fn from_second_instance<R: Runtime>(app: &AppHandle<R>, args: Vec<String>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    receive(app, args.into_iter());
}

fn receive<R: Runtime>(app: &AppHandle<R>, candidates: impl Iterator<Item = String>) {
    let (Some(links), Some(sign_in)) = (app.try_state::<DeepLinks>(), app.try_state::<SignIn<R>>())
    else {
        tracing::warn!("a link arrived before the sign-in was set up; dropped");
        return;
    };
    for url in candidates.filter(|candidate| is_callback_link(candidate, &links.redirect_uri)) {
        if !links.accept(&url) {
            tracing::debug!("a link arrived a second time; already handled");
            continue;
        }
        // The URL carries an authorization code: it is never logged.
        tracing::info!("a sign-in link arrived");
        tracing::info!(target: "photolink_bench", "link-received"); // timing mark, see lib.rs
        let accounts = sign_in.accounts.clone();
        tauri::async_runtime::spawn(async move {
            accounts.finish(&url).await;
        });
    }
}

/// Whether `candidate` is a callback link: the redirect URI's scheme (in any case, as URI
/// schemes go), no authority, and exactly its path; query and fragment aside. Anything else a
/// second process is started with (its own path, flags, a link to another place in the app)
/// never reaches the connection.
fn is_callback_link(candidate: &str, redirect_uri: &str) -> bool {
    let (Ok(link), Ok(redirect)) = (Url::parse(candidate), Url::parse(redirect_uri)) else {
        return false;
    };
    // `host()` is `None` for an empty authority (`scheme:///path`) as for none at all.
    link.scheme() == redirect.scheme()
        && link.has_authority() == redirect.has_authority()
        && link.host() == redirect.host()
        && link.port() == redirect.port()
        && link.path() == redirect.path()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The app's scheme and callback address.
    const SCHEME: &str = "com.example.photolink";
    const REDIRECT_URI: &str = "com.example.photolink:/oauth/callback";

    fn is_ours(candidate: &str) -> bool {
        is_callback_link(candidate, REDIRECT_URI)
    }

    #[test]
    fn only_the_callback_address_counts_as_a_link() {
        assert!(is_ours(
            "com.example.photolink:/oauth/callback?code=a&state=b"
        ));
        assert!(is_ours("COM.EXAMPLE.PHOTOLINK:/oauth/callback"));
        assert!(is_ours("com.example.photolink:/oauth/callback#_=_"));
        for other in [
            "/usr/bin/photolink",
            "https://example.com/oauth/callback",
            "--flag",
            "com.example.photolink:/settings?code=a&state=b",
            "com.example.photolink:oauth/callback",
            "com.example.photolink://evil.example/oauth/callback",
            "com.example.photolink:///oauth/callback",
            "com.example.photolink:/OAUTH/callback",
            "com.example.photolink:/oauth/callback/",
            "com.example.photolink:/oauth/%63allback",
            "http://127.0.0.1:5000/oauth/callback?code=a&state=b",
        ] {
            assert!(!is_ours(other), "{other}");
        }
    }

    #[test]
    fn a_link_is_accepted_once() {
        let links = DeepLinks::new(REDIRECT_URI);
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

    mod properties {
        //! Callback links in every form a link can take: the scheme in any case and near
        //! misses of it, with and without an authority (hosts, loopback forms, user info),
        //! near misses of the path, queries and fragments; and arbitrary text.

        use proptest::prelude::*;

        use super::*;

        /// Spellings of the scheme, ours first.
        const SCHEMES: &[&str] = &[
            "com.example.photolink",
            "COM.EXAMPLE.PHOTOLINK",
            "Com.Example.PhotoLink",
            "com.example.photolinkx",
            "com.example.photolin",
            "com-example-photolink",
            "com.example.photolink.evil",
            "http",
            "https",
            "file",
        ];
        /// What comes between the scheme's colon and the path; none (ours) first.
        const AUTHORITIES: &[&str] = &[
            "",
            "//",
            "//127.0.0.1",
            "//127.0.0.1:5000",
            "//[::1]:5000",
            "//localhost",
            "//evil.example",
            "//user@",
            "//oauth",
        ];
        /// Paths: ours, and its spellings with dot segments (`%2E` counts as a dot), which URL
        /// parsing removes for the link as for the redirect URI (RFC 3986 §5.2.4), first.
        const PATHS: &[&str] = &[
            "/oauth/callback",
            "/oauth/./callback",
            "/oauth/x/../callback",
            "/oauth/%2E/callback",
            "oauth/callback",
            "/oauth/callback/",
            "/OAUTH/CALLBACK",
            "/oauth/Callback",
            "//oauth/callback",
            "/oauth/%63allback",
            "/oauth/callback%2F",
            "/oauth/%2Fcallback",
            "/oauth",
            "",
        ];

        proptest! {
            // Each case tries every spelling of scheme, authority and path.
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn a_link_counts_only_with_our_scheme_no_authority_and_the_callback_path(
                query in prop::option::of("[a-zA-Z0-9=&%._~/?:@-]{0,48}"),
                fragment in prop::option::of("[a-zA-Z0-9=&%._~/?#:@-]{0,16}"),
            ) {
                let tail = query.map(|q| format!("?{q}")).unwrap_or_default()
                    + &fragment.map(|f| format!("#{f}")).unwrap_or_default();
                for (scheme, spelled_scheme) in SCHEMES.iter().enumerate() {
                    for (authority, spelled_authority) in AUTHORITIES.iter().enumerate() {
                        for (path, spelled_path) in PATHS.iter().enumerate() {
                            let link = format!("{spelled_scheme}:{spelled_authority}{spelled_path}{tail}");
                            // The scheme is case-insensitive (RFC 3986 §3.1); the rest is not.
                            let ours = scheme < 3 && authority == 0 && path < 4;

                            prop_assert_eq!(is_ours(&link), ours, "{}", link);
                        }
                    }
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_text_is_a_link_only_if_it_has_the_callback_address(
                text in prop_oneof![
                    any::<String>(),
                    any::<String>().prop_map(|tail| format!("{SCHEME}:{tail}")),
                    any::<String>().prop_map(|tail| format!("{REDIRECT_URI}{tail}")),
                ],
            ) {
                if is_ours(&text) {
                    let link = Url::parse(&text).unwrap();
                    prop_assert_eq!(link.scheme(), SCHEME);
                    prop_assert!(!link.has_authority());
                    prop_assert_eq!(link.path(), "/oauth/callback");
                }
            }

            #[test]
            fn a_callback_link_with_any_query_and_fragment_counts(
                query in any::<String>(),
                fragment in any::<String>(),
            ) {
                let link = format!("{REDIRECT_URI}?{query}#{fragment}");
                prop_assert!(is_ours(&link), "{}", link);
            }
        }
    }
}
