//! PKCE (RFC 7636) with the `S256` method only, plus the random values the flow needs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::error::{Error, InternalFailure, Result};
use crate::secret::PkceVerifier;

/// The only code challenge method this crate sends.
pub const CODE_CHALLENGE_METHOD: &str = "S256";

/// Bytes of OS randomness behind each verifier and `state` (256 bits).
const RANDOM_BYTES: usize = 32;

impl PkceVerifier {
    /// A fresh verifier: 32 bytes of OS randomness, base64url-encoded (43 characters).
    pub fn generate() -> Result<Self> {
        Ok(Self::new(random_urlsafe()?))
    }

    /// The `S256` challenge: BASE64URL-NOPAD(SHA-256(verifier)).
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.secret().as_bytes()))
    }
}

/// 32 bytes of OS randomness as unpadded base64url text (43 characters of `[A-Za-z0-9-_]`).
pub(crate) fn random_urlsafe() -> Result<String> {
    let mut bytes = [0u8; RANDOM_BYTES];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|_| Error::Internal(InternalFailure::RandomSource))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            verifier.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn generated_verifier_has_allowed_length_and_characters() {
        let verifier = PkceVerifier::generate().unwrap();
        let text = verifier.secret();
        assert!((43..=128).contains(&text.len()), "length {}", text.len());
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        );
    }

    #[test]
    fn generated_verifiers_differ() {
        let a = PkceVerifier::generate().unwrap();
        let b = PkceVerifier::generate().unwrap();
        assert_ne!(a.secret(), b.secret());
        assert_ne!(a.challenge(), b.challenge());
    }
}
