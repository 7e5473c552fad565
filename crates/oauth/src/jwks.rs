//! The server's signing keys: its JWK Set (RFC 7517) from `jwks_uri`, read into the public
//! keys `ring` verifies with, cached per client and fetched again once when an ID token names
//! a key the cache does not hold (the server rotated its keys).
//!
//! Only what ID tokens need is read: EC keys on P-256 (`ES256`) and RSA keys (`RS256`).
//! Keys meant for encryption (`use: enc`), of another type or curve, or whose `alg` names
//! another algorithm are skipped, never an error: a set may hold keys for other purposes.

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;
use url::Url;

use crate::error::{Error, ResponseProblem, Result};
use crate::http::HttpClient;
use crate::sync::lock;

/// A signature algorithm this crate verifies. `none` and HMAC are never among them: a public
/// client has no secret an HMAC could be checked with, and `none` proves nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// ECDSA with P-256 and SHA-256; the JWS signature is `R || S`, 64 bytes.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, keys of 2048 to 8192 bits.
    Rs256,
}

impl Algorithm {
    /// The algorithm a JOSE header names, if it is one this crate verifies.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "ES256" => Some(Self::Es256),
            "RS256" => Some(Self::Rs256),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
        }
    }
}

/// One verification key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PublicKey {
    /// The uncompressed P-256 point `0x04 || x || y`.
    P256(Vec<u8>),
    /// Modulus and exponent, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    kid: Option<String>,
    public: PublicKey,
}

impl Key {
    fn verifies(&self, algorithm: Algorithm) -> bool {
        matches!(
            (&self.public, algorithm),
            (PublicKey::P256(_), Algorithm::Es256) | (PublicKey::Rsa { .. }, Algorithm::Rs256)
        )
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.public {
            PublicKey::P256(point) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, signature)
                    .is_ok()
            }
            PublicKey::Rsa { n, e } => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, signature)
                .is_ok(),
        }
    }
}

/// A JWK as published; every member optional so one odd key does not spoil the set.
#[derive(Deserialize)]
struct JwkDocument {
    kty: Option<String>,
    kid: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    alg: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Deserialize)]
struct JwksDocument {
    keys: Vec<serde_json::Value>,
}

/// The signing keys of one server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeySet {
    keys: Vec<Key>,
}

impl KeySet {
    /// Reads a JWK Set document, keeping the signature keys it can use.
    pub(crate) fn parse(document: &[u8]) -> Option<Self> {
        let document: JwksDocument = serde_json::from_slice(document).ok()?;
        let keys = document
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<JwkDocument>(value).ok())
            .filter_map(|jwk| read_key(&jwk))
            .collect();
        Some(Self { keys })
    }

    /// The key for a token signed with `algorithm`: the one with its `kid` when it names one,
    /// else the only key of that type (several would leave the choice to guessing).
    pub(crate) fn find(&self, kid: Option<&str>, algorithm: Algorithm) -> Option<KeyRef<'_>> {
        let mut fitting = self.keys.iter().filter(|key| key.verifies(algorithm));
        let key = match kid {
            Some(kid) => fitting.find(|key| key.kid.as_deref() == Some(kid)),
            None => {
                let first = fitting.next();
                if fitting.next().is_some() {
                    return None;
                }
                first
            }
        };
        key.map(KeyRef)
    }
}

/// A key of a [`KeySet`], able to check one signature.
pub(crate) struct KeyRef<'a>(&'a Key);

impl KeyRef<'_> {
    /// True when `signature` is this key's signature of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.0.verify(message, signature)
    }
}

fn read_key(jwk: &JwkDocument) -> Option<Key> {
    if jwk.usage.as_deref().is_some_and(|usage| usage != "sig") {
        return None;
    }
    let decode = |member: &Option<String>| {
        member
            .as_deref()
            .and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
    };
    let (public, algorithm) = match jwk.kty.as_deref()? {
        "EC" => {
            if jwk.crv.as_deref() != Some("P-256") {
                return None;
            }
            let (x, y) = (decode(&jwk.x)?, decode(&jwk.y)?);
            if x.len() != 32 || y.len() != 32 {
                return None;
            }
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (PublicKey::P256(point), Algorithm::Es256)
        }
        "RSA" => {
            let strip = |bytes: Vec<u8>| {
                let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
                bytes[start..].to_vec()
            };
            let (n, e) = (strip(decode(&jwk.n)?), strip(decode(&jwk.e)?));
            if n.is_empty() || e.is_empty() {
                return None;
            }
            (PublicKey::Rsa { n, e }, Algorithm::Rs256)
        }
        _ => return None,
    };
    if jwk
        .alg
        .as_deref()
        .is_some_and(|alg| alg != algorithm.name())
    {
        return None;
    }
    Some(Key {
        kid: jwk.kid.clone(),
        public,
    })
}

/// The key set of one client's server, fetched on first use and kept until a token names a
/// key it does not hold.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    keys: Mutex<Option<Arc<KeySet>>>,
}

