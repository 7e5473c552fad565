//! Sender-constrained tokens with DPoP (RFC 9449): the key of one connection, the proofs it
//! signs, and the nonces servers ask proofs to carry.
//!
//! # The pieces
//!
//! | Item | What it is |
//! | --- | --- |
//! | [`DpopKey`] | An ES256 (P-256) key pair, made when a sign-in starts and kept with its tokens. A secret: not `Clone`, not `Serialize` (only the token store and the saved sign-in write it), `Debug` shows the thumbprint only. |
//! | [`DpopKey::proof`] | A DPoP proof JWT for one request. |
//! | [`DpopKey::thumbprint`] | The key's JWK SHA-256 thumbprint (RFC 7638), sent as `dpop_jkt` on the authorization request. |
//! | `DpopNonces` | The latest `DPoP-Nonce` each server handed out, per origin. |
//!
//! # Rules
//!
//! - **Proof header**: `typ` `dpop+jwt`, `alg` `ES256`, `jwk` the public key (`kty`, `crv`, `x`,
//!   `y`, nothing private).
//! - **Proof claims**: `jti` (256 random bits, new for every proof), `htm` (the method), `htu`
//!   (the URL without query and fragment), `iat` (now, in seconds), `ath` (BASE64URL(SHA-256(the
//!   access token))) on resource requests, `nonce` once the server has sent one.
//! - **Nonces** (RFC 9449 §8, §9): every answer's `DPoP-Nonce` replaces the one kept for its
//!   origin; an answer that asks for one (`use_dpop_nonce`) is retried once with it. A nonce
//!   that is not RFC 9449 `NQCHAR`s, or longer than [`MAX_NONCE_CHARS`], is ignored. At most
//!   [`REMEMBERED_ORIGINS`] origins are remembered.
//! - **Storage**: the private key is written only as part of the token set (OS keyring) and of
//!   the saved sign-in, as base64url PKCS#8 (about 185 characters), never to a file, a log or
//!   the web view; Disconnect forgets it with the tokens.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use sha2::{Digest, Sha256};
use url::Url;

use crate::error::{Error, InternalFailure, Result};
use crate::http::RawResponse;
use crate::pkce::random_urlsafe;
use crate::secret::AccessToken;
use crate::sync::lock;

/// The only proof algorithm this crate signs with.
pub(crate) const DPOP_ALGORITHM: &str = "ES256";

/// The longest `DPoP-Nonce` kept; a longer one is ignored.
pub(crate) const MAX_NONCE_CHARS: usize = 512;

/// How many servers' nonces are remembered at once.
pub(crate) const REMEMBERED_ORIGINS: usize = 16;

/// An ES256 key pair that DPoP-bound tokens are tied to.
///
/// Made by [`generate`](Self::generate) when a sign-in starts (its thumbprint goes out as
/// `dpop_jkt`), then kept in the sign-in, and with the tokens in the
/// [`TokenStore`](crate::TokenStore), so refresh tokens bound to it keep working after a
/// restart. Not `Clone` (share it as `Arc<DpopKey>`), not `Serialize`; `Debug` shows only the
/// public thumbprint.
pub struct DpopKey {
    pair: EcdsaKeyPair,
    /// The PKCS#8 document the pair was read from: what storage keeps.
    pkcs8: Vec<u8>,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A fresh P-256 key pair from the system random source.
    pub fn generate() -> Result<Self> {
        let random = SystemRandom::new();
        let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random)
            .map_err(|_| Error::Internal(InternalFailure::DpopKeyGeneration))?;
        Self::from_pkcs8(document.as_ref().to_vec())
            .map_err(|()| Error::Internal(InternalFailure::DpopKeyLoad))
    }

    /// Reads a stored key (PKCS#8 v1 or v2, P-256).
    fn from_pkcs8(pkcs8: Vec<u8>) -> Result<Self, ()> {
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8,
            &SystemRandom::new(),
        )
        .map_err(|_| ())?;
        Ok(Self { pair, pkcs8 })
    }

    /// The public key's `x` and `y` coordinates, base64url without padding.
    fn coordinates(&self) -> (String, String) {
        // An uncompressed SEC1 point: 0x04, then 32 bytes of x and 32 of y.
        let point = self.pair.public_key().as_ref();
        (
            URL_SAFE_NO_PAD.encode(&point[1..33]),
            URL_SAFE_NO_PAD.encode(&point[33..65]),
        )
    }

    /// The public key as a JWK: `kty`, `crv`, `x`, `y`.
    pub fn public_jwk(&self) -> serde_json::Value {
        let (x, y) = self.coordinates();
        serde_json::json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y })
    }

    /// The JWK SHA-256 thumbprint (RFC 7638): the `dpop_jkt` of the authorization request and
    /// the `cnf.jkt` of tokens bound to this key.
    pub fn thumbprint(&self) -> String {
        let (x, y) = self.coordinates();
        jwk_thumbprint(&x, &y)
    }

    /// A DPoP proof for a `method` request to `url`. `access_token` adds its `ath` (resource
    /// requests); `nonce` is the server's latest `DPoP-Nonce`, if it sent one.
    pub fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&AccessToken>,
        nonce: Option<&str>,
    ) -> Result<String> {
        let issued_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        self.proof_with(
            method,
            url,
            access_token,
            nonce,
            issued_at,
            random_urlsafe()?,
        )
    }

    fn proof_with(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&AccessToken>,
        nonce: Option<&str>,
        issued_at: u64,
        jti: String,
    ) -> Result<String> {
        let header = serde_json::json!({
            "typ": "dpop+jwt",
            "alg": DPOP_ALGORITHM,
            "jwk": self.public_jwk(),
        });
        let mut claims = serde_json::json!({
            "jti": jti,
            "htm": method,
            "htu": htu(url),
            "iat": issued_at,
        });
        if let Some(token) = access_token {
            claims["ath"] = access_token_hash(token.secret()).into();
        }
        if let Some(nonce) = nonce {
            claims["nonce"] = nonce.into();
        }
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .pair
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .map_err(|_| Error::Internal(InternalFailure::DpopSigning))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }
}

