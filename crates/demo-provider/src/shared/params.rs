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

    /// Whether the request names `name` at all, even with an empty value.
    pub fn is_present(&self, name: &str) -> bool {
        self.values.contains_key(name)
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

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_bytes_give_only_single_valued_non_empty_values(
                encoded in prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..600),
                    "[a-z=&%0-9A-F+]{0,300}".prop_map(String::into_bytes),
                ],
            ) {
                let params = Params::parse(&encoded);
                for (name, value) in params.single_valued() {
                    prop_assert!(!params.is_repeated(name));
                    prop_assert_eq!(params.get(name), Some(value).filter(|v| !v.is_empty()));
                }
                if let Some(name) = params.first_repeated() {
                    prop_assert!(params.is_repeated(name));
                    prop_assert_eq!(params.get(name), None);
                }
            }

            #[test]
            fn a_value_is_read_exactly_when_its_name_appears_once(
                pairs in proptest::collection::vec(
                    (prop_oneof!["[a-c]", ".{0,6}"], prop_oneof![".{0,40}", Just(String::new())]),
                    0..10,
                ),
            ) {
                let mut serializer = form_urlencoded::Serializer::new(String::new());
                for (name, value) in &pairs {
                    serializer.append_pair(name, value);
                }
                let params = Params::parse(serializer.finish().as_bytes());
                let mut first_repeated = None;
                for (at, (name, value)) in pairs.iter().enumerate() {
                    let count = pairs.iter().filter(|(n, _)| n == name).count();
                    if count == 1 {
                        prop_assert_eq!(params.get(name), Some(value.as_str()).filter(|v| !v.is_empty()));
                        prop_assert!(!params.is_repeated(name));
                    } else {
                        prop_assert_eq!(params.get(name), None);
                        prop_assert!(params.is_repeated(name));
                    }
                    // The name whose second appearance comes first.
                    if first_repeated.is_none() && pairs[..at].iter().any(|(n, _)| n == name) {
                        first_repeated = Some(name.as_str());
                    }
                }
                prop_assert_eq!(params.first_repeated(), first_repeated);
            }
        }
    }
}
