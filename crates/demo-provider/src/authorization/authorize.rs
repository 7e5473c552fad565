//! The authorization endpoint: validates the request, shows the consent page (GET) and turns
//! the person's decision (POST) into a redirect with a code or an error (RFC 6749 §4.1, RFC 9207).

use axum::extract::{RawForm, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::Url;

use crate::authorization::account::{self, Account};
use crate::authorization::client;
use crate::authorization::consent::AuthorizationRequest;
use crate::authorization::grants::ApprovedRequest;
use crate::authorization::oauth_error::ErrorCode;
use crate::authorization::pages;
use crate::authorization::scope;
use crate::shared::config::IssParameter;
use crate::shared::params::Params;
use crate::shared::provider::AppState;
use crate::test_machinery::machinery::Count;

/// `GET /authorize`.
pub(crate) async fn show_consent(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = match app
        .pushed
        .resolve(Params::parse(query.unwrap_or_default().as_bytes()))
    {
        Ok(params) => params,
        Err(refusal) => return refusal.into_response(),
    };
    let (client_id, redirect_uri) = match trusted_client_and_redirect(&params) {
        Ok(pair) => pair,
        Err(untrusted) => return untrusted.into_response(),
    };
    let state = params.get("state");
    let redirect_error = |code: ErrorCode, description: &str| {
        redirect_with_error(&app, redirect_uri, code, description, state)
    };
    if let Some(name) = params.first_repeated() {
        return redirect_error(
            ErrorCode::InvalidRequest,
            &format!("parameter {name} is repeated"),
        );
    }
    match params.get("response_type") {
        Some("code") => {}
        None => return redirect_error(ErrorCode::InvalidRequest, "response_type is required"),
        Some(_) => {
            return redirect_error(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            );
        }
    }
    let Some(state) = state else {
        return redirect_error(ErrorCode::InvalidRequest, "state is required");
    };
    let Some(code_challenge) = params.get("code_challenge") else {
        return redirect_error(ErrorCode::InvalidRequest, "PKCE code_challenge is required");
    };
    if params.get("code_challenge_method") != Some("S256") {
        return redirect_error(
            ErrorCode::InvalidRequest,
            "code_challenge_method must be S256",
        );
    }
    if !is_sha256_base64url(code_challenge) {
        return redirect_error(
            ErrorCode::InvalidRequest,
            "code_challenge must be 43 base64url characters (S256)",
        );
    }
    let dpop_jkt = params.get("dpop_jkt");
    if dpop_jkt.is_some_and(|jkt| !is_sha256_base64url(jkt)) {
        return redirect_error(
            ErrorCode::InvalidRequest,
            "dpop_jkt must be a JWK SHA-256 thumbprint (43 base64url characters)",
        );
    }
    let scopes = match scope::parse(params.get("scope")) {
        Ok(scopes) => scopes,
        Err(reason) => return redirect_error(ErrorCode::InvalidScope, &reason),
    };
    let transaction = app.consents.insert(AuthorizationRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scopes: scopes.clone(),
        state: state.to_owned(),
        code_challenge: code_challenge.to_owned(),
        nonce: params.get("nonce").map(str::to_owned),
        dpop_jkt: dpop_jkt.map(str::to_owned),
    });
    app.counters.bump(Count::ConsentPages);
    // OpenID Connect's `login_hint` names the account the client expects; the page suggests it
    // when it is a name an account can have.
    let suggested = params
        .get("login_hint")
        .and_then(Account::named)
        .unwrap_or_default();
    pages::consent(
        &app.endpoints.authorization,
        &transaction,
        &scopes,
        redirect_uri,
        &suggested,
    )
}

/// `POST /authorize`: the consent form's `transaction`, `decision` (`approve` or `deny`) and
/// the account's name (the suggested account when the form has none).
///
/// Only the provider's own consent page may answer. A decision sent from another site is
/// refused before the transaction is looked at, so the real page can still be answered.
pub(crate) async fn decide(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawForm(form): RawForm,
) -> Response {
    if !is_from_own_page(&headers, &app.own_origin) {
        return pages::error(
            StatusCode::FORBIDDEN,
            "This answer did not come from Demo Photos",
            "Another website tried to answer the request to connect PhotoLink. Nothing was \
             decided: you can still answer on the Demo Photos page, or go back to PhotoLink.",
        );
    }
    let params = Params::parse(&form);
    let approved = match params.get("decision") {
        Some("approve") => true,
        Some("deny") => false,
        _ => return bad_form(),
    };
    // Checked before the transaction is taken, so that going back to the page still works.
    let named = params.is_present(pages::ACCOUNT_NAME_FIELD).then(|| {
        params
            .get(pages::ACCOUNT_NAME_FIELD)
            .and_then(Account::named)
    });
    let account = match named {
        None => Account::default(),
        Some(Some(account)) => account,
        Some(None) => {
            return pages::error(
                StatusCode::BAD_REQUEST,
                "That account name cannot be used",
                &format!(
                    "An account name has 1 to {} characters and no control characters. Go back \
                     and type another.",
                    account::MAX_NAME_CHARS
                ),
            );
        }
    };
    let Some(request) = params
        .get("transaction")
        .and_then(|id| app.consents.take(id))
    else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "This request is no longer valid",
            "It was already answered or has expired. Go back to PhotoLink and connect again.",
        );
    };
    let state = Some(request.state.as_str());
    if !approved {
        app.counters.bump(Count::Denials);
        return redirect_with_error(
            &app,
            &request.redirect_uri,
            ErrorCode::AccessDenied,
            "the account holder denied the request",
            state,
        );
    }
    let issued = app.grants.issue_code(ApprovedRequest {
        client_id: request.client_id,
        redirect_uri: request.redirect_uri.clone(),
        scope: request.scopes.join(" "),
        code_challenge: request.code_challenge,
        nonce: request.nonce,
        dpop_jkt: request.dpop_jkt,
        account,
    });
    match issued {
        Ok(code) => {
            app.counters.bump(Count::Approvals);
            redirect(&app, &request.redirect_uri, &[("code", &code)], state)
        }
        Err(error) => redirect_with_error(
            &app,
            &request.redirect_uri,
            error.code,
            &error.description,
            state,
        ),
    }
}

