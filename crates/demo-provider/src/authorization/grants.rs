//! Authorization codes, grants and their tokens, kept only as SHA-256 hashes.
//!
//! A grant is what one approved authorization produced. Every access and refresh token
//! belongs to one grant; revoking a grant ends all of its tokens at once, which is what happens
//! on `/revoke`, on authorization code reuse and on refresh token reuse.
//!
//! Every table is bounded by [`Limits`]: after each change, expired entries are pruned and
//! then the oldest entries past a limit are forgotten (revoked grants before live ones, and
//! only rotated refresh tokens, never a grant's live one). Age is an issue sequence number,
//! so the order is exact even within one millisecond.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::authorization::account::Account;
use crate::authorization::id_token::OpenIdSignIn;
use crate::authorization::oauth_error::{ErrorCode, OAuthError};
use crate::authorization::scope;
use crate::shared::config::Limits;
use crate::shared::persistence::{self, StateFileError};
use crate::shared::secrets::{random_secret, token_hash, verifier_matches_challenge};
use crate::shared::sync::lock;
use crate::test_machinery::machinery::{Count, Counters};

/// How long a used authorization code is remembered after it expired, to detect late reuse.
const USED_CODE_MEMORY: Duration = Duration::from_secs(3600);
const STATE_VERSION: u32 = 1;

/// An approved authorization request, ready to become an authorization code.
#[derive(Debug, Clone)]
pub(crate) struct ApprovedRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
    /// The `dpop_jkt` of the request: the key the code may be redeemed with (RFC 9449 §10).
    pub dpop_jkt: Option<String>,
    /// The account the person approved for.
    pub account: Account,
}

/// The parameters of an `authorization_code` token request.
pub(crate) struct CodeExchange<'a> {
    pub code: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub code_verifier: &'a str,
    /// The thumbprint of the request's DPoP proof key, if it had a proof.
    pub dpop_jkt: Option<&'a str>,
}

/// Tokens handed out by a successful grant.
#[derive(Debug)]
pub(crate) struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub scope: String,
    /// For an `authorization_code` grant with `openid`: the sign-in its ID token tells about.
    pub openid: Option<OpenIdSignIn>,
    /// The DPoP key the access token is bound to (`token_type` DPoP, `cnf.jkt`).
    pub jkt: Option<String>,
}

/// What a valid access token allows.
#[derive(Debug, Clone)]
pub(crate) struct AccessGrant {
    pub scope: String,
    /// The thumbprint of the DPoP key the token is bound to (its `cnf.jkt`), if it is.
    pub jkt: Option<String>,
    /// The account the grant is for.
    pub account: Account,
}

/// Everything that is persisted. Map keys are SHA-256 hashes, never raw values.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    version: u32,
    /// The sequence number the next record gets (files written before it existed start at 0).
    #[serde(default)]
    next_sequence: u64,
    grants: HashMap<String, Grant>,
    codes: HashMap<String, CodeRecord>,
    access_tokens: HashMap<String, AccessTokenRecord>,
    refresh_tokens: HashMap<String, RefreshTokenRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Grant {
    #[serde(default)]
    sequence: u64,
    client_id: String,
    scope: String,
    revoked: bool,
    /// The DPoP key the grant's refresh tokens are bound to (RFC 9449 §5).
    #[serde(default)]
    jkt: Option<String>,
    /// The account the grant is for (files written before there were several: the suggested
    /// one).
    #[serde(default)]
    account: Account,
}

#[derive(Debug, Serialize, Deserialize)]
struct CodeRecord {
    #[serde(default)]
    sequence: u64,
    client_id: String,
    redirect_uri: String,
    scope: String,
    code_challenge: String,
    /// OpenID Connect `nonce` of the authorization request.
    #[serde(default)]
    nonce: Option<String>,
    expires_at_ms: u64,
    used: bool,
    /// The grant this code produced, revoked if the code is presented again.
    grant_id: Option<String>,
    /// The `dpop_jkt` of the authorization request.
    #[serde(default)]
    dpop_jkt: Option<String>,
    /// The account the person approved for.
    #[serde(default)]
    account: Account,
}

