//! A photo API's root URL: the addresses below it, and whether an address is one of them.

use url::{Origin, Url};

/// The root every request of one photo API is made under, such as
/// `https://graph.microsoft.com/v1.0`.
pub struct ApiRoot {
    url: Url,
    origin: Origin,
}

impl ApiRoot {
    pub fn new(url: Url) -> Self {
        Self {
            origin: url.origin(),
            url,
        }
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// `{root}/{segments}`, whatever the root ends in; each segment is escaped as one path
    /// segment, so a `/` or `..` in it cannot leave the root.
    pub fn url_under(&self, segments: &[&str]) -> Url {
        let mut url = self.url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Whether `url` is under the root: the same origin, and a path below the root's (a
    /// sibling that merely starts with the same letters is not).
    pub fn contains(&self, url: &Url) -> bool {
        let root_path = self.url.path().trim_end_matches('/');
        url.origin() == self.origin
            && url
                .path()
                .strip_prefix(root_path)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(url: &str) -> ApiRoot {
        ApiRoot::new(Url::parse(url).unwrap())
    }

    #[test]
    fn segments_go_under_the_root_whatever_it_ends_in() {
        for given in ["https://api.example/v3", "https://api.example/v3/"] {
            assert_eq!(
                root(given).url_under(&["files", "a b/../c"]).as_str(),
                "https://api.example/v3/files/a%20b%2F..%2Fc"
            );
        }
        assert_eq!(
            root("https://api.example").url_under(&["files"]).as_str(),
            "https://api.example/files"
        );
    }

    #[test]
    fn only_paths_below_the_root_on_its_origin_are_under_it() {
        let graph = root("https://graph.example/v1.0");
        for under in [
            "https://graph.example/v1.0/",
            "https://graph.example/v1.0/me/drive?$skiptoken=x",
        ] {
            assert!(graph.contains(&Url::parse(under).unwrap()), "{under}");
        }
        for outside in [
            "https://graph.example/v1.0",
            "https://graph.example/v1.0evil/me",
            "https://graph.example/beta/me",
            "http://graph.example/v1.0/me",
            "https://graph.example:8443/v1.0/me",
            "https://evil.example/v1.0/me",
        ] {
            assert!(!graph.contains(&Url::parse(outside).unwrap()), "{outside}");
        }
    }
}
