//! Counters of what the provider has seen, readable by tests through
//! [`ProviderHandle::stats`](crate::ProviderHandle::stats). Part of the test machinery (the
//! `test-machinery` feature); without it nothing is counted (see [`crate::test_machinery::machinery`]).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::shared::secrets::token_hash;
use crate::shared::sync::lock;
use crate::test_machinery::kinds::Count;

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
    /// When the first photo list request arrived, in milliseconds since the Unix epoch (a test
    /// compares it with when the window painted a change).
    pub first_photo_list_request_unix_ms: Option<u64>,
    /// Requests for a photo image or thumbnail.
    pub image_requests: u64,
    /// Of those, requests for a thumbnail.
    pub thumbnail_requests: u64,
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
    counts: [AtomicU64; Count::KINDS],
    refresh_tokens_presented: Mutex<VecDeque<String>>,
    presented_limit: usize,
    faults_served: Mutex<BTreeMap<&'static str, u64>>,
    first_photo_list_request: OnceLock<u64>,
}

impl Counters {
    /// Counters that keep the last `presented_limit` presented refresh token hashes.
    pub fn new(presented_limit: usize) -> Self {
        Self {
            presented_limit,
            ..Self::default()
        }
    }

    /// Adds one to a counter.
    pub fn bump(&self, count: Count) {
        self.counts[count as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Keeps when the first photo list request arrived.
    pub fn record_photo_list_request_time(&self) {
        self.first_photo_list_request.get_or_init(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| {
                    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
                })
        });
    }

    /// Keeps the hash of a refresh token presented to the token endpoint.
    pub fn record_refresh_token_presented(&self, refresh_token: &str) {
        let mut presented = lock(&self.refresh_tokens_presented);
        presented.push_back(token_hash(refresh_token));
        while presented.len() > self.presented_limit {
            presented.pop_front();
        }
    }

    pub fn record_fault_served(&self, name: &'static str) {
        *lock(&self.faults_served).entry(name).or_default() += 1;
    }

    pub fn snapshot(&self) -> Stats {
        let read = |count: Count| self.counts[count as usize].load(Ordering::Relaxed);
        Stats {
            consent_pages: read(Count::ConsentPages),
            approvals: read(Count::Approvals),
            denials: read(Count::Denials),
            token_requests: read(Count::TokenRequests),
            token_errors: read(Count::TokenErrors),
            authorization_code_grants: read(Count::AuthorizationCodeGrants),
            refresh_grants: read(Count::RefreshGrants),
            code_reuse_detected: read(Count::CodeReuseDetected),
            refresh_reuse_detected: read(Count::RefreshReuseDetected),
            revocation_requests: read(Count::RevocationRequests),
            grants_revoked: read(Count::GrantsRevoked),
            userinfo_requests: read(Count::UserinfoRequests),
            pushed_authorization_requests: read(Count::PushedAuthorizationRequests),
            jwks_requests: read(Count::JwksRequests),
            id_tokens_issued: read(Count::IdTokensIssued),
            photo_list_requests: read(Count::PhotoListRequests),
            first_photo_list_request_unix_ms: self.first_photo_list_request.get().copied(),
            image_requests: read(Count::ImageRequests),
            thumbnail_requests: read(Count::ThumbnailRequests),
            unauthorized_requests: read(Count::UnauthorizedRequests),
            dpop_proofs_accepted: read(Count::DpopProofsAccepted),
            dpop_proofs_refused: read(Count::DpopProofsRefused),
            dpop_nonces_demanded: read(Count::DpopNoncesDemanded),
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
