//! The one registered client, `photolink-desktop`, and its redirect URI rules.

/// Client identifier of PhotoLink's desktop app.
pub const CLIENT_ID: &str = "photolink-desktop";
/// Name shown on the consent page.
pub(crate) const CLIENT_NAME: &str = "PhotoLink";
/// Private-use URI scheme redirect (RFC 8252 §7.1), matched exactly.
pub const CUSTOM_SCHEME_REDIRECT_URI: &str = "com.example.photolink:/oauth/callback";
/// The sign-in plugin's example app (`examples/sign-in`) signs in as the same client, through
/// its own scheme, matched exactly too.
pub const EXAMPLE_REDIRECT_URI: &str = "com.example.signin:/oauth/callback";

const LOOPBACK_PREFIX: &str = "http://127.0.0.1";
const LOOPBACK_PATH: &str = "/oauth/callback";

/// Whether `client_id` names the registered client.
pub(crate) fn is_registered(client_id: &str) -> bool {
    client_id == CLIENT_ID
}

/// Whether `redirect_uri` is registered: the custom-scheme URI exactly, or
/// `http://127.0.0.1:{port}/oauth/callback` with any port (RFC 8252 §7.3).
pub(crate) fn is_registered_redirect_uri(redirect_uri: &str) -> bool {
    if redirect_uri == CUSTOM_SCHEME_REDIRECT_URI || redirect_uri == EXAMPLE_REDIRECT_URI {
        return true;
    }
    let Some(rest) = redirect_uri.strip_prefix(LOOPBACK_PREFIX) else {
        return false;
    };
    let Some(port_and_path) = rest.strip_prefix(':') else {
        return rest == LOOPBACK_PATH;
    };
    let Some(port) = port_and_path.strip_suffix(LOOPBACK_PATH) else {
        return false;
    };
    !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok_and(|p| p != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_registered_redirect_uris() {
        for uri in [
            "com.example.photolink:/oauth/callback",
            "com.example.signin:/oauth/callback",
            "http://127.0.0.1:49152/oauth/callback",
            "http://127.0.0.1:8080/oauth/callback",
            "http://127.0.0.1/oauth/callback",
        ] {
            assert!(is_registered_redirect_uri(uri), "{uri}");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for uri in [
            "com.example.photolink:/oauth/callback/",
            "com.example.photolink://oauth/callback",
            "com.example.photolink:/oauth/callback?x=1",
            "com.evil.photolink:/oauth/callback",
            "com.example.signin:/oauth/callback/",
            "http://localhost:8080/oauth/callback",
            "http://[::1]:8080/oauth/callback",
            "https://127.0.0.1:8080/oauth/callback",
            "http://127.0.0.1:8080/oauth/callback?x=1",
            "http://127.0.0.1:8080/oauth/callback#x",
            "http://127.0.0.1:8080/other",
            "http://127.0.0.1:/oauth/callback",
            "http://127.0.0.1:0/oauth/callback",
            "http://127.0.0.1:99999/oauth/callback",
            "http://127.0.0.1:+80/oauth/callback",
            "http://127.0.0.1.evil.com:80/oauth/callback",
            "",
        ] {
            assert!(!is_registered_redirect_uri(uri), "{uri}");
        }
    }
}