/// The `htu` of a request to `url`: the URL without its query and fragment (RFC 9449 §4.2).
pub(crate) fn htu(url: &Url) -> String {
    let mut target = url.clone();
    target.set_query(None);
    target.set_fragment(None);
    target.into()
}

/// `ath`: BASE64URL(SHA-256(the access token as sent)).
pub(crate) fn access_token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// The RFC 7638 thumbprint of a P-256 public key: SHA-256 over the required members in
/// lexicographic order, without whitespace.
fn jwk_thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The key as stored: base64url PKCS#8, inside the token set and the saved sign-in only.
pub(crate) mod stored_key {
    use std::sync::Arc;

    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::DpopKey;

    pub fn serialize<S: Serializer>(
        key: &Option<Arc<DpopKey>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match key {
            Some(key) => serializer.serialize_str(&URL_SAFE_NO_PAD.encode(&key.pkcs8)),
            None => serializer.serialize_none(),
        }
    }

    /// A damaged key is a deserialization error: the entry reads as unreadable.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Arc<DpopKey>>, D::Error> {
        let Some(text) = Option::<String>::deserialize(deserializer)? else {
            return Ok(None);
        };
        let pkcs8 = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| D::Error::custom("a stored DPoP key that is not base64url"))?;
        DpopKey::from_pkcs8(pkcs8)
            .map(|key| Some(Arc::new(key)))
            .map_err(|()| D::Error::custom("a stored DPoP key that is not a P-256 key"))
    }
}

/// The latest `DPoP-Nonce` of each server (by origin), shared by every request of a client.
#[derive(Debug, Default)]
pub(crate) struct DpopNonces {
    latest: Mutex<HashMap<String, String>>,
}

impl DpopNonces {
    /// The nonce to put in a proof for `url`, if its server sent one.
    pub fn for_url(&self, url: &Url) -> Option<String> {
        self.lock().get(&origin(url)).cloned()
    }