impl KeyCache {
    /// The cached set, or the one at `jwks_uri` when none is cached or `refetch` is asked.
    pub(crate) async fn get(
        &self,
        http: &HttpClient,
        jwks_uri: &Url,
        refetch: bool,
    ) -> Result<Arc<KeySet>> {
        if !refetch && let Some(keys) = self.lock().clone() {
            return Ok(keys);
        }
        let keys = Arc::new(fetch(http, jwks_uri).await?);
        *self.lock() = Some(keys.clone());
        Ok(keys)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<KeySet>>> {
        // Holds a whole value replaced at once: a poisoned lock still holds a consistent one.
        lock(&self.keys)
    }
}

async fn fetch(http: &HttpClient, jwks_uri: &Url) -> Result<KeySet> {
    let response = http.get_json_document(jwks_uri).await?;
    KeySet::parse(&response.body).ok_or_else(|| Error::UnexpectedResponse {
        status: response.status,
        detail: ResponseProblem::NotAKeySet,
        retry_after: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(json: &str) -> KeySet {
        KeySet::parse(json.as_bytes()).unwrap()
    }

    const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    #[test]
    fn ec_and_rsa_signature_keys_are_read_and_others_skipped() {
        let keys = set(&format!(
            r#"{{"keys":[
                {{"kty":"EC","crv":"P-256","kid":"ec","x":"{X}","y":"{Y}"}},
                {{"kty":"RSA","kid":"rsa","n":"AQAB","e":"AQAB","alg":"RS256"}},
                {{"kty":"EC","crv":"P-384","kid":"p384","x":"{X}","y":"{Y}"}},
                {{"kty":"EC","crv":"P-256","kid":"enc","use":"enc","x":"{X}","y":"{Y}"}},
                {{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}},
                {{"kty":"RSA","kid":"wrong-alg","n":"AQAB","e":"AQAB","alg":"PS256"}},
                "not an object"
            ]}}"#
        ));
        let kids: Vec<_> = keys.keys.iter().map(|k| k.kid.as_deref()).collect();
        assert_eq!(kids, [Some("ec"), Some("rsa")]);
        assert!(keys.find(Some("ec"), Algorithm::Es256).is_some());
        assert!(keys.find(Some("ec"), Algorithm::Rs256).is_none());
        assert!(keys.find(Some("hmac"), Algorithm::Es256).is_none());
    }

