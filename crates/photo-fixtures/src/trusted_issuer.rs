//! Tokens of another issuer, accepted as the fixture's own: for a fixture that stands behind a
//! real sign-in (the end-to-end tests sign in at the demo provider, then read photos from a
//! fixture). A request's Bearer token that the issuer's userinfo endpoint answers 200 to is
//! replaced by the fixture's current access token before the request is served; any other
//! token is passed on as it came, and refused as usual.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::{Shared, lock};

/// The most tokens remembered as vouched for.
const REMEMBERED: usize = 64;

pub(crate) async fn vouch(
    State(state): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_owned);
    let trusted = lock(&state.trusted_issuer).clone();
    if let (Some(token), Some((userinfo, vouched))) = (presented, trusted)
        && (vouched.contains(&token) || vouched_for(&userinfo, &token).await)
    {
        if let Some((_, vouched)) = lock(&state.trusted_issuer).as_mut()
            && !vouched.contains(&token)
        {
            if vouched.len() == REMEMBERED {
                vouched.remove(0);
            }
            vouched.push(token);
        }
        let own = format!("Bearer {}", state.tokens().access);
        if let Ok(value) = HeaderValue::from_str(&own) {
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
    }
    next.run(request).await
}

/// Whether the issuer's userinfo endpoint accepts `token`.
async fn vouched_for(userinfo: &str, token: &str) -> bool {
    reqwest::Client::new()
        .get(userinfo)
        .bearer_auth(token)
        .send()
        .await
        .is_ok_and(|answer| answer.status().is_success())
}