#[derive(Debug, Serialize, Deserialize)]
struct AccessTokenRecord {
    #[serde(default)]
    sequence: u64,
    grant_id: String,
    scope: String,
    expires_at_ms: u64,
    /// The DPoP key the token is bound to (its `cnf.jkt`).
    #[serde(default)]
    jkt: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RefreshTokenRecord {
    #[serde(default)]
    sequence: u64,
    grant_id: String,
    /// Replaced by a newer refresh token; presenting it again revokes the grant.
    rotated: bool,
}

/// The grant store, persisted after every change when a state file is configured.
pub(crate) struct Grants {
    state: Mutex<State>,
    state_file: Option<PathBuf>,
    access_token_ttl: Duration,
    code_ttl: Duration,
    limits: Limits,
    counters: Arc<Counters>,
}

impl Grants {
    /// Loads the store from the state file, if one is configured and exists.
    pub fn open(
        state_file: Option<PathBuf>,
        access_token_ttl: Duration,
        code_ttl: Duration,
        limits: Limits,
        counters: Arc<Counters>,
    ) -> Result<Self, StateFileError> {
        let state: State = match &state_file {
            Some(path) => persistence::load(path)?.unwrap_or_default(),
            None => State::default(),
        };
        if let Some(path) = &state_file
            && state.version > STATE_VERSION
        {
            return Err(StateFileError::NewerVersion {
                path: path.clone(),
                version: state.version,
            });
        }
        Ok(Self {
            state: Mutex::new(state),
            state_file,
            access_token_ttl,
            code_ttl,
            limits,
            counters,
        })
    }

    /// Stores a new single-use authorization code for an approved request and returns it.
    pub fn issue_code(&self, request: ApprovedRequest) -> Result<String, OAuthError> {
        let code = random_secret();
        let mut state = lock(&self.state);
        let sequence = state.next_sequence();
        state.codes.insert(
            token_hash(&code),
            CodeRecord {
                sequence,
                client_id: request.client_id,
                redirect_uri: request.redirect_uri,
                scope: request.scope,
                code_challenge: request.code_challenge,
                nonce: request.nonce,
                expires_at_ms: now_ms().saturating_add(duration_ms(self.code_ttl)),
                used: false,
                grant_id: None,
                dpop_jkt: request.dpop_jkt,
                account: request.account,
            },
        );
        self.persist(&mut state)?;
        Ok(code)
    }

    /// Exchanges an authorization code. The code is spent by any attempt that names it;
    /// presenting a spent code revokes the grant it produced.
    pub fn exchange_code(&self, exchange: CodeExchange<'_>) -> Result<IssuedTokens, OAuthError> {
        let mut state = lock(&self.state);
        let code_hash = token_hash(exchange.code);
        let Some(record) = state.codes.get_mut(&code_hash) else {
            return Err(OAuthError::invalid_grant(
                "the authorization code is not known",
            ));
        };
        if record.used {
            let grant_id = record.grant_id.clone();
            self.counters.bump(Count::CodeReuseDetected);
            if let Some(grant_id) = grant_id {
                self.revoke_grant(&mut state, &grant_id);
            }
            self.persist(&mut state)?;
            return Err(OAuthError::invalid_grant(
                "the authorization code was already used; tokens issued with it are revoked",
            ));
        }
        record.used = true;
        let failure = if record.expires_at_ms <= now_ms() {
            Some("the authorization code has expired")
        } else if record.client_id != exchange.client_id {
            Some("the authorization code was issued to another client")
        } else if record.redirect_uri != exchange.redirect_uri {
            Some("redirect_uri does not match the one in the authorization request")
        } else if !verifier_matches_challenge(exchange.code_verifier, &record.code_challenge) {
            Some("code_verifier does not match the code_challenge")
        } else if record.dpop_jkt.is_some() && record.dpop_jkt.as_deref() != exchange.dpop_jkt {
            Some("the DPoP proof's key is not the one the authorization request named")
        } else {
            None
        };
        if let Some(description) = failure {
            self.persist(&mut state)?;
            return Err(OAuthError::invalid_grant(description));
        }
        let (client_id, scope) = (record.client_id.clone(), record.scope.clone());
        let account = record.account.clone();
        let openid = scope::contains(&scope, scope::OPENID).then(|| OpenIdSignIn {
            client_id: client_id.clone(),
            scope: scope.clone(),
            nonce: record.nonce.clone(),
            account: account.clone(),
        });
        let grant_id = format!("{:016x}", rand::random::<u64>());
        if let Some(record) = state.codes.get_mut(&code_hash) {
            record.grant_id = Some(grant_id.clone());
        }
        let sequence = state.next_sequence();
        state.grants.insert(
            grant_id.clone(),
            Grant {
                sequence,
                client_id,
                scope: scope.clone(),
                revoked: false,
                jkt: exchange.dpop_jkt.map(str::to_owned),
                account,
            },
        );
        let mut tokens = self.issue_tokens(&mut state, &grant_id, scope, exchange.dpop_jkt);
        tokens.openid = openid;
        self.persist(&mut state)?;
        self.counters.bump(Count::AuthorizationCodeGrants);
        Ok(tokens)
    }

