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

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

use crate::secrets::random_secret;
use crate::server::Provider;
use crate::stats::bump;
use crate::sync::lock;

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

/// Verifies the request's proof, if it has one, counting the outcome: the key's thumbprint, or
/// `None` without a proof.
pub(crate) fn request_proof(
    app: &Provider,
    headers: &HeaderMap,
    target: &ProofTarget<'_>,
) -> Result<Option<String>, ProofRefusal> {
    let verified = proof_header(headers).and_then(|proof| {
        proof
            .map(|proof| app.dpop.verify(proof, target))
            .transpose()
    });
    match &verified {
        Ok(Some(_)) => bump(&app.counters.dpop_proofs_accepted),
        Ok(None) => {}
        Err(ProofRefusal::NonceNeeded) => bump(&app.counters.dpop_nonces_demanded),
        Err(ProofRefusal::Invalid(_)) => bump(&app.counters.dpop_proofs_refused),
    }
    verified
}

/// The proof of a token or revocation request (a `POST` to `url`): the key's thumbprint, or
/// `None` without a proof where none is required.
pub(crate) fn endpoint_proof(
    app: &Provider,
    headers: &HeaderMap,
    url: &str,
) -> Result<Option<String>, ProofRefusal> {
    let target = ProofTarget {
        method: "POST",
        url,
        access_token: None,
    };
    match request_proof(app, headers, &target)? {
        None if app.require_dpop => {
            bump(&app.counters.dpop_proofs_refused);
            Err(ProofRefusal::Invalid("a DPoP proof is required"))
        }
        jkt => Ok(jkt),
    }
}

/// Adds the current nonce as `DPoP-Nonce`, when nonces are demanded (RFC 9449 §8.2 lets any
/// answer carry one).
pub(crate) fn add_nonce(app: &Provider, response: &mut Response) {
    if let Some(nonce) = app.dpop.nonce()
        && let Ok(value) = HeaderValue::from_str(&nonce)
    {
        response.headers_mut().insert(DPOP_NONCE, value);
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}
