//! Verified OpenID Connect sign-in: the ID token of a sign-in with the `openid` scope is
//! checked as OpenID Connect Core §3.1.3.7 asks before the sign-in counts, and the account it
//! names ([`IdTokenClaims`]) is kept with the tokens.
//!
//! # Checks, in order
//!
//! The signature comes first, so that no claim is read from a token nobody signed:
//!
//! 1. The token is a JWS in compact form: three base64url parts, a JSON header and payload.
//! 2. The header's `alg` is `ES256` or `RS256`. `none` and HMAC (`HS256`…) are refused
//!    ([`IdTokenError::AlgorithmRefused`]): a public client holds no secret to check an HMAC
//!    with, and anyone can compute one with the `client_id` a server might use as its key.
//! 3. The key: the one of the server's JWK Set (`jwks_uri`) with the header's `kid`, or its only
//!    key of that type when the header names none. A `kid` the cached set lacks makes the set
//!    be fetched once more (the server rotated its keys); still absent is
//!    [`IdTokenError::UnknownKey`].
//! 4. The signature over `header.payload` ([`IdTokenError::BadSignature`]).
//! 5. `iss` equals the expected issuer (from [`expected_issuer`], the one place that decides it).
//! 6. `aud` (a string or an array) contains the `client_id`; with several audiences, `azp` is
//!    required; `azp`, when present, equals the `client_id`.
//! 7. `exp` is in the future and `iat` is not, each allowing [`CLOCK_SKEW`].
//! 8. `nonce` equals the one sent with the sign-in (compared in constant time). A sign-in
//!    without a nonce is refused before its code is redeemed
//!    ([`IdTokenError::SignInWithoutNonce`]). A refreshed ID token carries no new nonce to
//!    check; its `sub` must equal the account's.
//! 9. `sub` is present and not empty.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use subtle::ConstantTimeEq;

use crate::config::ClientConfig;
use crate::error::{CleanText, IdTokenError, Result};
use crate::issuer::IssuerTemplate;
use crate::jwks::{Algorithm, KeySet};
use crate::metadata::ServerMetadata;
use crate::server_text;

/// How far the server's clock may be from this one, for `exp` and `iat`.
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The account an ID token names, after verification. Stored with the tokens, so a later start
/// can show the account without verifying again. The name, e-mail and username are cleaned to
/// be shown (invisible characters removed, whitespace collapsed, capped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// The account's stable identifier at this issuer.
    pub sub: String,
    /// A display name, if the server included one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An e-mail address, if the server included one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The name the person signs in with, if the server included one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
}

/// What a token must say to be accepted.
pub(crate) struct Expected<'a> {
    pub issuer: &'a str,
    /// Set when `issuer` is a multi-tenant template: the token's tenant claim then names the
    /// issuer it must carry.
    pub tenant_template: Option<&'a IssuerTemplate>,
    pub client_id: &'a str,
    /// The nonce sent with the sign-in; `None` for a refreshed ID token.
    pub nonce: Option<&'a str>,
    /// The account's `sub` when the token refreshes a known account.
    pub subject: Option<&'a str>,
    pub now: SystemTime,
}

/// The issuer an ID token must name: the one place that decides it. For a server whose
/// metadata names the configured issuer template, the tenant's issuer is derived from each
/// token's tenant claim ([`IssuerTemplate::issuer_for`]).
pub(crate) fn expected_issuer<'a>(
    metadata: &'a ServerMetadata,
    config: &'a ClientConfig,
) -> (&'a str, Option<&'a IssuerTemplate>) {
    let issuer = metadata.issuer.as_str();
    let template = config
        .issuer_template
        .as_ref()
        .filter(|template| template.as_str() == issuer);
    (issuer, template)
}

/// A JWS split into its parts, the header read.
pub(crate) struct Parsed<'a> {
    algorithm: Algorithm,
    kid: Option<String>,
    signing_input: &'a str,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl fmt::Debug for Parsed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parsed")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Steps 1 and 2: the compact form and the header's algorithm.