    /// Rotates a refresh token: the presented one is retired and a new pair is issued.
    /// Presenting a retired refresh token revokes the whole grant. A refresh token bound to a
    /// DPoP key needs a proof of that key (`dpop_jkt`, checked before reuse is, so someone
    /// without the key cannot end the grant); the new access token is bound to the proof's key.
    pub fn refresh(
        &self,
        refresh_token: &str,
        client_id: &str,
        requested_scope: Option<&str>,
        dpop_jkt: Option<&str>,
    ) -> Result<IssuedTokens, OAuthError> {
        let mut state = lock(&self.state);
        let refresh_hash = token_hash(refresh_token);
        let Some(record) = state.refresh_tokens.get(&refresh_hash) else {
            return Err(OAuthError::invalid_grant("the refresh token is not known"));
        };
        let (grant_id, rotated) = (record.grant_id.clone(), record.rotated);
        let Some(grant) = state.grants.get(&grant_id) else {
            return Err(OAuthError::invalid_grant("the refresh token is not known"));
        };
        if grant.client_id != client_id {
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        if grant.revoked {
            return Err(OAuthError::invalid_grant("the grant has been revoked"));
        }
        if grant.jkt.is_some() && grant.jkt.as_deref() != dpop_jkt {
            return Err(OAuthError::invalid_dpop_proof(
                "the refresh token is bound to another DPoP key",
            ));
        }
        if rotated {
            self.counters.bump(Count::RefreshReuseDetected);
            self.revoke_grant(&mut state, &grant_id);
            self.persist(&mut state)?;
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used; the grant is revoked",
            ));
        }
        let scope = narrowed_scope(&grant.scope, requested_scope)?;
        if let Some(record) = state.refresh_tokens.get_mut(&refresh_hash) {
            record.rotated = true;
        }
        let tokens = self.issue_tokens(&mut state, &grant_id, scope, dpop_jkt);
        self.persist(&mut state)?;
        self.counters.bump(Count::RefreshGrants);
        Ok(tokens)
    }

    /// Revokes the grant of an access or refresh token of `client_id` (RFC 7009).
    /// Unknown tokens are ignored, as the RFC asks.
    pub fn revoke(&self, token: &str, client_id: &str) -> Result<(), OAuthError> {
        let mut state = lock(&self.state);
        let hash = token_hash(token);
        let grant_id = state
            .access_tokens
            .get(&hash)
            .map(|record| record.grant_id.clone())
            .or_else(|| state.refresh_tokens.get(&hash).map(|r| r.grant_id.clone()));
        let Some(grant_id) = grant_id else {
            return Ok(());
        };
        let owned_by_client = state
            .grants
            .get(&grant_id)
            .is_some_and(|grant| grant.client_id == client_id && !grant.revoked);
        if owned_by_client {
            self.revoke_grant(&mut state, &grant_id);
            self.persist(&mut state)?;
        }
        Ok(())
    }

    /// What a bearer token allows, or `None` when it is unknown, expired or revoked.
    pub fn authenticate(&self, access_token: &str) -> Option<AccessGrant> {
        let state = lock(&self.state);
        let record = state.access_tokens.get(&token_hash(access_token))?;
        let grant = state.grants.get(&record.grant_id)?;
        (!grant.revoked && record.expires_at_ms > now_ms()).then(|| AccessGrant {
            scope: record.scope.clone(),
            jkt: record.jkt.clone(),
            account: grant.account.clone(),
        })
    }

    /// Makes every access token issued so far expired, as if time had passed.
    pub fn expire_access_tokens(&self) -> Result<(), StateFileError> {
        let mut state = lock(&self.state);
        let now = now_ms();
        for record in state.access_tokens.values_mut() {
            record.expires_at_ms = record.expires_at_ms.min(now);
        }
        self.write(&mut state)
    }

    fn issue_tokens(
        &self,
        state: &mut State,
        grant_id: &str,
        scope: String,
        jkt: Option<&str>,
    ) -> IssuedTokens {
        let access_token = random_secret();
        let refresh_token = random_secret();
        let sequence = state.next_sequence();
        state.access_tokens.insert(
            token_hash(&access_token),
            AccessTokenRecord {
                sequence,
                grant_id: grant_id.to_owned(),
                scope: scope.clone(),
                expires_at_ms: now_ms().saturating_add(duration_ms(self.access_token_ttl)),
                jkt: jkt.map(str::to_owned),
            },
        );
        state.refresh_tokens.insert(
            token_hash(&refresh_token),
            RefreshTokenRecord {
                sequence,
                grant_id: grant_id.to_owned(),
                rotated: false,
            },
        );
        IssuedTokens {
            access_token,
            refresh_token,
            expires_in: self.access_token_ttl.as_secs(),
            scope,
            openid: None,
            jkt: jkt.map(str::to_owned),
        }
    }

