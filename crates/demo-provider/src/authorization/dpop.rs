//! DPoP (RFC 9449) on the provider's side: verifying proofs, remembering their `jti`s, and
//! handing out nonces.
//!
//! # The checks, in order
//!
//! A proof is the single `DPoP` header of a request. [`DpopVerifier::verify`] refuses it as
//! `invalid_dpop_proof` unless:
//!
//! 1. it is at most [`MAX_PROOF_BYTES`] long and three base64url parts;
//! 2. its header says `typ` `dpop+jwt` and `alg` `ES256`, and its `jwk` is a P-256 public key
//!    (`kty` `EC`, `crv` `P-256`, 32-byte `x` and `y`, no private `d`);
//! 3. the ES256 signature verifies with that key;
//! 4. the claims have a `jti` (at most [`MAX_JTI_CHARS`] characters), `htm` equal to the
//!    request's method, `htu` equal to the request's URL without query and fragment, and an
//!    integer `iat` at most [`IAT_PAST`] old and at most [`IAT_FUTURE`] ahead;
//! 5. with an access token, `ath` is BASE64URL(SHA-256(token)).
//!
//! Then, when nonces are demanded, a proof without the current (or the previous) nonce is
//! `use_dpop_nonce`. Last, a `jti` seen before is `invalid_dpop_proof`; only a proof that
//! passed every check spends its `jti`. The `jti` cache forgets entries once their `iat` is out
//! of the window, and holds at most [`Limits::dpop_proofs`](crate::Limits) (the oldest goes
//! first).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

use crate::shared::secrets::random_secret;
use crate::shared::sync::lock;

/// The request header of a proof.
pub(crate) const DPOP: HeaderName = HeaderName::from_static("dpop");
/// The response header of a nonce.
pub(crate) const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");
/// The one proof algorithm accepted (and advertised).
pub(crate) const ALGORITHM: &str = "ES256";
/// The longest proof read.
pub(crate) const MAX_PROOF_BYTES: usize = 4096;
/// The longest `jti` accepted.
pub(crate) const MAX_JTI_CHARS: usize = 256;
/// How old a proof's `iat` may be.
pub(crate) const IAT_PAST: Duration = Duration::from_secs(60);
/// How far ahead a proof's `iat` may be (clock skew).
pub(crate) const IAT_FUTURE: Duration = Duration::from_secs(5);
/// How long a nonce is current; the previous one is accepted as long again.
const NONCE_LIFETIME: Duration = Duration::from_secs(300);

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProofRefusal {
    /// `invalid_dpop_proof`, with a description for developers.
    Invalid(&'static str),
    /// `use_dpop_nonce`: the proof must carry the nonce in the answer's `DPoP-Nonce`.
    NonceNeeded,
}

/// What one request is, as its proof must name it.
pub(crate) struct ProofTarget<'a> {
    pub method: &'static str,
    pub url: &'a str,
    /// The access token sent with a resource request (its hash must be the `ath`).
    pub access_token: Option<&'a str>,
}

/// The provider's proof verification: replay cache and nonces included.
pub(crate) struct DpopVerifier {
    demand_nonces: bool,
    nonces: Mutex<Nonces>,
    seen: Mutex<SeenProofs>,
}

struct Nonces {
    current: String,
    previous: Option<String>,
    since: SystemTime,
}

/// `jti`s of accepted proofs with their `iat`, oldest first.
struct SeenProofs {
    order: VecDeque<(String, u64)>,
    known: HashMap<String, u64>,
    limit: usize,
}

impl DpopVerifier {
    pub fn new(demand_nonces: bool, replay_limit: usize) -> Self {
        Self {
            demand_nonces,
            nonces: Mutex::new(Nonces {
                current: random_secret(),
                previous: None,
                since: SystemTime::now(),
            }),
            seen: Mutex::new(SeenProofs {
                order: VecDeque::new(),
                known: HashMap::new(),
                limit: replay_limit,
            }),
        }
    }

    /// The nonce to send in `DPoP-Nonce`, when nonces are demanded.
    pub fn nonce(&self) -> Option<String> {
        self.demand_nonces
            .then(|| self.rotated_nonces().current.clone())
    }