/// Why a request cannot be answered with a redirect.
enum UntrustedRequest {
    UnknownClient,
    UnregisteredRedirectUri,
}

impl IntoResponse for UntrustedRequest {
    fn into_response(self) -> Response {
        let (title, message) = match self {
            Self::UnknownClient => (
                "Unknown app",
                "The app that sent you here is not registered with Demo Photos, so it cannot \
                 be allowed to access your account.",
            ),
            Self::UnregisteredRedirectUri => (
                "Unexpected return address",
                "The app asked to be answered at an address it has not registered with \
                 Demo Photos.",
            ),
        };
        pages::error(StatusCode::BAD_REQUEST, title, message)
    }
}

/// The client and redirect URI, if both are registered. Otherwise the request gets an error
/// page, because redirecting to an unverified URI would make the provider an open redirector.
fn trusted_client_and_redirect(params: &Params) -> Result<(&str, &str), UntrustedRequest> {
    let client_id = params
        .get("client_id")
        .filter(|id| client::is_registered(id))
        .ok_or(UntrustedRequest::UnknownClient)?;
    let redirect_uri = params
        .get("redirect_uri")
        .filter(|uri| client::is_registered_redirect_uri(uri))
        .ok_or(UntrustedRequest::UnregisteredRedirectUri)?;
    Ok((client_id, redirect_uri))
}

/// Whether a consent decision was sent by the provider's own page (cross-site request forgery
/// defence). `Origin`, when present, must be the provider's own origin; `Sec-Fetch-Site`, when
/// present, must be `same-origin` or `none` (typed in or opened from a bookmark). Clients that
/// send neither (not a browser) are accepted: only browsers carry someone else's session.
fn is_from_own_page(headers: &HeaderMap, own_origin: &str) -> bool {
    let all_equal_to = |name: header::HeaderName, allowed: &[&str]| {
        headers
            .get_all(name)
            .iter()
            .all(|value| value.to_str().is_ok_and(|value| allowed.contains(&value)))
    };
    all_equal_to(header::ORIGIN, &[own_origin])
        && all_equal_to(
            header::HeaderName::from_static("sec-fetch-site"),
            &["same-origin", "none"],
        )
}

fn bad_form() -> Response {
    pages::error(
        StatusCode::BAD_REQUEST,
        "Something went wrong",
        "The answer could not be read. Go back to PhotoLink and connect again.",
    )
}

/// An S256 challenge or a JWK thumbprint is BASE64URL(SHA-256(…)) without padding: exactly
/// 43 characters.
fn is_sha256_base64url(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn redirect_with_error(
    app: &AppState,
    redirect_uri: &str,
    code: ErrorCode,
    description: &str,
    state: Option<&str>,
) -> Response {
    redirect(
        app,
        redirect_uri,
        &[("error", code.as_str()), ("error_description", description)],
        state,
    )
}

/// A `303 See Other` to the registered redirect URI with `params`, `state` and `iss`.
fn redirect(
    app: &AppState,
    redirect_uri: &str,
    params: &[(&str, &str)],
    state: Option<&str>,
) -> Response {
    let Ok(mut location) = Url::parse(redirect_uri) else {
        return bad_form();
    };
    {
        let mut query = location.query_pairs_mut();
        query.extend_pairs(params);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        match &app.iss_parameter {
            IssParameter::Issuer => {
                query.append_pair("iss", &app.issuer);
            }
            IssParameter::Fixed(iss) => {
                query.append_pair("iss", iss);
            }
            IssParameter::Omitted => {}
        }
    }
    let Ok(location) = HeaderValue::from_str(location.as_str()) else {
        return bad_form();
    };
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}