    fn revoke_grant(&self, state: &mut State, grant_id: &str) {
        if let Some(grant) = state.grants.get_mut(grant_id)
            && !grant.revoked
        {
            grant.revoked = true;
            self.counters.bump(Count::GrantsRevoked);
        }
    }

    /// Prunes and writes the state file; a failure becomes a `server_error` for the client.
    fn persist(&self, state: &mut State) -> Result<(), OAuthError> {
        self.write(state).map_err(|error| {
            tracing::error!(%error, "could not save provider state");
            OAuthError::server_error("the provider could not save its state")
        })
    }

    fn write(&self, state: &mut State) -> Result<(), StateFileError> {
        prune(state);
        enforce_limits(state, &self.limits);
        let Some(path) = &self.state_file else {
            return Ok(());
        };
        state.version = STATE_VERSION;
        persistence::save(path, &*state)
    }
}

/// Drops what can no longer matter: expired access tokens and long-expired codes.
fn prune(state: &mut State) {
    let now = now_ms();
    state
        .access_tokens
        .retain(|_, record| record.expires_at_ms > now);
    let memory = duration_ms(USED_CODE_MEMORY);
    state
        .codes
        .retain(|_, record| record.expires_at_ms.saturating_add(memory) > now);
}

/// Forgets the oldest entries of every table that is past its limit.
fn enforce_limits(state: &mut State, limits: &Limits) {
    forget_oldest(&mut state.codes, limits.authorization_codes, |code| {
        code.sequence
    });
    while state.grants.len() > limits.grants {
        let victim = state
            .grants
            .iter()
            .min_by_key(|(_, grant)| (!grant.revoked, grant.sequence))
            .map(|(id, _)| id.clone());
        let Some(victim) = victim else { break };
        state.grants.remove(&victim);
        state
            .access_tokens
            .retain(|_, token| token.grant_id != victim);
        state
            .refresh_tokens
            .retain(|_, token| token.grant_id != victim);
    }
    forget_oldest(&mut state.access_tokens, limits.access_tokens, |token| {
        token.sequence
    });
    let mut rotated_by_grant: HashMap<&str, Vec<(u64, &str)>> = HashMap::new();
    for (hash, token) in &state.refresh_tokens {
        if token.rotated {
            rotated_by_grant
                .entry(&token.grant_id)
                .or_default()
                .push((token.sequence, hash));
        }
    }
    let forgotten: Vec<String> = rotated_by_grant
        .into_values()
        .flat_map(|mut rotated| {
            let excess = rotated
                .len()
                .saturating_sub(limits.rotated_refresh_tokens_per_grant);
            rotated.sort_unstable();
            rotated.truncate(excess);
            rotated.into_iter().map(|(_, hash)| hash.to_owned())
        })
        .collect();
    for hash in forgotten {
        state.refresh_tokens.remove(&hash);
    }
}

/// Removes the entries with the lowest `sequence` until `table` holds at most `limit`.
fn forget_oldest<T>(table: &mut HashMap<String, T>, limit: usize, sequence: impl Fn(&T) -> u64) {
    let excess = table.len().saturating_sub(limit);
    if excess == 0 {
        return;
    }
    let mut by_age: Vec<(u64, String)> = table
        .iter()
        .map(|(key, value)| (sequence(value), key.clone()))
        .collect();
    by_age.sort_unstable();
    for (_, key) in by_age.into_iter().take(excess) {
        table.remove(&key);
    }
}

/// The scope for a refreshed access token: the grant's, or a subset of it (RFC 6749 §6).
fn narrowed_scope(granted: &str, requested: Option<&str>) -> Result<String, OAuthError> {
    let Some(requested) = requested else {
        return Ok(granted.to_owned());
    };
    let requested = scope::parse(Some(requested))
        .map_err(|reason| OAuthError::new(ErrorCode::InvalidScope, reason))?;
    if let Some(extra) = requested.iter().find(|s| !scope::contains(granted, s)) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope {extra:?} was not granted"),
        ));
    }
    Ok(requested.join(" "))
}

impl State {
    fn next_sequence(&mut self) -> u64 {
        self.next_sequence += 1;
        self.next_sequence
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, duration_ms)
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX / 2)
}