    #[test]
    fn without_a_kid_only_a_single_fitting_key_is_chosen() {
        let one = set(&format!(
            r#"{{"keys":[{{"kty":"EC","crv":"P-256","x":"{X}","y":"{Y}"}}]}}"#
        ));
        assert!(one.find(None, Algorithm::Es256).is_some());
        let two = set(&format!(
            r#"{{"keys":[{{"kty":"EC","crv":"P-256","kid":"a","x":"{X}","y":"{Y}"}},
                        {{"kty":"EC","crv":"P-256","kid":"b","x":"{X}","y":"{Y}"}}]}}"#
        ));
        assert!(two.find(None, Algorithm::Es256).is_none());
        assert!(two.find(Some("b"), Algorithm::Es256).is_some());
    }

    #[test]
    fn a_document_without_keys_is_not_a_key_set() {
        assert!(KeySet::parse(b"{}").is_none());
        assert!(KeySet::parse(b"<html>").is_none());
        assert_eq!(set(r#"{"keys":[]}"#), KeySet::default());
    }

    mod properties {
        use proptest::prelude::*;
        use serde_json::{Value, json};

        use super::*;

        fn b64(bytes: &[u8]) -> String {
            URL_SAFE_NO_PAD.encode(bytes)
        }

        /// A published JWK, and the key the set must keep from it (`None`: skipped).
        fn bytes(
            len: impl Into<proptest::collection::SizeRange>,
        ) -> impl Strategy<Value = Vec<u8>> {
            proptest::collection::vec(any::<u8>(), len)
        }

        fn jwk() -> impl Strategy<Value = (Value, Option<Key>)> {
            let kid = proptest::option::of("[ -~]{0,12}");
            prop_oneof![
                (kid.clone(), bytes(32..=32), bytes(32..=32), proptest::option::of(Just("sig"))).prop_map(
                    |(kid, x, y, usage)| {
                        let point = [&[0x04][..], &x, &y].concat();
                        let jwk = json!({"kty":"EC","crv":"P-256","kid":kid,"use":usage,"x":b64(&x),"y":b64(&y)});
                        (jwk, Some(Key { kid, public: PublicKey::P256(point) }))
                    }
                ),
                (kid.clone(), bytes(1..300), bytes(1..8), proptest::option::of(Just("RS256"))).prop_map(
                    |(kid, n, e, alg)| {
                        let strip = |b: &[u8]| b[b.iter().position(|x| *x != 0).unwrap_or(b.len())..].to_vec();
                        let (stripped_n, stripped_e) = (strip(&n), strip(&e));
                        let kept = (!stripped_n.is_empty() && !stripped_e.is_empty())
                            .then(|| Key { kid: kid.clone(), public: PublicKey::Rsa { n: stripped_n, e: stripped_e } });
                        (json!({"kty":"RSA","kid":kid,"alg":alg,"n":b64(&n),"e":b64(&e)}), kept)
                    }
                ),
                // Keys a set may hold for other purposes, and broken ones: all skipped.
                (kid.clone(), bytes(0..40), bytes(0..40)).prop_filter_map(
                    "a P-256 key of the right size",
                    |(kid, x, y)| (x.len() != 32 || y.len() != 32).then(|| {
                        (json!({"kty":"EC","crv":"P-256","kid":kid,"x":b64(&x),"y":b64(&y)}), None)
                    })
                ),
                (kid.clone(), bytes(32..=32), bytes(32..=32), "[ -~]{0,8}").prop_map(|(kid, x, y, crv)| {
                    let crv = if crv == "P-256" { "P-384".to_owned() } else { crv };
                    (json!({"kty":"EC","crv":crv,"kid":kid,"x":b64(&x),"y":b64(&y)}), None)
                }),
                (kid.clone(), bytes(32..=32), "[ -~]{0,8}").prop_map(|(kid, x, usage)| {
                    let usage = if usage == "sig" { "enc".to_owned() } else { usage };
                    (json!({"kty":"EC","crv":"P-256","kid":kid,"use":usage,"x":b64(&x),"y":b64(&x)}), None)
                }),
                (kid.clone(), bytes(1..64), "[ -~]{0,8}").prop_map(|(kid, n, alg)| {
                    let alg = if alg == "RS256" { "PS256".to_owned() } else { alg };
                    (json!({"kty":"RSA","kid":kid,"alg":alg,"n":b64(&n),"e":"AQAB"}), None)
                }),
                (kid, "[ -~]{0,40}").prop_map(|(kid, k)| (json!({"kty":"oct","kid":kid,"k":k}), None)),
                ".{0,20}".prop_map(|text| (json!(text), None)),
                any::<i64>().prop_map(|n| (json!({"kty": n, "x": [n]}), None)),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_bytes_are_a_key_set_or_refused_without_panicking(
                document in proptest::collection::vec(any::<u8>(), 0..2000),
            ) {
                if let Some(set) = KeySet::parse(&document) {
                    // Only a JSON object with a `keys` array is a key set.
                    let value: Value = serde_json::from_slice(&document).unwrap();
                    prop_assert!(value["keys"].is_array());
                    prop_assert!(set.keys.len() <= value["keys"].as_array().unwrap().len());
                }
            }

            #[test]
            fn exactly_the_usable_signature_keys_are_kept_in_order(
                jwks in proptest::collection::vec(jwk(), 0..12),
            ) {
                let document = json!({"keys": jwks.iter().map(|(jwk, _)| jwk).collect::<Vec<_>>()});
                let set = KeySet::parse(document.to_string().as_bytes()).unwrap();
                let expected: Vec<Key> = jwks.into_iter().filter_map(|(_, kept)| kept).collect();
                prop_assert_eq!(&set.keys, &expected);

                for algorithm in [Algorithm::Es256, Algorithm::Rs256] {
                    let fitting: Vec<&Key> = expected.iter().filter(|k| k.verifies(algorithm)).collect();
                    // Without a kid: only a single fitting key is chosen.
                    let chosen = set.find(None, algorithm).map(|key| key.0);
                    prop_assert_eq!(chosen, (fitting.len() == 1).then(|| fitting[0]));
                    // With a kid: the first fitting key of that kid, never one of another type.
                    for key in &expected {
                        let kid = key.kid.as_deref();
                        let found = set.find(kid, algorithm).map(|key| key.0);
                        if let Some(kid) = kid {
                            let first = fitting.iter().copied().find(|k| k.kid.as_deref() == Some(kid));
                            prop_assert_eq!(found, first);
                        }
                    }
                }
            }

        }

        proptest! {
            // Each case parses over a megabyte: a few are enough.
            #![proptest_config(ProptestConfig::with_cases(4))]

            #[test]
            fn a_key_set_past_the_answer_cap_is_read_without_panicking(
                kid in "[ -~]{0,12}",
                copies in 8000usize..9000,
            ) {
                // Over 1 MiB, the cap on protocol answers: the parser holds whatever it is given.
                let one = format!(r#"{{"kty":"EC","crv":"P-256","kid":"{}","x":"{X}","y":"{Y}"}}"#, kid.replace(['"', '\\'], ""));
                let document = format!(r#"{{"keys":[{}]}}"#, vec![one.as_str(); copies].join(","));
                let set = KeySet::parse(document.as_bytes()).unwrap();
                prop_assert_eq!(set.keys.len(), copies);
                prop_assert!(set.find(None, Algorithm::Es256).is_none(), "several keys, no kid: no guess");
            }
        }
    }
}
