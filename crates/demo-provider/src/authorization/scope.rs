//! Scopes the provider knows and how they read on the consent page.

/// Every scope the provider grants.
pub(crate) const SUPPORTED: [&str; 3] = ["photos:read", "profile", "openid"];
/// What a request without a scope gets.
const DEFAULT: [&str; 2] = ["photos:read", "profile"];
/// Scope read by the photo API.
pub(crate) const PHOTOS_READ: &str = "photos:read";
/// Scope read by the userinfo endpoint.
pub(crate) const PROFILE: &str = "profile";
/// OpenID Connect sign-in: the token answer then carries a signed ID token.
pub(crate) const OPENID: &str = "openid";

/// Splits a space-separated scope string, or names the first unknown scope.
/// An empty or absent scope means `photos:read profile`.
pub(crate) fn parse(scope: Option<&str>) -> Result<Vec<&'static str>, String> {
    let requested: Vec<&str> = scope
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    if requested.is_empty() {
        return Ok(DEFAULT.to_vec());
    }
    let mut granted = Vec::new();
    for name in requested {
        let known = SUPPORTED
            .iter()
            .find(|supported| **supported == name)
            .ok_or_else(|| format!("unknown scope {name:?}"))?;
        if !granted.contains(known) {
            granted.push(*known);
        }
    }
    Ok(granted)
}

/// Whether a space-separated scope string contains `scope`.
pub(crate) fn contains(scopes: &str, scope: &str) -> bool {
    scopes.split(' ').any(|s| s == scope)
}

/// What a scope lets the app do, in plain words.
pub(crate) fn plain_words(scope: &str) -> &'static str {
    match scope {
        PHOTOS_READ => "See your photos and their details",
        PROFILE => "See your name and email address",
        OPENID => "Confirm it is you who signs in",
        _ => "Access your account",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_scopes_and_defaults_to_all() {
        assert_eq!(parse(Some("profile")).unwrap(), vec!["profile"]);
        assert_eq!(
            parse(Some("photos:read  profile photos:read")).unwrap(),
            vec!["photos:read", "profile"]
        );
        assert_eq!(parse(None).unwrap(), DEFAULT.to_vec());
        assert_eq!(
            parse(Some("openid profile")).unwrap(),
            vec!["openid", "profile"]
        );
        assert!(parse(Some("photos:write")).is_err());
    }
}