    /// Keeps the answer's `DPoP-Nonce`, if it has a usable one. Returns whether it had.
    pub fn remember(&self, url: &Url, response: &RawResponse) -> bool {
        let Some(nonce) = response.dpop_nonce.as_deref().filter(|n| is_nonce(n)) else {
            return false;
        };
        let mut latest = self.lock();
        if latest.len() >= REMEMBERED_ORIGINS && !latest.contains_key(&origin(url)) {
            // Few servers ever send nonces; forgetting one only costs it a retry.
            latest.clear();
        }
        latest.insert(origin(url), nonce.to_owned());
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        lock(&self.latest)
    }
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// RFC 9449 §8.1: `nonce = 1*NQCHAR`, `NQCHAR = %x21 / %x23-5B / %x5D-7E`.
fn is_nonce(value: &str) -> bool {
    (1..=MAX_NONCE_CHARS).contains(&value.len())
        && value
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// The one time a DPoP request is sent again: its answer asked for a nonce and supplied one
/// (RFC 9449 §8 at the token endpoint, §9 at a resource).
pub(crate) struct NonceRetry {
    asks_for_nonce: fn(&RawResponse) -> bool,
    done: bool,
}

impl NonceRetry {
    pub(crate) fn at_token_endpoint() -> Self {
        Self {
            asks_for_nonce: is_token_nonce_challenge,
            done: false,
        }
    }

    pub(crate) fn at_resource() -> Self {
        Self {
            asks_for_nonce: is_resource_nonce_challenge,
            done: false,
        }
    }

    /// Whether to send the request again with the nonce `response` supplied: `fresh_nonce`
    /// says it carried a usable one (now remembered), and only the first such answer counts.
    pub(crate) fn again(&mut self, fresh_nonce: bool, response: &RawResponse) -> bool {
        let again = fresh_nonce && !self.done && (self.asks_for_nonce)(response);
        self.done |= again;
        again
    }
}

/// Whether a token endpoint answer asks for a nonce (400 `use_dpop_nonce`, RFC 9449 §8).
fn is_token_nonce_challenge(response: &RawResponse) -> bool {
    response.status == 400
        && response
            .json_object()
            .and_then(|object| object.get("error")?.as_str().map(str::to_owned))
            .is_some_and(|error| error == "use_dpop_nonce")
}

/// Whether a resource server answer asks for a nonce (401 with a `DPoP` challenge saying
/// `use_dpop_nonce`, RFC 9449 §9).
fn is_resource_nonce_challenge(response: &RawResponse) -> bool {
    response.status == 401
        && response
            .www_authenticate
            .as_deref()
            .and_then(crate::http::challenge_error)
            .is_some_and(|(scheme, error)| scheme == "dpop" && error == "use_dpop_nonce")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9449 §7.1, figure 13: the access token, and the `ath` of its proof.
    const RFC_ACCESS_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    const RFC_ATH: &str = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo";
    /// RFC 9449 §4.1 (figure 4): the example key, and its thumbprint in §6.1 (figure 9).
    const RFC_X: &str = "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs";
    const RFC_Y: &str = "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA";
    const RFC_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

    fn decode_part(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn response(
        status: u16,
        www_authenticate: Option<&str>,
        nonce: Option<&str>,
        body: &str,
    ) -> RawResponse {
        RawResponse {
            status,
            content_type: Some("application/json".into()),
            www_authenticate: www_authenticate.map(str::to_owned),
            retry_after: None,
            dpop_nonce: nonce.map(str::to_owned),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_access_token_hash_matches_the_rfc_example() {
        assert_eq!(access_token_hash(RFC_ACCESS_TOKEN), RFC_ATH);
    }

    #[test]
    fn the_thumbprint_matches_the_rfc_example() {
        assert_eq!(jwk_thumbprint(RFC_X, RFC_Y), RFC_JKT);
    }

    #[test]
    fn htu_drops_the_query_and_fragment_only() {
        let url = |text: &str| Url::parse(text).unwrap();
        assert_eq!(
            htu(&url(
                "https://resource.example.org/protectedresource?page=2#top"
            )),
            "https://resource.example.org/protectedresource"
        );
        assert_eq!(
            htu(&url("https://server.example.com/token")),
            "https://server.example.com/token"
        );
        assert_eq!(
            htu(&url("http://127.0.0.1:8080/photos/a%20b/image?size=1")),
            "http://127.0.0.1:8080/photos/a%20b/image"
        );
    }

    #[test]
    fn a_proof_has_the_rfc_header_and_claims_and_a_valid_signature() {
        let key = DpopKey::generate().unwrap();
        let url = Url::parse("https://resource.example.org/protectedresource?x=1").unwrap();
        let token = AccessToken::new(RFC_ACCESS_TOKEN);
        let proof = key
            .proof_with(
                "GET",
                &url,
                Some(&token),
                Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"),
                1_562_262_618,
                "e1j3V_bKic8-LAEB".into(),
            )
            .unwrap();
        let parts: Vec<&str> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = decode_part(parts[0]);
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["jwk"], key.public_jwk());
        let jwk = header["jwk"].as_object().unwrap();
        let mut members: Vec<&str> = jwk.keys().map(String::as_str).collect();
        members.sort_unstable();
        assert_eq!(members, ["crv", "kty", "x", "y"], "no private member");
        let claims = decode_part(parts[1]);
        assert_eq!(
            claims,
            serde_json::json!({
                "jti": "e1j3V_bKic8-LAEB",
                "htm": "GET",
                "htu": "https://resource.example.org/protectedresource",
                "iat": 1_562_262_618,
                "ath": RFC_ATH,
                "nonce": "eyJ7S_zG.eyJH0-Z.HX4w-7v",
            })
        );
        // The fixed-size ES256 signature (r || s) verifies with the public key in the header.
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        assert_eq!(signature.len(), 64);
        let point = key.pair.public_key().as_ref().to_vec();
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .expect("the signature verifies");
    }

    #[test]
    fn every_proof_has_its_own_jti_and_a_current_iat() {
        let key = DpopKey::generate().unwrap();
        let url = Url::parse("https://server.example.com/token").unwrap();
        let claims = |proof: String| decode_part(proof.split('.').nth(1).unwrap());
        let first = claims(key.proof("POST", &url, None, None).unwrap());
        let second = claims(key.proof("POST", &url, None, None).unwrap());
        assert_ne!(first["jti"], second["jti"]);
        assert!(first.get("ath").is_none() && first.get("nonce").is_none());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(first["iat"].as_u64().unwrap().abs_diff(now) <= 2);
    }

    #[test]
    fn the_key_round_trips_through_storage_and_keeps_its_thumbprint() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Stored {
            #[serde(with = "stored_key")]
            key: Option<std::sync::Arc<DpopKey>>,
        }
        let key = std::sync::Arc::new(DpopKey::generate().unwrap());
        let json = serde_json::to_string(&Stored {
            key: Some(key.clone()),
        })
        .unwrap();
        assert!(json.len() < 220, "{} characters", json.len());
        let back: Stored = serde_json::from_str(&json).unwrap();
        assert_eq!(back.key.unwrap().thumbprint(), key.thumbprint());
        assert!(serde_json::from_str::<Stored>(r#"{"key":"AAAA"}"#).is_err());
        assert!(serde_json::from_str::<Stored>(r#"{"key":"not base64!"}"#).is_err());
        assert!(
            serde_json::from_str::<Stored>(r#"{"key":null}"#)
                .unwrap()
                .key
                .is_none()
        );
    }

    #[test]
    fn debug_shows_the_thumbprint_never_the_private_key() {
        let key = DpopKey::generate().unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains(&key.thumbprint()), "{shown}");
        assert!(
            !shown.contains(&URL_SAFE_NO_PAD.encode(&key.pkcs8)),
            "{shown}"
        );
    }

    #[test]
    fn the_latest_usable_nonce_is_kept_per_origin() {
        let nonces = DpopNonces::default();
        let token = Url::parse("http://127.0.0.1:9/token").unwrap();
        let photos = Url::parse("http://127.0.0.1:9/photos?page_size=5").unwrap();
        let other = Url::parse("https://photos.example.com/x").unwrap();
        assert!(nonces.remember(&token, &response(400, None, Some("n-1"), "{}")));
        assert_eq!(nonces.for_url(&photos).as_deref(), Some("n-1"));
        assert_eq!(nonces.for_url(&other), None);
        assert!(nonces.remember(&photos, &response(200, None, Some("n-2"), "{}")));
        assert_eq!(nonces.for_url(&token).as_deref(), Some("n-2"));
        for unusable in [
            "",
            "has space",
            "quote\"d",
            "back\\slash",
            &"n".repeat(MAX_NONCE_CHARS + 1),
        ] {
            assert!(
                !nonces.remember(&token, &response(200, None, Some(unusable), "{}")),
                "{unusable:?}"
            );
        }
        assert!(!nonces.remember(&token, &response(200, None, None, "{}")));
        assert_eq!(nonces.for_url(&token).as_deref(), Some("n-2"));
        for port in 0..(REMEMBERED_ORIGINS as u16 * 2) {
            let url = Url::parse(&format!("http://127.0.0.1:{}/", 1000 + port)).unwrap();
            nonces.remember(&url, &response(200, None, Some("n"), "{}"));
            assert!(nonces.lock().len() <= REMEMBERED_ORIGINS);
        }
    }

    #[test]
    fn a_nonce_challenge_is_answered_once_and_only_with_a_fresh_nonce() {
        let asks = response(400, None, Some("n"), r#"{"error":"use_dpop_nonce"}"#);
        let mut retry = NonceRetry::at_token_endpoint();
        assert!(!retry.again(false, &asks), "no usable nonce to send");
        assert!(retry.again(true, &asks));
        assert!(
            !retry.again(true, &asks),
            "a second challenge is not retried"
        );
        let refused = response(400, None, Some("n"), r#"{"error":"invalid_grant"}"#);
        assert!(!NonceRetry::at_token_endpoint().again(true, &refused));
        let challenge = r#"DPoP error="use_dpop_nonce""#;
        let resource_asks = response(401, Some(challenge), Some("n"), "");
        assert!(!NonceRetry::at_token_endpoint().again(true, &resource_asks));
        assert!(NonceRetry::at_resource().again(true, &resource_asks));
        assert!(!NonceRetry::at_resource().again(true, &asks));
    }

    #[test]
    fn nonce_challenges_are_recognised_at_both_servers() {
        assert!(is_token_nonce_challenge(&response(
            400,
            None,
            Some("n"),
            r#"{"error":"use_dpop_nonce"}"#
        )));
        assert!(!is_token_nonce_challenge(&response(
            400,
            None,
            Some("n"),
            r#"{"error":"invalid_grant"}"#
        )));
        assert!(!is_token_nonce_challenge(&response(
            401,
            None,
            Some("n"),
            r#"{"error":"use_dpop_nonce"}"#
        )));
        let challenge = r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#;
        assert!(is_resource_nonce_challenge(&response(
            401,
            Some(challenge),
            Some("n"),
            ""
        )));
        assert!(!is_resource_nonce_challenge(&response(
            401,
            Some(r#"Bearer error="use_dpop_nonce""#),
            Some("n"),
            ""
        )));
        assert!(!is_resource_nonce_challenge(&response(
            401,
            Some(r#"DPoP error="invalid_token""#),
            Some("n"),
            ""
        )));
        assert!(!is_resource_nonce_challenge(&response(
            403,
            Some(challenge),
            Some("n"),
            ""
        )));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// RFC 9449 §8.1 `NQCHAR`, written out for the oracle.
        fn is_nqchar(c: char) -> bool {
            c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn a_nonce_is_kept_exactly_when_it_is_1_to_512_nqchars(
                header in prop_oneof![
                    "[!#-\\[\\]-~]{1,512}",
                    // Past the cap.
                    "[!#-\\[\\]-~]{513,700}",
                    "[ -~]{0,40}",
                    ".{0,40}",
                    proptest::collection::vec(any::<u8>(), 0..64)
                        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
                ],
                status in 0u16..1000,
            ) {
                let nonces = DpopNonces::default();
                let url = Url::parse("https://auth.example.com/token").unwrap();
                prop_assert!(nonces.remember(&url, &response(200, None, Some("before"), "")));
                let usable = (1..=MAX_NONCE_CHARS).contains(&header.chars().count())
                    && header.chars().all(is_nqchar);
                let kept = nonces.remember(&url, &response(status, None, Some(&header), ""));
                prop_assert_eq!(kept, usable);
                let expected = if usable { header.as_str() } else { "before" };
                let kept_now = nonces.for_url(&url);
                prop_assert_eq!(kept_now.as_deref(), Some(expected));
            }

            #[test]
            fn any_answer_is_a_nonce_challenge_only_when_it_says_use_dpop_nonce(
                status in prop_oneof![Just(400u16), Just(401u16), 0u16..1000],
                challenge in proptest::option::of(".{0,120}"),
                body in proptest::collection::vec(any::<u8>(), 0..200),
            ) {
                let answer = RawResponse { body, ..response(status, challenge.as_deref(), None, "") };
                if is_token_nonce_challenge(&answer) {
                    prop_assert_eq!(status, 400);
                    let object = answer.json_object().unwrap();
                    prop_assert_eq!(object["error"].as_str(), Some("use_dpop_nonce"));
                }
                if is_resource_nonce_challenge(&answer) {
                    prop_assert_eq!(status, 401);
                    let header = challenge.unwrap();
                    prop_assert!(header.trim_start().to_ascii_lowercase().starts_with("dpop"), "{}", header);
                    prop_assert!(header.contains("use_dpop_nonce"), "{}", header);
                }
            }
        }
    }
}
