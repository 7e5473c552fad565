//! RFC 6749 §5.2 error responses of the token and revocation endpoints.

use std::borrow::Cow;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::authorization::dpop::ProofRefusal;

/// An OAuth error code (RFC 6749 §4.1.2.1 and §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    /// RFC 9449 §5: the DPoP proof is missing where required, invalid, or of another key.
    InvalidDpopProof,
    /// RFC 9449 §8: the proof must carry the nonce in the answer's `DPoP-Nonce`.
    UseDpopNonce,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
        }
    }
}

/// An error with a description for developers, answered as JSON with `Cache-Control: no-store`.
#[derive(Debug, Clone)]
pub(crate) struct OAuthError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    pub fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    pub fn server_error(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::ServerError, description)
    }

    pub fn invalid_dpop_proof(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidDpopProof, description)
    }

    fn status(&self) -> StatusCode {
        match self.code {
            ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<ProofRefusal> for OAuthError {
    fn from(refusal: ProofRefusal) -> Self {
        match refusal {
            ProofRefusal::Invalid(description) => Self::invalid_dpop_proof(description),
            ProofRefusal::NonceNeeded => Self::new(
                ErrorCode::UseDpopNonce,
                "the DPoP proof must carry the nonce in the DPoP-Nonce header",
            ),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        });
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Demo Photos\""),
            );
        }
        response
    }
}
