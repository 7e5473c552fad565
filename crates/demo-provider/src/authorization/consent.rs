//! Authorization requests waiting for the person's decision on the consent page.
//!
//! The consent form carries only a one-time transaction id; client, redirect URI, scope, state
//! and PKCE challenge stay here, so a tampered form cannot change where the code goes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::shared::secrets::random_secret;
use crate::shared::sync::lock;

/// How long a consent page stays answerable.
const CONSENT_TTL: Duration = Duration::from_secs(600);

/// A validated authorization request.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<&'static str>,
    pub state: String,
    pub code_challenge: String,
    /// OpenID Connect `nonce`, repeated in the ID token.
    pub nonce: Option<String>,
    /// The `dpop_jkt` (RFC 9449 §10), if the client sent one.
    pub dpop_jkt: Option<String>,
}

/// Requests shown on a consent page and not yet decided, at most `limit` of them.
pub(crate) struct PendingConsents {
    pending: Mutex<HashMap<String, (AuthorizationRequest, Instant)>>,
    limit: usize,
}

impl PendingConsents {
    pub fn new(limit: usize) -> Self {
        Self {
            pending: Mutex::default(),
            limit,
        }
    }

    /// Remembers a request and returns the transaction id for its consent form. Expired
    /// requests are dropped; if the table is still full, the oldest request is forgotten,
    /// because the newest is the page the person is looking at.
    pub fn insert(&self, request: AuthorizationRequest) -> String {
        let id = random_secret();
        let mut pending = lock(&self.pending);
        pending.retain(|_, (_, created)| created.elapsed() < CONSENT_TTL);
        while pending.len() >= self.limit {
            let oldest = pending
                .iter()
                .min_by_key(|(_, (_, created))| *created)
                .map(|(id, _)| id.clone());
            let Some(oldest) = oldest else { break };
            pending.remove(&oldest);
        }
        pending.insert(id.clone(), (request, Instant::now()));
        id
    }

    /// Takes a request out, once; `None` if unknown, already decided or expired.
    pub fn take(&self, id: &str) -> Option<AuthorizationRequest> {
        let (request, created) = lock(&self.pending).remove(id)?;
        (created.elapsed() < CONSENT_TTL).then_some(request)
    }
}
