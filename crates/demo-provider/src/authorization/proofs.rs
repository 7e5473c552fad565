//! The DPoP proofs of requests, checked with the provider's verifier and counted (the proofs
//! themselves are verified in `dpop`).

use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;

use crate::authorization::dpop::{DPOP_NONCE, ProofRefusal, ProofTarget, proof_header};
use crate::shared::provider::Provider;
use crate::test_machinery::machinery::Count;

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
        Ok(Some(_)) => app.counters.bump(Count::DpopProofsAccepted),
        Ok(None) => {}
        Err(ProofRefusal::NonceNeeded) => app.counters.bump(Count::DpopNoncesDemanded),
        Err(ProofRefusal::Invalid(_)) => app.counters.bump(Count::DpopProofsRefused),
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
            app.counters.bump(Count::DpopProofsRefused);
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