pub(crate) fn parse(token: &str) -> Result<Parsed<'_>, IdTokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::Malformed("not three parts"));
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part);
    let header: Value = decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(IdTokenError::Malformed("the header is not base64url JSON"))?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(IdTokenError::Malformed("the header names no algorithm"))?;
    let algorithm = Algorithm::from_name(alg)
        .ok_or_else(|| IdTokenError::AlgorithmRefused(CleanText::code(alg)))?;
    let payload =
        decode(payload).map_err(|_| IdTokenError::Malformed("the payload is not base64url"))?;
    let signature =
        decode(signature).map_err(|_| IdTokenError::Malformed("the signature is not base64url"))?;
    let signing_input = &token[..token.rfind('.').unwrap_or(0)];
    Ok(Parsed {
        algorithm,
        kid: header.get("kid").and_then(Value::as_str).map(str::to_owned),
        signing_input,
        payload,
        signature,
    })
}

/// Steps 3 to 9 with a given key set; `Err(UnknownKey)` lets the caller fetch it again.
pub(crate) fn verify_with(
    parsed: &Parsed<'_>,
    keys: &KeySet,
    expected: &Expected<'_>,
) -> Result<IdTokenClaims, IdTokenError> {
    let key = keys
        .find(parsed.kid.as_deref(), parsed.algorithm)
        .ok_or(IdTokenError::UnknownKey)?;
    if !key.verify(parsed.signing_input.as_bytes(), &parsed.signature) {
        return Err(IdTokenError::BadSignature);
    }
    let claims: serde_json::Map<String, Value> = serde_json::from_slice(&parsed.payload)
        .map_err(|_| IdTokenError::Malformed("the payload is not a JSON object"))?;
    check_claims(&claims, expected)
}