    /// Makes a new nonce current, as time would (the previous one stays accepted).
    pub fn rotate_nonce(&self) {
        lock(&self.nonces).rotate();
    }

    /// Verifies the request's proof (see the module docs) and returns its key's thumbprint.
    pub fn verify(&self, proof: &str, target: &ProofTarget<'_>) -> Result<String, ProofRefusal> {
        self.verify_at(proof, target, unix_now())
    }

    fn verify_at(
        &self,
        proof: &str,
        target: &ProofTarget<'_>,
        now: u64,
    ) -> Result<String, ProofRefusal> {
        let (jkt, claims) = verified_claims(proof)?;
        check_claims(&claims, target, now)?;
        if self.demand_nonces && !self.is_current_nonce(claims.get("nonce")) {
            return Err(ProofRefusal::NonceNeeded);
        }
        let jti = claims
            .get("jti")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let iat = claims.get("iat").and_then(Value::as_u64).unwrap_or(now);
        if !lock(&self.seen).claim(jti, iat, now) {
            return Err(ProofRefusal::Invalid("the proof was used before"));
        }
        Ok(jkt)
    }

    fn is_current_nonce(&self, nonce: Option<&Value>) -> bool {
        let Some(nonce) = nonce.and_then(Value::as_str) else {
            return false;
        };
        let nonces = self.rotated_nonces();
        nonce == nonces.current || nonces.previous.as_deref() == Some(nonce)
    }

    fn rotated_nonces(&self) -> std::sync::MutexGuard<'_, Nonces> {
        let mut nonces = lock(&self.nonces);
        if nonces.since.elapsed().unwrap_or_default() >= NONCE_LIFETIME {
            nonces.rotate();
        }
        nonces
    }
}

impl Nonces {
    fn rotate(&mut self) {
        let old = std::mem::replace(&mut self.current, random_secret());
        self.previous = Some(old);
        self.since = SystemTime::now();
    }
}

impl SeenProofs {
    /// Records `jti`; false when it was seen within the window.
    fn claim(&mut self, jti: &str, iat: u64, now: u64) -> bool {
        let oldest_kept = now.saturating_sub(IAT_PAST.as_secs() + IAT_FUTURE.as_secs());
        while let Some((old, old_iat)) = self.order.front() {
            if *old_iat >= oldest_kept && self.order.len() < self.limit {
                break;
            }
            self.known.remove(old);
            self.order.pop_front();
        }
        if self.known.contains_key(jti) {
            return false;
        }
        self.known.insert(jti.to_owned(), iat);
        self.order.push_back((jti.to_owned(), iat));
        true
    }
}

/// The single `DPoP` header: `Ok(None)` without one, an error when there are several or it is
/// not text.
pub(crate) fn proof_header(headers: &HeaderMap) -> Result<Option<&str>, ProofRefusal> {
    let mut values = headers.get_all(DPOP).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ProofRefusal::Invalid("more than one DPoP header"));
    }
    value
        .to_str()
        .map(|text| Some(text.trim()))
        .map_err(|_| ProofRefusal::Invalid("the DPoP header is not text"))
}

/// BASE64URL(SHA-256(access token)): a proof's `ath`.
pub(crate) fn access_token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// Checks 1–3: shape, header and signature. Returns the key's thumbprint and the claims.
fn verified_claims(proof: &str) -> Result<(String, Map<String, Value>), ProofRefusal> {
    use ProofRefusal::Invalid;
    if proof.len() > MAX_PROOF_BYTES {
        return Err(Invalid("the proof is too long"));
    }
    let parts: Vec<&str> = proof.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err(Invalid("the proof is not a signed JWT"));
    };
    let object = |part: &str| -> Option<Map<String, Value>> {
        let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    };
    let header_object = object(header).ok_or(Invalid("the proof header is not JSON"))?;
    if header_object.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err(Invalid("the proof's typ is not dpop+jwt"));
    }
    if header_object.get("alg").and_then(Value::as_str) != Some(ALGORITHM) {
        return Err(Invalid("the proof's alg is not ES256"));
    }
    let jwk = header_object
        .get("jwk")
        .and_then(Value::as_object)
        .ok_or(Invalid("the proof has no jwk"))?;
    if jwk.contains_key("d") {
        return Err(Invalid("the proof's jwk holds a private key"));
    }
    let member = |name: &str| jwk.get(name).and_then(Value::as_str);
    if member("kty") != Some("EC") || member("crv") != Some("P-256") {
        return Err(Invalid("the proof's jwk is not a P-256 key"));
    }
    let coordinate = |name: &str| {
        member(name)
            .and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
            .filter(|bytes| bytes.len() == 32)
    };
    let (Some(x), Some(y)) = (coordinate("x"), coordinate("y")) else {
        return Err(Invalid("the proof's jwk is not a P-256 key"));
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Invalid("the proof's signature is not base64url"))?;
    let point = [&[0x04][..], &x, &y].concat();
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
        .verify(
            format!("{header}.{claims}").as_bytes(),
            signature.as_slice(),
        )
        .map_err(|_| Invalid("the proof's signature does not verify"))?;
    let claims = object(claims).ok_or(Invalid("the proof claims are not JSON"))?;
    let jkt = thumbprint(
        member("x").unwrap_or_default(),
        member("y").unwrap_or_default(),
    );
    Ok((jkt, claims))
}

