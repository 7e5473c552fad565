//! OpenID Connect ID tokens: signed with ES256 by a P-256 key of the provider's own, and the
//! JWK Set at `{issuer}/jwks` that verifies them.
//!
//! The key is generated at start. With a state file it is kept beside it
//! (`{state_file}.id-token-key`, PKCS#8, written like the state file: atomically, readable by
//! the owner only), so tokens stay verifiable across restarts; a key file that cannot be read
//! is replaced by a new key. [`ProviderHandle::rotate_id_token_key`](crate::ProviderHandle)
//! replaces the key, as a real server rotates its keys; the JWK Set then lists the new one only.
//!
//! An ID token is issued with the `authorization_code` grant of a request whose scope had
//! `openid`: `iss`, `sub`, `aud` (the client), `exp` (10 minutes), `iat`, `auth_time`, the
//! request's `nonce` when it had one, and `name` and `email` when `profile` was granted too.
//! Refreshes issue none.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::authorization::account::Account;
use crate::authorization::scope;
use crate::shared::persistence::{self, StateFileError};

/// How long an ID token is valid.
const ID_TOKEN_LIFETIME: Duration = Duration::from_secs(600);

/// The sign-in an ID token tells about.
#[derive(Debug, Clone)]
pub(crate) struct OpenIdSignIn {
    pub client_id: String,
    pub scope: String,
    pub nonce: Option<String>,
    /// The account signed in.
    pub account: Account,
}

struct SigningKey {
    pair: EcdsaKeyPair,
    kid: String,
}

impl SigningKey {
    fn from_pkcs8(pkcs8: &[u8]) -> Option<Self> {
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8,
            &SystemRandom::new(),
        )
        .ok()?;
        // A short, stable name derived from the public key.
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(pair.public_key().as_ref())[..12]);
        Some(Self { pair, kid })
    }

    fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC",
            "crv": "P-256",
            "use": "sig",
            "alg": "ES256",
            "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        })
    }
}

/// The key file's content.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    /// The PKCS#8 document, base64url.
    pkcs8: String,
}

/// Signs ID tokens with the provider's current key.
pub(crate) struct IdTokenSigner {
    key: RwLock<SigningKey>,
    key_file: Option<PathBuf>,
}

impl IdTokenSigner {
    /// The key kept beside `state_file`, or a new one (saved there when there is a state file).
    pub fn open(state_file: Option<&Path>) -> Result<Self, Error> {
        let key_file = state_file.map(|path| {
            let mut name = path.as_os_str().to_owned();
            name.push(".id-token-key");
            PathBuf::from(name)
        });
        let saved = match &key_file {
            Some(path) => match persistence::load::<KeyFile>(path) {
                Ok(saved) => saved,
                Err(StateFileError::Corrupt { .. }) => {
                    tracing::warn!("the ID token key file is unreadable; using a new key");
                    None
                }
                Err(error) => return Err(error.into()),
            },
            None => None,
        };
        let loaded = saved
            .and_then(|file| URL_SAFE_NO_PAD.decode(file.pkcs8).ok())
            .and_then(|pkcs8| SigningKey::from_pkcs8(&pkcs8));
        let key = match loaded {
            Some(key) => key,
            None => generate(key_file.as_deref())?,
        };
        Ok(Self {
            key: RwLock::new(key),
            key_file,
        })
    }

    /// Replaces the signing key with a new one.
    pub fn rotate(&self) -> Result<(), Error> {
        let key = generate(self.key_file.as_deref())?;
        *self.key.write().unwrap_or_else(|p| p.into_inner()) = key;
        Ok(())
    }

    /// The JWK Set: the current key.
    pub(crate) fn jwks(&self) -> Value {
        json!({ "keys": [self.read().jwk()] })
    }

    /// A signed ID token for `sign_in`, issued by `issuer`.
    pub fn issue(&self, issuer: &str, sign_in: &OpenIdSignIn) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut claims = json!({
            "iss": issuer,
            "sub": sign_in.account.subject(),
            "aud": sign_in.client_id,
            "exp": now + ID_TOKEN_LIFETIME.as_secs(),
            "iat": now,
            "auth_time": now,
        });
        if let Some(nonce) = &sign_in.nonce {
            claims["nonce"] = json!(nonce);
        }
        if scope::contains(&sign_in.scope, scope::PROFILE) {
            claims["name"] = json!(sign_in.account.name());
            claims["email"] = json!(sign_in.account.email());
        }
        let key = self.read();
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": key.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        match key.pair.sign(&SystemRandom::new(), input.as_bytes()) {
            Ok(signature) => format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref())),
            // The OS random source failed: nothing sensible can be signed.
            Err(_) => String::new(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, SigningKey> {
        self.key.read().unwrap_or_else(|p| p.into_inner())
    }
}