fn check_claims(
    claims: &serde_json::Map<String, Value>,
    expected: &Expected<'_>,
) -> Result<IdTokenClaims, IdTokenError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let wrong_issuer = || IdTokenError::WrongIssuer {
        expected: CleanText::configured(expected.issuer),
        found: CleanText::text(text("iss").unwrap_or("none")),
    };
    let issuer = match expected.tenant_template {
        None => expected.issuer.to_owned(),
        Some(template) => text(template.claim())
            .and_then(|tenant| template.issuer_for(tenant).ok())
            .ok_or_else(wrong_issuer)?,
    };
    if text("iss") != Some(issuer.as_str()) {
        return Err(wrong_issuer());
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err(IdTokenError::WrongAudience);
    }
    match text("azp") {
        Some(azp) if azp != expected.client_id => return Err(IdTokenError::WrongAuthorizedParty),
        None if audiences.len() > 1 => return Err(IdTokenError::WrongAuthorizedParty),
        _ => {}
    }
    let time = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_f64)
            .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
            .and_then(|seconds| UNIX_EPOCH.checked_add(Duration::from_secs_f64(seconds.min(1e12))))
    };
    let expires_at = time("exp").ok_or(IdTokenError::Expired)?;
    if expires_at + CLOCK_SKEW <= expected.now {
        return Err(IdTokenError::Expired);
    }
    let issued_at = time("iat").ok_or(IdTokenError::IssuedInFuture)?;
    if issued_at > expected.now + CLOCK_SKEW {
        return Err(IdTokenError::IssuedInFuture);
    }
    if let Some(nonce) = expected.nonce {
        let sent = text("nonce").unwrap_or_default();
        if !bool::from(sent.as_bytes().ct_eq(nonce.as_bytes())) || sent.is_empty() {
            return Err(IdTokenError::NonceMismatch);
        }
    }
    let sub = text("sub")
        .filter(|sub| !sub.is_empty())
        .ok_or(IdTokenError::WrongSubject)?;
    if expected.subject.is_some_and(|known| known != sub) {
        return Err(IdTokenError::WrongSubject);
    }
    let optional = |name: &str| text(name).and_then(server_text::account_detail);
    Ok(IdTokenClaims {
        sub: sub.to_owned(),
        name: optional("name"),
        email: optional("email"),
        preferred_username: optional("preferred_username"),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use ring::rand::SystemRandom;
    use ring::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
        RsaPublicKeyComponents,
    };
    use serde_json::json;

    use super::*;

    const ISSUER: &str = "https://auth.example.com";
    const CLIENT: &str = "photolink-desktop";
    const NONCE: &str = "n-0S6_WzA2Mj";
    const RSA_TEST_KEY: &[u8] = include_bytes!("../tests/fixtures/rsa-2048-test-key.pk8");

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A signer of test tokens and the JWK of its public key.
    pub(crate) enum Signer {
        Es256(EcdsaKeyPair),
        Rs256(RsaKeyPair),
    }

    impl Signer {
        pub(crate) fn es256() -> Self {
            let rng = SystemRandom::new();
            let pkcs8 =
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
            Self::Es256(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .unwrap(),
            )
        }

        fn rs256() -> Self {
            Self::Rs256(RsaKeyPair::from_pkcs8(RSA_TEST_KEY).unwrap())
        }

        pub(crate) fn jwk(&self, kid: &str) -> Value {
            match self {
                Self::Es256(pair) => {
                    let point = pair.public_key().as_ref();
                    json!({"kty":"EC","crv":"P-256","kid":kid,"use":"sig",
                           "x":b64(&point[1..33]),"y":b64(&point[33..])})
                }
                Self::Rs256(pair) => {
                    let components: RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
                    json!({"kty":"RSA","kid":kid,"alg":"RS256",
                           "n":b64(&components.n),"e":b64(&components.e)})
                }
            }
        }

        /// A compact JWS of `claims` with `header`.
        pub(crate) fn sign(&self, header: &Value, claims: &Value) -> String {
            let input = format!(
                "{}.{}",
                b64(header.to_string().as_bytes()),
                b64(claims.to_string().as_bytes())
            );
            let rng = SystemRandom::new();
            let signature = match self {
                Self::Es256(pair) => pair.sign(&rng, input.as_bytes()).unwrap().as_ref().to_vec(),
                Self::Rs256(pair) => {
                    let mut signature = vec![0; pair.public().modulus_len()];
                    pair.sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut signature)
                        .unwrap();
                    signature
                }
            };
            format!("{input}.{}", b64(&signature))
        }
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn claims() -> Value {
        json!({"iss":ISSUER,"sub":"alex","aud":CLIENT,"exp":now()+300,"iat":now(),
               "nonce":NONCE,"name":"Alex Rivera","email":"alex@demo.photos"})
    }

    fn keys(signers: &[(&Signer, &str)]) -> KeySet {
        let keys: Vec<Value> = signers.iter().map(|(s, kid)| s.jwk(kid)).collect();
        KeySet::parse(json!({ "keys": keys }).to_string().as_bytes()).unwrap()
    }

    fn expected() -> Expected<'static> {
        Expected {
            issuer: ISSUER,
            tenant_template: None,
            client_id: CLIENT,
            nonce: Some(NONCE),
            subject: None,
            now: SystemTime::now(),
        }
    }

    fn verify(
        token: &str,
        keys: &KeySet,
        expected: &Expected<'_>,
    ) -> Result<IdTokenClaims, IdTokenError> {
        verify_with(&parse(token)?, keys, expected)
    }

    /// A token signed by `signer` (kid "k1") with `claims` changed by `change`, checked.
    fn with_claims(change: impl FnOnce(&mut Value)) -> Result<IdTokenClaims, IdTokenError> {
        let signer = Signer::es256();
        let mut claims = claims();
        change(&mut claims);
        let token = signer.sign(&json!({"alg":"ES256","kid":"k1"}), &claims);
        verify(&token, &keys(&[(&signer, "k1")]), &expected())
    }

    #[test]
    fn a_valid_es256_token_gives_its_account() {
        let claims = with_claims(|_| {}).unwrap();
        assert_eq!(claims.sub, "alex");
        assert_eq!(claims.name.as_deref(), Some("Alex Rivera"));
        assert_eq!(claims.email.as_deref(), Some("alex@demo.photos"));
    }

    #[test]
    fn the_account_names_are_cleaned_to_be_shown() {
        let claims = with_claims(|claims| {
            claims["name"] = json!("\u{202E}Alex\n Rivera");
            claims["email"] = json!("\u{200B}");
            claims["preferred_username"] = json!(" alex\u{0007}");
        })
        .unwrap();
        assert_eq!(claims.name.as_deref(), Some("Alex Rivera"));
        assert_eq!(claims.email, None, "nothing visible is no e-mail");
        assert_eq!(claims.preferred_username.as_deref(), Some("alex"));
    }

    #[test]
    fn a_valid_rs256_token_verifies_against_the_rsa_key() {
        let signer = Signer::rs256();
        let token = signer.sign(&json!({"alg":"RS256","kid":"r1"}), &claims());
        let claims = verify(&token, &keys(&[(&signer, "r1")]), &expected()).unwrap();
        assert_eq!(claims.sub, "alex");
    }

    #[test]
    fn a_bad_signature_is_refused() {
        let signer = Signer::es256();
        let other = Signer::es256();
        let token = other.sign(&json!({"alg":"ES256","kid":"k1"}), &claims());
        assert_eq!(
            verify(&token, &keys(&[(&signer, "k1")]), &expected()),
            Err(IdTokenError::BadSignature)
        );
        // A payload changed after signing.
        let token = signer.sign(&json!({"alg":"ES256","kid":"k1"}), &claims());
        let mut parts: Vec<&str> = token.split('.').collect();
        let mut forged = claims();
        forged["sub"] = json!("mallory");
        let forged_payload = b64(forged.to_string().as_bytes());
        parts[1] = &forged_payload;
        assert_eq!(
            verify(&parts.join("."), &keys(&[(&signer, "k1")]), &expected()),
            Err(IdTokenError::BadSignature)
        );
    }

    #[test]
    fn a_wrong_issuer_is_refused() {
        let error = with_claims(|c| c["iss"] = json!("https://evil.example")).unwrap_err();
        assert!(
            matches!(error, IdTokenError::WrongIssuer { ref found, .. } if found == "https://evil.example")
        );
        let error = with_claims(|c| {
            c.as_object_mut().unwrap().remove("iss");
        })
        .unwrap_err();
        assert!(matches!(error, IdTokenError::WrongIssuer { .. }));
    }

    #[test]
    fn a_wrong_audience_is_refused() {
        assert_eq!(
            with_claims(|c| c["aud"] = json!("someone-else")),
            Err(IdTokenError::WrongAudience)
        );
        assert_eq!(
            with_claims(|c| c["aud"] = json!(["someone-else", "another"])),
            Err(IdTokenError::WrongAudience)
        );
    }

    #[test]
    fn several_audiences_need_this_client_as_authorized_party() {
        assert_eq!(
            with_claims(|c| c["aud"] = json!([CLIENT, "photos-api"])),
            Err(IdTokenError::WrongAuthorizedParty)
        );
        assert!(
            with_claims(|c| {
                c["aud"] = json!([CLIENT, "photos-api"]);
                c["azp"] = json!(CLIENT);
            })
            .is_ok()
        );
        assert_eq!(
            with_claims(|c| c["azp"] = json!("someone-else")),
            Err(IdTokenError::WrongAuthorizedParty)
        );
    }

    #[test]
    fn an_expired_token_is_refused_beyond_the_skew() {
        assert_eq!(
            with_claims(|c| c["exp"] = json!(now() - 61)),
            Err(IdTokenError::Expired)
        );
        assert!(with_claims(|c| c["exp"] = json!(now() - 30)).is_ok());
        assert_eq!(
            with_claims(|c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
            Err(IdTokenError::Expired)
        );
    }

    #[test]
    fn a_token_issued_in_the_future_is_refused_beyond_the_skew() {
        assert_eq!(
            with_claims(|c| c["iat"] = json!(now() + 120)),
            Err(IdTokenError::IssuedInFuture)
        );
        assert!(with_claims(|c| c["iat"] = json!(now() + 30)).is_ok());
    }

    #[test]
    fn a_multi_tenant_token_must_name_the_issuer_of_its_own_tenant() {
        let template =
            IssuerTemplate::new("https://login.example/{tenantid}/v2.0", "{tenantid}", "tid")
                .unwrap();
        let signer = Signer::es256();
        let keys = keys(&[(&signer, "k1")]);
        let expected = Expected {
            issuer: "https://login.example/{tenantid}/v2.0",
            tenant_template: Some(&template),
            ..expected()
        };
        let token = |iss: &str, tid: Option<&str>| {
            let mut claims = claims();
            claims["iss"] = json!(iss);
            if let Some(tid) = tid {
                claims["tid"] = json!(tid);
            }
            signer.sign(&json!({"alg":"ES256","kid":"k1"}), &claims)
        };

        let own = token("https://login.example/t-1/v2.0", Some("t-1"));
        assert!(verify(&own, &keys, &expected).is_ok());
        for refused in [
            token("https://login.example/t-2/v2.0", Some("t-1")),
            token("https://login.example/t-1/v2.0", None),
            token("https://login.example/{tenantid}/v2.0", Some("{tenantid}")),
            token("https://login.example/a/b/v2.0", Some("a/b")),
        ] {
            assert!(matches!(
                verify(&refused, &keys, &expected),
                Err(IdTokenError::WrongIssuer { .. })
            ));
        }
    }

    #[test]
    fn a_wrong_or_missing_nonce_is_refused() {
        assert_eq!(
            with_claims(|c| c["nonce"] = json!("replayed")),
            Err(IdTokenError::NonceMismatch)
        );
        assert_eq!(
            with_claims(|c| {
                c.as_object_mut().unwrap().remove("nonce");
            }),
            Err(IdTokenError::NonceMismatch)
        );
    }

    #[test]
    fn a_refreshed_token_must_name_the_same_account() {
        let signer = Signer::es256();
        let token = signer.sign(&json!({"alg":"ES256","kid":"k1"}), &claims());
        let keys = keys(&[(&signer, "k1")]);
        let refreshed = |subject| Expected {
            nonce: None,
            subject: Some(subject),
            ..expected()
        };
        assert!(verify(&token, &keys, &refreshed("alex")).is_ok());
        assert_eq!(
            verify(&token, &keys, &refreshed("someone")),
            Err(IdTokenError::WrongSubject)
        );
    }

    #[test]
    fn alg_none_and_hmac_are_refused_before_any_key_is_looked_at() {
        let payload = b64(claims().to_string().as_bytes());
        let none = format!("{}.{payload}.", b64(br#"{"alg":"none"}"#));
        assert_eq!(
            parse(&none).unwrap_err(),
            IdTokenError::AlgorithmRefused("none".into())
        );
        let hmac = format!(
            "{}.{payload}.c2lnbmF0dXJl",
            b64(br#"{"alg":"HS256","kid":"k1"}"#)
        );
        assert_eq!(
            parse(&hmac).unwrap_err(),
            IdTokenError::AlgorithmRefused("HS256".into())
        );
    }

    #[test]
    fn a_token_signed_with_an_unknown_kid_finds_no_key() {
        let signer = Signer::es256();
        let token = signer.sign(&json!({"alg":"ES256","kid":"rotated"}), &claims());
        assert_eq!(
            verify(&token, &keys(&[(&signer, "k1")]), &expected()),
            Err(IdTokenError::UnknownKey)
        );
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for token in ["", "a.b", "a.b.c.d", "!!.e30.sig", "e30.e30.sig"] {
            assert!(
                matches!(parse(token), Err(IdTokenError::Malformed(_))),
                "{token:?}"
            );
        }
    }

    mod properties {
        use std::sync::LazyLock;

        use proptest::prelude::*;

        use super::*;

        /// One key of each type for every case: making an RSA signature is slow, a key pair
        /// more so.
        static ES256: LazyLock<Signer> = LazyLock::new(Signer::es256);
        static RS256: LazyLock<Signer> = LazyLock::new(Signer::rs256);
        static KEYS: LazyLock<KeySet> = LazyLock::new(|| keys(&[(&*ES256, "k1"), (&*RS256, "r1")]));

        /// A valid token of either algorithm, signed once per signer.
        fn valid_token(rsa: bool) -> String {
            if rsa {
                RS256.sign(&json!({"alg":"RS256","kid":"r1"}), &claims())
            } else {
                ES256.sign(&json!({"alg":"ES256","kid":"k1"}), &claims())
            }
        }

        /// Refused for the token's form, algorithm, key or signature: before any claim is read.
        fn refused_before_the_claims<T>(outcome: &Result<T, IdTokenError>) -> bool {
            matches!(
                outcome,
                Err(IdTokenError::Malformed(_)
                    | IdTokenError::AlgorithmRefused(_)
                    | IdTokenError::UnknownKey
                    | IdTokenError::BadSignature)
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn a_valid_token_with_any_byte_changed_is_refused(
                rsa in any::<bool>(),
                position in any::<prop::sample::Index>(),
                flip in 1u8..=255,
            ) {
                let token = valid_token(rsa);
                prop_assert!(verify(&token, &KEYS, &expected()).is_ok());
                let mut bytes = token.into_bytes();
                let at = position.index(bytes.len());
                bytes[at] ^= flip;
                // An ID token arrives as a JSON string: only text can reach the parser.
                if let Ok(changed) = String::from_utf8(bytes) {
                    let outcome = verify(&changed, &KEYS, &expected());
                    prop_assert!(outcome.is_err(), "byte {} changed: {:?}", at, outcome);
                }
            }

            #[test]
            fn a_signature_made_by_no_key_of_the_set_never_verifies(
                rsa in any::<bool>(),
                signature in proptest::collection::vec(any::<u8>(), 0..600),
            ) {
                let token = valid_token(rsa);
                let signing_input = &token[..token.rfind('.').unwrap()];
                let forged = format!("{signing_input}.{}", b64(&signature));
                prop_assert_eq!(verify(&forged, &KEYS, &expected()), Err(IdTokenError::BadSignature));
            }

            #[test]
            fn arbitrary_text_never_verifies(
                token in prop_oneof![
                    ".{0,400}",
                    "[A-Za-z0-9_.-]{0,400}",
                    // Past the 1 MiB cap on token answers: still refused, without panicking.
                    "[A-Za-z0-9_-]{0,64}".prop_map(|part| format!("{part}.{}.", "A".repeat(1 << 20))),
                ],
            ) {
                // Refused before any claim is read: nothing unsigned gets that far.
                let outcome = verify(&token, &KEYS, &expected());
                prop_assert!(refused_before_the_claims(&outcome), "{:?}", outcome);
            }

            #[test]
            fn any_three_base64url_parts_are_refused_with_a_reason(
                header in proptest::collection::vec(any::<u8>(), 0..200),
                payload in proptest::collection::vec(any::<u8>(), 0..400),
                signature in proptest::collection::vec(any::<u8>(), 0..300),
            ) {
                let token = format!("{}.{}.{}", b64(&header), b64(&payload), b64(&signature));
                let outcome = verify(&token, &KEYS, &expected());
                prop_assert!(refused_before_the_claims(&outcome), "{:?}", outcome);
            }

            #[test]
            fn any_header_is_read_or_refused_and_only_es256_and_rs256_pass(
                alg in prop_oneof![
                    Just("ES256".to_owned()), Just("RS256".to_owned()), Just("none".to_owned()),
                    Just("HS256".to_owned()), Just("es256".to_owned()), Just("PS256".to_owned()),
                    ".{0,80}",
                ],
                kid in proptest::option::of(".{0,40}"),
            ) {
                let mut header = json!({"alg": alg});
                if let Some(kid) = &kid {
                    header["kid"] = json!(kid);
                }
                let token = format!("{}.{}.", b64(header.to_string().as_bytes()), b64(b"{}"));
                match parse(&token) {
                    Ok(parsed) => {
                        prop_assert!(alg == "ES256" || alg == "RS256", "{}", alg);
                        prop_assert_eq!(parsed.kid.as_deref(), kid.as_deref());
                        // No signature: nothing verifies, whichever key the kid finds.
                        let outcome = verify_with(&parsed, &KEYS, &expected());
                        prop_assert!(
                            matches!(outcome, Err(IdTokenError::UnknownKey | IdTokenError::BadSignature)),
                            "{:?}", outcome
                        );
                    }
                    Err(IdTokenError::AlgorithmRefused(shown)) => {
                        prop_assert!(alg != "ES256" && alg != "RS256");
                        prop_assert!(shown.chars().count() <= 65, "{}", shown);
                    }
                    Err(other) => prop_assert!(false, "{:?}", other),
                }
            }
        }
    }
}
