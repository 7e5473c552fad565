//! Discovery documents: RFC 8414 and OpenID Connect Discovery.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::authorization::dpop;
use crate::authorization::scope;
use crate::shared::provider::{AppState, Provider};
use crate::test_machinery::machinery::{Count, FaultTarget};

/// `GET` of either well-known path.
pub(crate) async fn document(State(app): State<AppState>) -> Response {
    if let Some(fault) = app.faults.take(FaultTarget::Discovery) {
        return fault.answer(&app).await;
    }
    let issuer = app.advertised_issuer.as_deref().unwrap_or(&app.issuer);
    document_naming(&app, issuer)
}

/// The discovery document with `issuer` as its `issuer` member.
pub(crate) fn document_naming(app: &Provider, issuer: &str) -> Response {
    let mut response = Json(build(app, issuer)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}

fn build(app: &Provider, issuer: &str) -> Value {
    let endpoints = &app.endpoints;
    let auth_methods: &[&str] = if app.client_secret.is_some() {
        &["client_secret_basic", "client_secret_post"]
    } else {
        &["none"]
    };
    let mut document = json!({
        "issuer": issuer,
        "authorization_endpoint": endpoints.authorization,
        "token_endpoint": endpoints.token,
        "revocation_endpoint": endpoints.revocation,
        "userinfo_endpoint": endpoints.userinfo,
        "scopes_supported": scope::SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "authorization_response_iss_parameter_supported": true,
        "subject_types_supported": ["public"],
        "pushed_authorization_request_endpoint": endpoints.pushed_authorization,
        "require_pushed_authorization_requests": app.pushed.required(),
        "jwks_uri": endpoints.jwks,
        "id_token_signing_alg_values_supported": ["ES256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "name", "email"],
    });
    if app.offer_dpop {
        document["dpop_signing_alg_values_supported"] = json!([dpop::ALGORITHM]);
    }
    document
}

/// `GET /jwks`.
pub(crate) async fn jwks(State(app): State<AppState>) -> Response {
    app.counters.bump(Count::JwksRequests);
    if let Some(fault) = app.faults.take(FaultTarget::Jwks) {
        return fault.answer(&app).await;
    }
    let mut response = Json(app.id_tokens.jwks()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}
