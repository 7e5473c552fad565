//! Access token checks for the protected resources: Bearer tokens (RFC 6750) and DPoP-bound
//! tokens (RFC 9449 §7).
//!
//! A token bound to a DPoP key (`cnf.jkt`) is accepted only as `Authorization: DPoP`, with a
//! valid proof of that key for this request (`GET`, its URL, the token's `ath`, the nonce when
//! nonces are demanded); sent as `Bearer`, or with a proof of another key, it is refused. An
//! unbound token is accepted only as `Bearer`.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::authorization::dpop::{self, DPOP_NONCE, ProofRefusal, ProofTarget};
use crate::authorization::grants::AccessGrant;
use crate::authorization::proofs;
use crate::authorization::scope;
use crate::shared::provider::AppState;
use crate::test_machinery::machinery::Count;

/// Why a protected resource refused a request. `dpop` says whether the request used the
/// `DPoP` scheme, which the challenge then names.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// 401: the token is missing, unknown, expired or revoked, or sent with the wrong scheme
    /// (a DPoP-bound token as `Bearer`, an unbound one as `DPoP`).
    InvalidToken { dpop: bool },
    /// 401: the DPoP proof is missing, invalid, or of another key than the token's.
    InvalidDpopProof(&'static str),
    /// 401: the proof lacks the current nonce, which the answer carries in `DPoP-Nonce`.
    UseDpopNonce(Option<String>),
    /// 403: the token does not grant this scope.
    InsufficientScope { scope: &'static str, dpop: bool },
}

/// The grant behind the request's access token, if it allows `required_scope`. Every
/// protected resource is a `GET` of `uri`.
pub(crate) fn require(
    app: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    required_scope: &'static str,
) -> Result<AccessGrant, Refusal> {
    let presented = authorization(headers);
    let dpop = matches!(presented, Some((Scheme::Dpop, _)));
    let grant =
        presented.and_then(|(_, token)| app.grants.authenticate(token).map(|grant| (token, grant)));
    let Some((token, grant)) = grant else {
        app.counters.bump(Count::UnauthorizedRequests);
        return Err(Refusal::InvalidToken { dpop });
    };
    match (&grant.jkt, dpop) {
        (Some(bound), true) => check_proof(app, uri, headers, token, bound)?,
        (None, false) => {}
        (Some(_), false) | (None, true) => {
            app.counters.bump(Count::UnauthorizedRequests);
            return Err(Refusal::InvalidToken { dpop });
        }
    }
    if !scope::contains(&grant.scope, required_scope) {
        return Err(Refusal::InsufficientScope {
            scope: required_scope,
            dpop,
        });
    }
    Ok(grant)
}

/// The request's proof must be valid and of the key the token is bound to.
fn check_proof(
    app: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    token: &str,
    bound: &str,
) -> Result<(), Refusal> {
    let url = format!("{}{}", app.own_origin, uri.path());
    let target = ProofTarget {
        method: "GET",
        url: &url,
        access_token: Some(token),
    };
    match proofs::request_proof(app, headers, &target) {
        Ok(Some(jkt)) if jkt == bound => Ok(()),
        Ok(Some(_)) => {
            app.counters.bump(Count::DpopProofsRefused);
            Err(Refusal::InvalidDpopProof(
                "the proof is of another key than the token's",
            ))
        }
        Ok(None) => {
            app.counters.bump(Count::DpopProofsRefused);
            Err(Refusal::InvalidDpopProof(
                "a DPoP-bound token needs a DPoP proof",
            ))
        }
        Err(ProofRefusal::Invalid(description)) => Err(Refusal::InvalidDpopProof(description)),
        Err(ProofRefusal::NonceNeeded) => Err(Refusal::UseDpopNonce(app.dpop.nonce())),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Bearer,
    Dpop,
}

/// The scheme and token of a single `Authorization: Bearer|DPoP <token>` header.
fn authorization(headers: &HeaderMap) -> Option<(Scheme, &str)> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
    let token = token.trim();
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return None;
    };
    (!token.is_empty()).then_some((scheme, token))
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut nonce = None;
        let (status, dpop, error, description, scope) = match self {
            Self::InvalidToken { dpop } => (
                StatusCode::UNAUTHORIZED,
                dpop,
                "invalid_token",
                "the access token is missing, expired or revoked, or sent with the wrong scheme",
                None,
            ),
            Self::InvalidDpopProof(description) => (
                StatusCode::UNAUTHORIZED,
                true,
                "invalid_dpop_proof",
                description,
                None,
            ),
            Self::UseDpopNonce(current) => {
                nonce = current;
                (
                    StatusCode::UNAUTHORIZED,
                    true,
                    "use_dpop_nonce",
                    "the DPoP proof must carry the nonce in the DPoP-Nonce header",
                    None,
                )
            }
            Self::InsufficientScope { scope, dpop } => (
                StatusCode::FORBIDDEN,
                dpop,
                "insufficient_scope",
                "the access token does not grant this",
                Some(scope),
            ),
        };
        let mut challenge = if dpop {
            format!("DPoP algs=\"{}\", ", dpop::ALGORITHM)
        } else {
            "Bearer ".to_owned()
        };
        challenge.push_str(&format!(
            "realm=\"Demo Photos\", error=\"{error}\", error_description=\"{description}\""
        ));
        if let Some(scope) = scope {
            challenge.push_str(&format!(", scope=\"{scope}\""));
        }
        let mut response = (
            status,
            Json(json!({ "error": error, "error_description": description })),
        )
            .into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(value) = nonce.and_then(|nonce| HeaderValue::from_str(&nonce).ok()) {
            headers.insert(DPOP_NONCE, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