/// A new key, saved to `key_file` when there is one.
fn generate(key_file: Option<&Path>) -> Result<SigningKey, Error> {
    let rng = SystemRandom::new();
    let generated = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .ok()
        .and_then(|pkcs8| Some((SigningKey::from_pkcs8(pkcs8.as_ref())?, pkcs8)));
    let Some((key, pkcs8)) = generated else {
        return Err(Error::SigningKey);
    };
    if let Some(path) = key_file {
        persistence::save(
            path,
            &KeyFile {
                pkcs8: URL_SAFE_NO_PAD.encode(pkcs8.as_ref()),
            },
        )?;
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

    use super::*;

    fn sign_in(nonce: Option<&str>, scope: &str) -> OpenIdSignIn {
        OpenIdSignIn {
            client_id: "photolink-desktop".into(),
            scope: scope.into(),
            nonce: nonce.map(str::to_owned),
            account: Account::named("Sam Lee").unwrap(),
        }
    }

    /// The token's header and claims, after checking its signature with the JWK Set.
    fn verified(signer: &IdTokenSigner, token: &str) -> (Value, Value) {
        let jwk = signer.jwks()["keys"][0].clone();
        let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
        let y = URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap();
        let point = [&[4u8][..], &x, &y].concat();
        let (input, signature) = token.rsplit_once('.').unwrap();
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .verify(
                input.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature).unwrap(),
            )
            .expect("the JWK Set verifies the token");
        let part = |i: usize| -> Value {
            serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(input.split('.').nth(i).unwrap())
                    .unwrap(),
            )
            .unwrap()
        };
        (part(0), part(1))
    }

    #[test]
    fn an_id_token_carries_the_sign_in_and_verifies_with_the_jwk_set() {
        let signer = IdTokenSigner::open(None).unwrap();
        let token = signer.issue("http://127.0.0.1:1", &sign_in(Some("n1"), "openid profile"));
        let (header, claims) = verified(&signer, &token);
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["kid"], signer.jwks()["keys"][0]["kid"]);
        assert_eq!(claims["iss"], "http://127.0.0.1:1");
        assert_eq!(claims["aud"], "photolink-desktop");
        assert_eq!(claims["sub"], Account::named("sam lee").unwrap().subject());
        assert_eq!(claims["nonce"], "n1");
        assert_eq!(claims["name"], "Sam Lee");
        assert_eq!(claims["email"], "sam.lee@demo.photos");
        let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
        assert_eq!(lifetime, ID_TOKEN_LIFETIME.as_secs());
    }

    #[test]
    fn without_profile_or_nonce_those_claims_are_left_out() {
        let signer = IdTokenSigner::open(None).unwrap();
        let (_, claims) = verified(&signer, &signer.issue("http://x", &sign_in(None, "openid")));
        assert!(claims.get("nonce").is_none());
        assert!(claims.get("name").is_none() && claims.get("email").is_none());
    }

    #[test]
    fn the_key_is_kept_beside_the_state_file_and_rotation_replaces_it() {
        let folder = std::env::temp_dir().join(format!("id-token-key-{}", rand::random::<u64>()));
        let state_file = folder.join("state.json");
        let first = IdTokenSigner::open(Some(&state_file)).unwrap();
        let kid = first.jwks()["keys"][0]["kid"].clone();
        let reopened = IdTokenSigner::open(Some(&state_file)).unwrap();
        assert_eq!(reopened.jwks()["keys"][0]["kid"], kid);
        reopened.rotate().unwrap();
        assert_ne!(reopened.jwks()["keys"][0]["kid"], kid);
        let after_rotation = IdTokenSigner::open(Some(&state_file)).unwrap();
        assert_eq!(after_rotation.jwks(), reopened.jwks());
        std::fs::write(folder.join("state.json.id-token-key"), "not json").unwrap();
        let replaced = IdTokenSigner::open(Some(&state_file)).unwrap();
        assert_eq!(replaced.jwks()["keys"].as_array().unwrap().len(), 1);
        std::fs::remove_dir_all(folder).unwrap();
    }
}
