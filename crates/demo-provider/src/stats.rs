//! Counters of what the provider has seen, readable by tests through
//! [`ProviderHandle::stats`](crate::ProviderHandle::stats).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::sync::lock;

/// A snapshot of the provider's counters (also served as JSON, with these member names, by
/// `GET {issuer}/_test/stats` when test controls are on).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Consent pages rendered for valid authorization requests.
    pub consent_pages: u64,
    /// Consent decisions: approved.
    pub approvals: u64,
    /// Consent decisions: denied.
    pub denials: u64,
    /// Requests to the token endpoint, successful or not.
    pub token_requests: u64,
    /// Token requests answered with an error (faulty answers count in `faults_served` only).
    pub token_errors: u64,
    /// Successful `authorization_code` grants.
    pub authorization_code_grants: u64,
    /// Successful `refresh_token` grants.
    pub refresh_grants: u64,
    /// Authorization codes presented again after use (each revoked its grant).
    pub code_reuse_detected: u64,
    /// Already-rotated refresh tokens presented (each revoked its grant).
    pub refresh_reuse_detected: u64,
    /// Requests to the revocation endpoint answered with 200.
    pub revocation_requests: u64,
    /// Grants ended by revocation, code reuse or refresh token reuse.
    pub grants_revoked: u64,
    /// Requests to the userinfo endpoint.
    pub userinfo_requests: u64,
    /// Requests to the pushed authorization request endpoint, accepted or not.
    pub pushed_authorization_requests: u64,
    /// Requests for the JWK Set (`jwks_uri`).
    pub jwks_requests: u64,
    /// ID tokens issued.
    pub id_tokens_issued: u64,
    /// Requests for the photo list.
    pub photo_list_requests: u64,
    /// Requests for a photo image or thumbnail.
    pub image_requests: u64,
    /// Protected-resource requests refused with 401 (missing, expired or revoked token; not
    /// the 401s of [`Fault::PhotosInvalidToken`](crate::Fault::PhotosInvalidToken)).
    pub unauthorized_requests: u64,
    /// DPoP proofs that passed every check (RFC 9449).
    pub dpop_proofs_accepted: u64,
    /// DPoP proofs refused as `invalid_dpop_proof` (a bad or replayed proof, none where one
    /// is needed, or one of another key than the token's).
    pub dpop_proofs_refused: u64,
    /// Requests answered `use_dpop_nonce` (the proof lacked the current nonce).
    pub dpop_nonces_demanded: u64,
    /// SHA-256 hashes (see [`token_hash`](crate::token_hash)) of the refresh tokens presented
    /// to the token endpoint, in order: the most recent
    /// [`Limits::presented_refresh_tokens`](crate::Limits) of them.
    pub refresh_tokens_presented: Vec<String>,
    /// Requests answered by each [`Fault`](crate::Fault), by its JSON name
    /// ([`Fault::name`](crate::Fault::name)); faults never served are absent.
    pub faults_served: BTreeMap<String, u64>,
}

/// The live counters behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub consent_pages: AtomicU64,
    pub approvals: AtomicU64,
    pub denials: AtomicU64,
    pub token_requests: AtomicU64,
    pub token_errors: AtomicU64,
    pub authorization_code_grants: AtomicU64,
    pub refresh_grants: AtomicU64,
    pub code_reuse_detected: AtomicU64,
    pub refresh_reuse_detected: AtomicU64,
    pub revocation_requests: AtomicU64,
    pub grants_revoked: AtomicU64,
    pub userinfo_requests: AtomicU64,
    pub pushed_authorization_requests: AtomicU64,
    pub jwks_requests: AtomicU64,
    pub id_tokens_issued: AtomicU64,
    pub photo_list_requests: AtomicU64,
    pub image_requests: AtomicU64,
    pub unauthorized_requests: AtomicU64,
    pub dpop_proofs_accepted: AtomicU64,
    pub dpop_proofs_refused: AtomicU64,
    pub dpop_nonces_demanded: AtomicU64,
    refresh_tokens_presented: Mutex<VecDeque<String>>,
    presented_limit: usize,
    faults_served: Mutex<BTreeMap<&'static str, u64>>,
}

/// Adds one to a counter.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    /// Counters that keep the last `presented_limit` presented refresh token hashes.
    pub fn new(presented_limit: usize) -> Self {
        Self {
            presented_limit,
            ..Self::default()
        }
    }

    pub fn record_refresh_token_presented(&self, hash: String) {
        let mut presented = lock(&self.refresh_tokens_presented);
        presented.push_back(hash);
        while presented.len() > self.presented_limit {
            presented.pop_front();
        }
    }

    pub fn record_fault_served(&self, name: &'static str) {
        *lock(&self.faults_served).entry(name).or_default() += 1;
    }

    pub fn snapshot(&self) -> Stats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Stats {
            consent_pages: read(&self.consent_pages),
            approvals: read(&self.approvals),
            denials: read(&self.denials),
            token_requests: read(&self.token_requests),
            token_errors: read(&self.token_errors),
            authorization_code_grants: read(&self.authorization_code_grants),
            refresh_grants: read(&self.refresh_grants),
            code_reuse_detected: read(&self.code_reuse_detected),
            refresh_reuse_detected: read(&self.refresh_reuse_detected),
            revocation_requests: read(&self.revocation_requests),
            grants_revoked: read(&self.grants_revoked),
            userinfo_requests: read(&self.userinfo_requests),
            pushed_authorization_requests: read(&self.pushed_authorization_requests),
            jwks_requests: read(&self.jwks_requests),
            id_tokens_issued: read(&self.id_tokens_issued),
            photo_list_requests: read(&self.photo_list_requests),
            image_requests: read(&self.image_requests),
            unauthorized_requests: read(&self.unauthorized_requests),
            dpop_proofs_accepted: read(&self.dpop_proofs_accepted),
            dpop_proofs_refused: read(&self.dpop_proofs_refused),
            dpop_nonces_demanded: read(&self.dpop_nonces_demanded),
            refresh_tokens_presented: lock(&self.refresh_tokens_presented)
                .iter()
                .cloned()
                .collect(),
            faults_served: lock(&self.faults_served)
                .iter()
                .map(|(name, count)| ((*name).to_owned(), *count))
                .collect(),
        }
    }
}