/// Check 4 and 5: what the claims say about the request.
fn check_claims(
    claims: &Map<String, Value>,
    target: &ProofTarget<'_>,
    now: u64,
) -> Result<(), ProofRefusal> {
    use ProofRefusal::Invalid;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    match text("jti") {
        Some(jti) if !jti.is_empty() && jti.chars().count() <= MAX_JTI_CHARS => {}
        _ => return Err(Invalid("the proof has no usable jti")),
    }
    if text("htm") != Some(target.method) {
        return Err(Invalid("the proof's htm is not the request's method"));
    }
    let same_target = text("htu")
        .and_then(without_query)
        .zip(without_query(target.url))
        .is_some_and(|(claimed, actual)| claimed == actual);
    if !same_target {
        return Err(Invalid("the proof's htu is not the request's URL"));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or(Invalid("the proof has no iat"))?;
    if iat.saturating_add(IAT_PAST.as_secs()) < now {
        return Err(Invalid("the proof is too old"));
    }
    if iat > now.saturating_add(IAT_FUTURE.as_secs()) {
        return Err(Invalid("the proof is from the future"));
    }
    if let Some(token) = target.access_token
        && text("ath") != Some(access_token_hash(token).as_str())
    {
        return Err(Invalid("the proof's ath is not the access token's hash"));
    }
    Ok(())
}

/// A URL without query and fragment, normalised by parsing (`htu` comparison, RFC 9449 §4.3).
fn without_query(text: &str) -> Option<String> {
    let mut url = Url::parse(text).ok()?;
    url.set_query(None);
    url.set_fragment(None);
    Some(url.into())
}

/// The RFC 7638 thumbprint of a P-256 key from its base64url coordinates.
fn thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use serde_json::json;

    use super::*;

    /// RFC 9449 figure 2 (§4.1), the RFC 8792 line folding undone: a token request proof.
    const RFC_TOKEN_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
    /// RFC 9449 figure 13 (§7.1): a protected resource request proof.
    const RFC_RESOURCE_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";
    const RFC_ACCESS_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    /// RFC 9449 figure 9 (§6.1): the thumbprint of the examples' key.
    const RFC_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

    const TOKEN_URL: &str = "http://127.0.0.1:8080/token";
    const NOW: u64 = 1_800_000_000;

    fn verifier() -> DpopVerifier {
        DpopVerifier::new(false, 100)
    }

    fn token_request() -> ProofTarget<'static> {
        ProofTarget {
            method: "POST",
            url: TOKEN_URL,
            access_token: None,
        }
    }

    /// A P-256 key that signs whatever header and claims a test needs.
    struct TestKey {
        pair: EcdsaKeyPair,
    }

    impl TestKey {
        fn new() -> Self {
            let random = SystemRandom::new();
            let pkcs8 =
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random).unwrap();
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &random)
                    .unwrap();
            Self { pair }
        }

        fn jwk(&self) -> Value {
            let point = self.pair.public_key().as_ref();
            json!({
                "kty": "EC",
                "crv": "P-256",
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            })
        }

        fn thumbprint(&self) -> String {
            let jwk = self.jwk();
            thumbprint(jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap())
        }

        fn sign(&self, header: &Value, claims: &Value) -> String {
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let signature = self
                .pair
                .sign(&SystemRandom::new(), input.as_bytes())
                .unwrap();
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
        }

        fn header(&self) -> Value {
            json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk() })
        }

        /// A valid token request proof, changed by `adjust`.
        fn proof(&self, adjust: impl FnOnce(&mut Value, &mut Value)) -> String {
            let mut header = self.header();
            let mut claims = json!({
                "jti": random_secret(),
                "htm": "POST",
                "htu": TOKEN_URL,
                "iat": NOW,
            });
            adjust(&mut header, &mut claims);
            self.sign(&header, &claims)
        }
    }

    fn refusal(result: Result<String, ProofRefusal>) -> &'static str {
        match result {
            Err(ProofRefusal::Invalid(description)) => description,
            other => panic!("expected an invalid proof, got {other:?}"),
        }
    }

    #[test]
    fn the_rfc_token_request_proof_verifies_and_names_the_rfc_thumbprint() {
        let target = ProofTarget {
            method: "POST",
            url: "https://server.example.com/token",
            access_token: None,
        };
        let jkt = verifier()
            .verify_at(RFC_TOKEN_PROOF, &target, 1_562_262_616)
            .unwrap();
        assert_eq!(jkt, RFC_JKT);
    }

    #[test]
    fn the_rfc_resource_proof_verifies_only_for_its_request_token_and_time() {
        let target = |method, url, access_token| ProofTarget {
            method,
            url,
            access_token: Some(access_token),
        };
        let resource = "https://resource.example.org/protectedresource";
        let at = 1_562_262_618;
        assert_eq!(
            verifier()
                .verify_at(
                    RFC_RESOURCE_PROOF,
                    &target("GET", resource, RFC_ACCESS_TOKEN),
                    at
                )
                .unwrap(),
            RFC_JKT
        );
        let with_query = "https://resource.example.org/protectedresource?page=2#top";
        assert!(
            verifier()
                .verify_at(
                    RFC_RESOURCE_PROOF,
                    &target("GET", with_query, RFC_ACCESS_TOKEN),
                    at
                )
                .is_ok()
        );
        let refused = |target: ProofTarget<'_>, now: u64| {
            refusal(verifier().verify_at(RFC_RESOURCE_PROOF, &target, now))
        };
        assert!(refused(target("GET", resource, "another token"), at).contains("ath"));
        assert!(refused(target("POST", resource, RFC_ACCESS_TOKEN), at).contains("htm"));
        let other = "https://resource.example.org/other";
        assert!(refused(target("GET", other, RFC_ACCESS_TOKEN), at).contains("htu"));
        assert!(refused(target("GET", resource, RFC_ACCESS_TOKEN), at + 61).contains("old"));
        assert!(refused(target("GET", resource, RFC_ACCESS_TOKEN), at - 6).contains("future"));
        let tampered = format!("{}AA", &RFC_RESOURCE_PROOF[..RFC_RESOURCE_PROOF.len() - 2]);
        assert!(
            refusal(verifier().verify_at(
                &tampered,
                &target("GET", resource, RFC_ACCESS_TOKEN),
                at
            ))
            .contains("signature")
        );
    }

    #[test]
    fn a_well_formed_proof_verifies_and_names_its_key() {
        let key = TestKey::new();
        let proof = key.proof(|_, _| {});
        assert_eq!(
            verifier().verify_at(&proof, &token_request(), NOW).unwrap(),
            key.thumbprint()
        );
    }

    #[test]
    fn malformed_proofs_are_refused_with_the_reason() {
        let key = TestKey::new();
        let other = TestKey::new();
        let cases: Vec<(String, &str)> = vec![
            ("not.a.jwt.at.all".into(), "signed JWT"),
            ("x".repeat(MAX_PROOF_BYTES + 1), "too long"),
            ("e30.e30".into(), "signed JWT"),
            (key.proof(|h, _| h["typ"] = "JWT".into()), "typ"),
            (key.proof(|h, _| h["alg"] = "RS256".into()), "alg"),
            (key.proof(|h, _| h["alg"] = "none".into()), "alg"),
            (key.proof(|h, _| h["jwk"]["d"] = "AAAA".into()), "private"),
            (
                key.proof(|h, _| {
                    h.as_object_mut().unwrap().remove("jwk");
                }),
                "no jwk",
            ),
            (key.proof(|h, _| h["jwk"]["crv"] = "P-384".into()), "P-256"),
            (key.proof(|h, _| h["jwk"]["x"] = "AAAA".into()), "P-256"),
            (key.proof(|h, _| h["jwk"] = other.jwk()), "signature"),
            (
                key.proof(|_, c| {
                    c.as_object_mut().unwrap().remove("jti");
                }),
                "jti",
            ),
            (
                key.proof(|_, c| c["jti"] = "j".repeat(MAX_JTI_CHARS + 1).into()),
                "jti",
            ),
            (key.proof(|_, c| c["htm"] = "GET".into()), "htm"),
            (
                key.proof(|_, c| c["htu"] = "http://127.0.0.1:8080/revoke".into()),
                "htu",
            ),
            (key.proof(|_, c| c["htu"] = "not a url".into()), "htu"),
            (
                key.proof(|_, c| {
                    c.as_object_mut().unwrap().remove("iat");
                }),
                "iat",
            ),
            (key.proof(|_, c| c["iat"] = "1800000000".into()), "iat"),
            (key.proof(|_, c| c["iat"] = (NOW - 61).into()), "too old"),
            (key.proof(|_, c| c["iat"] = (NOW + 6).into()), "future"),
        ];
        for (proof, reason) in cases {
            let refused = refusal(verifier().verify_at(&proof, &token_request(), NOW));
            assert!(
                refused.contains(reason),
                "{refused:?} should mention {reason:?}"
            );
        }
        // Within the window, and the query and fragment of either URL, make no difference.
        for adjust in [NOW - 60, NOW + 5] {
            let proof = key.proof(|_, c| c["iat"] = adjust.into());
            assert!(verifier().verify_at(&proof, &token_request(), NOW).is_ok());
        }
        let proof = key.proof(|_, c| c["htu"] = format!("{TOKEN_URL}?x=1#y").into());
        assert!(verifier().verify_at(&proof, &token_request(), NOW).is_ok());
    }

    #[test]
    fn a_resource_proof_must_carry_the_hash_of_the_token_sent() {
        let key = TestKey::new();
        let target = ProofTarget {
            method: "POST",
            url: TOKEN_URL,
            access_token: Some("the-token"),
        };
        let without = key.proof(|_, _| {});
        assert!(refusal(verifier().verify_at(&without, &target, NOW)).contains("ath"));
        let with = key.proof(|_, c| c["ath"] = access_token_hash("the-token").into());
        assert!(verifier().verify_at(&with, &target, NOW).is_ok());
    }

    #[test]
    fn a_proof_is_accepted_once_and_a_refused_one_spends_nothing() {
        let verifier = verifier();
        let key = TestKey::new();
        let proof = key.proof(|_, c| c["jti"] = "once".into());
        assert!(verifier.verify_at(&proof, &token_request(), NOW).is_ok());
        assert!(refusal(verifier.verify_at(&proof, &token_request(), NOW)).contains("used before"));
        let second = key.proof(|_, c| c["jti"] = "second".into());
        let wrong_method = ProofTarget {
            method: "GET",
            ..token_request()
        };
        assert!(verifier.verify_at(&second, &wrong_method, NOW).is_err());
        assert!(verifier.verify_at(&second, &token_request(), NOW).is_ok());
    }

    #[test]
    fn the_replay_cache_is_bounded_and_forgets_proofs_past_the_window() {
        let mut seen = SeenProofs {
            order: VecDeque::new(),
            known: HashMap::new(),
            limit: 2,
        };
        assert!(seen.claim("a", NOW, NOW));
        assert!(!seen.claim("a", NOW, NOW));
        assert!(seen.claim("b", NOW, NOW));
        assert!(seen.claim("c", NOW, NOW), "the oldest makes room");
        assert!(seen.order.len() <= 2 && seen.known.len() <= 2);
        assert!(seen.claim("a", NOW, NOW), "a was forgotten");
        let later = NOW + IAT_PAST.as_secs() + IAT_FUTURE.as_secs() + 1;
        assert!(seen.claim("z", later, later));
        assert_eq!(seen.order.len(), 1, "entries past the window are gone");
    }

    #[test]
    fn demanded_nonces_must_be_current_or_previous() {
        let verifier = DpopVerifier::new(true, 100);
        let key = TestKey::new();
        let nonce = verifier.nonce().unwrap();
        let without = key.proof(|_, _| {});
        assert_eq!(
            verifier.verify_at(&without, &token_request(), NOW),
            Err(ProofRefusal::NonceNeeded)
        );
        let wrong = key.proof(|_, c| c["nonce"] = "made-up".into());
        assert_eq!(
            verifier.verify_at(&wrong, &token_request(), NOW),
            Err(ProofRefusal::NonceNeeded)
        );
        let current = key.proof(|_, c| c["nonce"] = nonce.clone().into());
        assert!(verifier.verify_at(&current, &token_request(), NOW).is_ok());
        verifier.rotate_nonce();
        assert_ne!(verifier.nonce().unwrap(), nonce);
        let previous = key.proof(|_, c| c["nonce"] = nonce.clone().into());
        assert!(verifier.verify_at(&previous, &token_request(), NOW).is_ok());
        verifier.rotate_nonce();
        let stale = key.proof(|_, c| c["nonce"] = nonce.clone().into());
        assert_eq!(
            verifier.verify_at(&stale, &token_request(), NOW),
            Err(ProofRefusal::NonceNeeded)
        );
        assert_eq!(DpopVerifier::new(false, 1).nonce(), None);
    }

    #[test]
    fn several_dpop_headers_are_refused() {
        let mut headers = HeaderMap::new();
        assert_eq!(proof_header(&headers), Ok(None));
        headers.append(DPOP, HeaderValue::from_static(" a.b.c "));
        assert_eq!(proof_header(&headers), Ok(Some("a.b.c")));
        headers.append(DPOP, HeaderValue::from_static("d.e.f"));
        assert!(matches!(
            proof_header(&headers),
            Err(ProofRefusal::Invalid(_))
        ));
    }

    mod properties {
        use std::sync::LazyLock;

        use proptest::prelude::*;

        use super::*;

        static KEY: LazyLock<TestKey> = LazyLock::new(TestKey::new);

        /// A valid token request proof with an extra `pad` claim of `pad` characters.
        fn padded_proof(jti: &str, pad: usize) -> String {
            KEY.proof(|_, claims| {
                claims["jti"] = jti.into();
                claims["pad"] = "p".repeat(pad).into();
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_text_is_refused_as_an_invalid_proof(
                proof in prop_oneof![
                    ".{0,300}",
                    "[A-Za-z0-9_.-]{0,600}",
                    "[A-Za-z0-9_-]{1,40}\\.[A-Za-z0-9_-]{1,40}\\.[A-Za-z0-9_-]{1,90}",
                    // Past the cap.
                    "[A-Za-z0-9_.-]{4097,6000}",
                ],
            ) {
                let refused = refusal(verifier().verify_at(&proof, &token_request(), NOW));
                if proof.len() > MAX_PROOF_BYTES {
                    prop_assert_eq!(refused, "the proof is too long");
                }
            }

            #[test]
            fn any_dpop_headers_give_the_single_trimmed_text_or_a_refusal(
                values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..3),
            ) {
                let values: Vec<HeaderValue> =
                    values.iter().filter_map(|bytes| HeaderValue::from_bytes(bytes).ok()).collect();
                let mut headers = HeaderMap::new();
                for value in &values {
                    headers.append(DPOP, value.clone());
                }
                match (proof_header(&headers), values.as_slice()) {
                    (Ok(None), []) => {}
                    (Ok(Some(text)), [value]) => prop_assert_eq!(Some(text), value.to_str().ok().map(str::trim)),
                    (Err(refused), [value]) => {
                        prop_assert!(value.to_str().is_err());
                        prop_assert_eq!(refused, ProofRefusal::Invalid("the DPoP header is not text"));
                    }
                    (Err(refused), [_, _, ..]) => {
                        prop_assert_eq!(refused, ProofRefusal::Invalid("more than one DPoP header"));
                    }
                    (outcome, values) => prop_assert!(false, "{:?} for {:?}", outcome, values),
                }
            }

            #[test]
            fn any_base64url_header_and_claims_without_the_key_is_refused(
                header in proptest::collection::vec(any::<u8>(), 0..300),
                claims in proptest::collection::vec(any::<u8>(), 0..300),
                signature in proptest::collection::vec(any::<u8>(), 0..80),
            ) {
                let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
                let proof = format!("{}.{}.{}", b64(&header), b64(&claims), b64(&signature));
                refusal(verifier().verify_at(&proof, &token_request(), NOW));
            }

            #[test]
            fn a_valid_proof_with_any_byte_changed_is_refused(
                position in any::<prop::sample::Index>(),
                flip in 1u8..=127,
            ) {
                let proof = KEY.proof(|_, _| {});
                prop_assert!(verifier().verify_at(&proof, &token_request(), NOW).is_ok());
                let mut bytes = proof.into_bytes();
                let at = position.index(bytes.len());
                bytes[at] ^= flip;
                // A header value is visible ASCII; the verifier sees it trimmed.
                let changed = String::from_utf8(bytes).unwrap();
                let changed = changed.trim();
                refusal(verifier().verify_at(changed, &token_request(), NOW));
            }

            #[test]
            fn a_valid_proof_is_accepted_up_to_the_size_cap_and_refused_past_it(
                pad in 2500usize..3300,
            ) {
                let proof = padded_proof(&random_secret(), pad);
                let outcome = verifier().verify_at(&proof, &token_request(), NOW);
                if proof.len() > MAX_PROOF_BYTES {
                    prop_assert_eq!(outcome, Err(ProofRefusal::Invalid("the proof is too long")));
                } else {
                    prop_assert_eq!(outcome, Ok(KEY.thumbprint()));
                }
            }

            #[test]
            fn signed_claims_of_any_type_pass_only_when_each_check_holds(
                jti in prop_oneof![
                    "[ -~]{1,20}".prop_map(Value::from),
                    Just(Value::from("")),
                    Just(Value::from("j".repeat(MAX_JTI_CHARS + 1))),
                    any::<i64>().prop_map(Value::from),
                    Just(Value::Null),
                ],
                htm in prop_oneof![Just(Value::from("POST")), Just(Value::from("post")), Just(Value::from("GET")), ".{0,6}".prop_map(Value::from), Just(Value::Null)],
                htu in prop_oneof![
                    Just(Value::from(TOKEN_URL)),
                    Just(Value::from(format!("{TOKEN_URL}?a=1#b"))),
                    Just(Value::from("HTTP://127.0.0.1:8080/token")),
                    Just(Value::from("http://127.0.0.1:8080/token/")),
                    Just(Value::from("http://localhost:8080/token")),
                    ".{0,30}".prop_map(Value::from),
                    any::<i64>().prop_map(Value::from),
                ],
                iat in prop_oneof![
                    (NOW - 70..NOW + 10).prop_map(Value::from),
                    any::<i64>().prop_map(Value::from),
                    any::<f64>().prop_map(Value::from),
                    Just(Value::from(NOW.to_string())),
                ],
            ) {
                let proof = KEY.proof(|_, claims| {
                    for (name, value) in [("jti", &jti), ("htm", &htm), ("htu", &htu), ("iat", &iat)] {
                        claims[name] = value.clone();
                    }
                });
                let jti_ok = jti.as_str().is_some_and(|j| !j.is_empty() && j.chars().count() <= MAX_JTI_CHARS);
                let htu_ok = htu.as_str().and_then(without_query) == without_query(TOKEN_URL);
                let iat_ok = iat.as_u64().is_some_and(|iat| iat + IAT_PAST.as_secs() >= NOW && iat <= NOW + IAT_FUTURE.as_secs());
                let expected_ok = jti_ok && htm.as_str() == Some("POST") && htu_ok && iat_ok;
                match verifier().verify_at(&proof, &token_request(), NOW) {
                    Ok(jkt) => {
                        prop_assert!(expected_ok);
                        prop_assert_eq!(jkt, KEY.thumbprint());
                    }
                    Err(refused) => {
                        prop_assert!(!expected_ok, "{:?}", refused);
                        prop_assert!(matches!(refused, ProofRefusal::Invalid(_)));
                    }
                }
            }
        }
    }
}
