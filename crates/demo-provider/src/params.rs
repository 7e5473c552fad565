//! Form-encoded parameters (query strings and request bodies) with RFC 6749 §3.1 rules:
//! a parameter must not appear twice, and one sent without a value counts as absent.

use std::collections::HashMap;

use url::form_urlencoded;

/// Parsed parameters, remembering which names were repeated.
#[derive(Debug, Default)]
pub(crate) struct Params {
    values: HashMap<String, String>,
    repeated: Vec<String>,
}

impl Params {
    pub fn parse(encoded: &[u8]) -> Self {
        let mut params = Self::default();
        for (name, value) in form_urlencoded::parse(encoded) {
            if params.values.contains_key(name.as_ref()) {
                if !params.repeated.iter().any(|r| r == name.as_ref()) {
                    params.repeated.push(name.into_owned());
                }
            } else {
                params.values.insert(name.into_owned(), value.into_owned());
            }
        }
        params
    }

    /// The value of a parameter that is present, non-empty and not repeated.
    pub fn get(&self, name: &str) -> Option<&str> {
        if self.is_repeated(name) {
            return None;
        }
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.iter().any(|r| r == name)
    }

    /// Every parameter that appeared once, with its value (empty ones included).
    pub fn single_valued(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values
            .iter()
            .filter(|(name, _)| !self.is_repeated(name))
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The first repeated parameter name, if any.
    pub fn first_repeated(&self) -> Option<&str> {
        self.repeated.first().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_empty_parameters() {
        let params = Params::parse(b"a=1&b=&c=x+y%21&a=2");
        assert_eq!(params.get("a"), None);
        assert!(params.is_repeated("a"));
        assert_eq!(params.first_repeated(), Some("a"));
        assert_eq!(params.get("b"), None);
        assert_eq!(params.get("c"), Some("x y!"));
        assert_eq!(params.get("d"), None);
    }
}
