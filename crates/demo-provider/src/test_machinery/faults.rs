//! Switchable faults: the provider misbehaves on purpose, so tests can prove that a client
//! survives failing servers.
//!
//! A test arms a list of [`InjectedFault`]s with
//! [`ProviderHandle::set_faults`](crate::ProviderHandle::set_faults), or, for a provider running
//! as a separate process with `--test-controls`, with `POST {issuer}/_test/faults`. Each fault
//! belongs to one endpoint group (token endpoint, photo API, discovery documents, JWK Set,
//! pushed authorization request endpoint, userinfo). A request to
//! that group is answered by the first armed fault of its group, which then counts down: a fault
//! armed with [`Fault::times`] is disarmed after that many requests, one armed with
//! [`Fault::until_cleared`] stays until [`clear_faults`](crate::ProviderHandle::clear_faults)
//! or the next `set_faults`. Several faults of one group run in the order given (for example
//! one 503, then one HTML page, then normal answers).
//!
//! A faulty answer replaces the endpoint's work: nothing is processed and no state changes (a
//! code is not spent, a refresh token not rotated), and any token in a faulty body is a random
//! value the provider does not know. The one exception is [`Fault::TokenAnswerLost`], which
//! does the work and loses only its answer. Every faulty answer is counted in
//! [`Stats::faults_served`](crate::Stats::faults_served) under its JSON name, and in the
//! endpoint's request counter, never elsewhere.
//!
//! Part of the test machinery: compiled only with the `test-machinery` feature (see
//! [`crate::test_machinery::machinery`]).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::Error;
use crate::shared::secrets::random_secret;
use crate::shared::sync::lock;
use crate::test_machinery::kinds::FaultTarget;
use crate::test_machinery::stats::Counters;

/// The most faults one `set_faults` may arm.
pub(crate) const MAX_FAULTS: usize = 32;
/// How many of the random tokens put in faulty bodies are remembered (the most recent).
const FAKE_TOKENS_KEPT: usize = 64;
/// Size of the [`Fault::TokenHugeBody`] answer: 50 MiB.
pub const HUGE_BODY_BYTES: u64 = 50 * 1024 * 1024;
/// The size the [`Fault::PhotosStalledDownload`] answer announces: 8 MiB.
pub const STALLED_DOWNLOAD_BYTES: u64 = 8 * 1024 * 1024;
/// How much of it is sent before it stalls: 1 MiB.
pub const STALLED_DOWNLOAD_SENT: u64 = 1024 * 1024;
/// The `sub` of the [`Fault::UserinfoOtherSubject`] answer.
pub const OTHER_SUBJECT: &str = "demo-user-someone-else";

/// One way to misbehave. In JSON (the control endpoint), a fault is an object whose `fault`
/// member is the snake_case variant name, with the variant's fields beside it, for example
/// `{"fault":"token_server_error","status":503,"retry_after":5}` or `{"fault":"token_hang"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// Token endpoint: this 5xx status (500 to 599) with an RFC 6749 JSON error
    /// (`temporarily_unavailable` for 503, `server_error` otherwise) and, when given,
    /// `Retry-After: <seconds>`.
    TokenServerError {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Token endpoint: the connection is closed without any answer. This is the closest a
    /// running server comes to "connection refused"; for a real refusal, stop the provider
    /// ([`ProviderHandle::shutdown`](crate::ProviderHandle::shutdown), or SIGTERM for the binary)
    /// and connect to its old port.
    TokenConnectionClosed,
    /// Token endpoint: no answer until the faults are changed or cleared, so the client's
    /// timeout fires. The waiting connection is then closed without an answer.
    TokenHang,
    /// Token endpoint: `200` with an HTML page instead of JSON.
    TokenHtml,
    /// Token endpoint: `200` with a token response cut off in the middle (invalid JSON).
    TokenTruncatedJson,
    /// Token endpoint: `200` with a token response that has no `access_token`.
    TokenWithoutAccessToken,
    /// Token endpoint: `200` with a token response whose `token_type` is `mac`.
    TokenTypeNotBearer,
    /// Token endpoint: `200` with a well-formed token response of `token_type` `Bearer`,
    /// whatever DPoP proof the request carried, as from a server that does not do DPoP.
    TokenUnboundBearer,
    /// Token endpoint: the request is processed as usual (a code is spent, a refresh token
    /// rotated), then the connection is closed without the answer, as when the network drops
    /// it on its way back.
    TokenAnswerLost,
    /// Token endpoint: `200` with a 50 MiB ([`HUGE_BODY_BYTES`]) JSON body, written in chunks
    /// (never held in memory) with an exact `Content-Length`.
    TokenHugeBody,
    /// Token endpoint: `200` with a form-encoded success body
    /// (`access_token=…&token_type=Bearer&expires_in=3600&refresh_token=…&scope=…`,
    /// `Content-Type: application/x-www-form-urlencoded`), as some older servers answer.
    TokenFormEncoded,
    /// Photo API (list, images, thumbnails): `401` with
    /// `WWW-Authenticate: Bearer … error="invalid_token"`, as if the token had been revoked.
    PhotosInvalidToken,
    /// Photo API: this 5xx status (500 to 599) with a JSON error and, when given,
    /// `Retry-After: <seconds>`.
    PhotosServerError {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Photo API: `200` with `Content-Type: image/png` and a `Content-Length` of
    /// [`STALLED_DOWNLOAD_BYTES`], the first [`STALLED_DOWNLOAD_SENT`] bytes of it, then nothing
    /// until the faults are changed or cleared, when the connection is closed: a large download
    /// that stops mid-way, for tests of its progress and of cancelling it.
    PhotosStalledDownload,
    /// Userinfo: `200` describing another account (`sub` [`OTHER_SUBJECT`]) than the one the
    /// token was issued for, which the client must not take for the signed-in account.
    UserinfoOtherSubject,
    /// JWK Set (`jwks_uri`): this 5xx status (500 to 599) with a JSON error.
    JwksServerError { status: u16 },
    /// Pushed authorization request endpoint: this 5xx status (500 to 599) with an OAuth JSON
    /// error (`temporarily_unavailable` for 503, `server_error` otherwise) and, when given,
    /// `Retry-After: <seconds>`.
    ParServerError {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Userinfo: this 5xx status (500 to 599) with a JSON error and, when given,
    /// `Retry-After: <seconds>`.
    UserinfoServerError {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Discovery: both well-known documents answer `404`.
    DiscoveryMissing,
    /// Discovery: the documents name `issuer` instead of the provider's own issuer.
    DiscoveryOtherIssuer { issuer: String },
}

impl Fault {
    /// This fault for the next `requests` requests to its endpoint group.
    pub fn times(self, requests: u32) -> InjectedFault {
        InjectedFault {
            fault: self,
            times: Some(requests),
        }
    }

    /// This fault for every request to its endpoint group until the faults are cleared.
    pub fn until_cleared(self) -> InjectedFault {
        InjectedFault {
            fault: self,
            times: None,
        }
    }

    /// The JSON name, also the key in [`Stats::faults_served`](crate::Stats::faults_served).
    pub fn name(&self) -> &'static str {
        match self {
            Self::TokenServerError { .. } => "token_server_error",
            Self::TokenConnectionClosed => "token_connection_closed",
            Self::TokenHang => "token_hang",
            Self::TokenHtml => "token_html",
            Self::TokenTruncatedJson => "token_truncated_json",
            Self::TokenWithoutAccessToken => "token_without_access_token",
            Self::TokenTypeNotBearer => "token_type_not_bearer",
            Self::TokenUnboundBearer => "token_unbound_bearer",
            Self::TokenAnswerLost => "token_answer_lost",
            Self::TokenHugeBody => "token_huge_body",
            Self::TokenFormEncoded => "token_form_encoded",
            Self::PhotosInvalidToken => "photos_invalid_token",
            Self::PhotosServerError { .. } => "photos_server_error",
            Self::PhotosStalledDownload => "photos_stalled_download",
            Self::UserinfoOtherSubject => "userinfo_other_subject",
            Self::DiscoveryMissing => "discovery_missing",
            Self::DiscoveryOtherIssuer { .. } => "discovery_other_issuer",
            Self::JwksServerError { .. } => "jwks_server_error",
            Self::ParServerError { .. } => "par_server_error",
            Self::UserinfoServerError { .. } => "userinfo_server_error",
        }
    }

    pub(crate) fn target(&self) -> FaultTarget {
        match self {
            Self::TokenServerError { .. }
            | Self::TokenConnectionClosed
            | Self::TokenHang
            | Self::TokenHtml
            | Self::TokenTruncatedJson
            | Self::TokenWithoutAccessToken
            | Self::TokenTypeNotBearer
            | Self::TokenUnboundBearer
            | Self::TokenAnswerLost
            | Self::TokenHugeBody
            | Self::TokenFormEncoded => FaultTarget::Token,
            Self::PhotosInvalidToken
            | Self::PhotosServerError { .. }
            | Self::PhotosStalledDownload => FaultTarget::Photos,
            Self::UserinfoOtherSubject => FaultTarget::Userinfo,
            Self::DiscoveryMissing | Self::DiscoveryOtherIssuer { .. } => FaultTarget::Discovery,
            Self::JwksServerError { .. } => FaultTarget::Jwks,
            Self::ParServerError { .. } => FaultTarget::PushedAuthorization,
            Self::UserinfoServerError { .. } => FaultTarget::Userinfo,
        }
    }

    fn check(&self) -> Result<(), FaultProblem> {
        match self {
            Self::TokenServerError { status, .. }
            | Self::PhotosServerError { status, .. }
            | Self::JwksServerError { status }
            | Self::ParServerError { status, .. }
            | Self::UserinfoServerError { status, .. }
                if !(500..=599).contains(status) =>
            {
                Err(FaultProblem::Status(self.name()))
            }
            Self::DiscoveryOtherIssuer { issuer } if issuer.is_empty() => {
                Err(FaultProblem::EmptyIssuer(self.name()))
            }
            _ => Ok(()),
        }
    }
}

/// Why a fault cannot be armed (see [`Error::InvalidFault`]); each names the fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultProblem {
    /// More faults than can be armed at once.
    #[error("at most {MAX_FAULTS} faults can be armed at once")]
    TooMany,
    /// A server error fault's status is not a 5xx.
    #[error("{0}: status must be 500 to 599")]
    Status(&'static str),
    /// A fault's issuer is empty.
    #[error("{0}: issuer must not be empty")]
    EmptyIssuer(&'static str),
    /// A fault's `times` is zero.
    #[error("{0}: times must be at least 1")]
    ZeroTimes(&'static str),
}

/// A fault and how many requests it answers. In JSON, the fault's object with an optional
/// `times` member (a whole number of at least 1; absent means until cleared), for example
/// `{"fault":"photos_invalid_token","times":2}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedFault {
    pub fault: Fault,
    /// How many requests it answers; `None` until cleared.
    pub times: Option<u32>,
}

impl<'de> Deserialize<'de> for InjectedFault {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut object = Map::deserialize(deserializer)?;
        let times = match object.remove("times") {
            None | Some(Value::Null) => None,
            Some(times) => Some(u32::deserialize(times).map_err(D::Error::custom)?),
        };
        let fault = Fault::deserialize(Value::Object(object.clone())).map_err(D::Error::custom)?;
        // serde ignores unknown members of unit variants, so a misspelt member would silently
        // change nothing; the fault's own serialization names every member it has.
        let known = serde_json::to_value(&fault).map_err(D::Error::custom)?;
        if let Some(unknown) = object
            .keys()
            .find(|name| known.get(name.as_str()).is_none())
        {
            return Err(D::Error::custom(format!(
                "{} has no member {unknown:?}",
                fault.name()
            )));
        }
        Ok(Self { fault, times })
    }
}

impl Serialize for InjectedFault {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Ok(Value::Object(fault)) = serde_json::to_value(&self.fault) else {
            return Err(serde::ser::Error::custom("a fault is a JSON object"));
        };
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in &fault {
            map.serialize_entry(name, value)?;
        }
        if let Some(times) = self.times {
            map.serialize_entry("times", &times)?;
        }
        map.end()
    }
}

/// The armed faults, shared by every request handler.
pub(crate) struct FaultSwitch {
    armed: Mutex<Vec<InjectedFault>>,
    /// Bumped on every change, to release hanging requests.
    changes: watch::Sender<u64>,
    counters: Arc<Counters>,
    /// The random tokens put in faulty bodies, so a test can look for them in what a client
    /// shows.
    fake_tokens: Mutex<VecDeque<String>>,
}

impl FaultSwitch {
    /// No faults armed; served faults are counted in `counters`.
    pub fn new(counters: Arc<Counters>) -> Self {
        Self {
            armed: Mutex::default(),
            changes: watch::Sender::new(0),
            counters,
            fake_tokens: Mutex::default(),
        }
    }

    /// The random tokens of faulty bodies served so far (the most recent
    /// [`FAKE_TOKENS_KEPT`]), oldest first.
    pub fn fake_tokens(&self) -> Vec<String> {
        lock(&self.fake_tokens).iter().cloned().collect()
    }

    /// A successful token response's members, with random tokens nobody can use (remembered
    /// in [`fake_tokens`](Self::fake_tokens)).
    pub(crate) fn fake_token_response(&self) -> Map<String, Value> {
        let (access_token, refresh_token) = (random_secret(), random_secret());
        let mut kept = lock(&self.fake_tokens);
        for token in [&access_token, &refresh_token] {
            if kept.len() == FAKE_TOKENS_KEPT {
                kept.pop_front();
            }
            kept.push_back(token.clone());
        }
        drop(kept);
        let mut body = Map::new();
        body.insert("access_token".into(), access_token.into());
        body.insert("token_type".into(), "Bearer".into());
        body.insert("expires_in".into(), 3600.into());
        body.insert("refresh_token".into(), refresh_token.into());
        body.insert("scope".into(), "photos:read profile".into());
        body
    }

    /// Replaces the armed faults, after checking all of them.
    pub fn set(&self, faults: Vec<InjectedFault>) -> Result<(), Error> {
        if faults.len() > MAX_FAULTS {
            return Err(Error::InvalidFault(FaultProblem::TooMany));
        }
        for injected in &faults {
            injected.fault.check().map_err(Error::InvalidFault)?;
            if injected.times == Some(0) {
                return Err(Error::InvalidFault(FaultProblem::ZeroTimes(
                    injected.fault.name(),
                )));
            }
        }
        let mut armed = lock(&self.armed);
        *armed = faults;
        self.changes.send_modify(|generation| *generation += 1);
        Ok(())
    }

    pub fn clear(&self) {
        let mut armed = lock(&self.armed);
        armed.clear();
        self.changes.send_modify(|generation| *generation += 1);
    }

    /// The fault that answers this request to `target`, if one is armed; counts it down and
    /// counts it as served.
    pub fn take(&self, target: FaultTarget) -> Option<ServedFault> {
        let mut armed = lock(&self.armed);
        let position = armed
            .iter()
            .position(|injected| injected.fault.target() == target)?;
        let fault = match &mut armed[position].times {
            Some(1) => armed.remove(position).fault,
            Some(remaining) => {
                *remaining -= 1;
                armed[position].fault.clone()
            }
            None => armed[position].fault.clone(),
        };
        self.counters.record_fault_served(fault.name());
        Some(ServedFault {
            fault,
            changes: self.changes.subscribe(),
        })
    }
}

/// A fault chosen for one request.
pub(crate) struct ServedFault {
    pub(crate) fault: Fault,
    /// Subscribed while the faults were locked, so no change is missed.
    pub(crate) changes: watch::Receiver<u64>,
}

impl ServedFault {
    /// True when the endpoint does its work before the faulty answer replaces its own.
    pub fn does_the_work(&self) -> bool {
        matches!(self.fault, Fault::TokenAnswerLost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<InjectedFault, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn faults_are_read_from_json_with_an_optional_count() {
        assert_eq!(
            parse(r#"{"fault":"token_server_error","status":503,"retry_after":5,"times":2}"#)
                .unwrap(),
            Fault::TokenServerError {
                status: 503,
                retry_after: Some(5)
            }
            .times(2)
        );
        assert_eq!(
            parse(r#"{"fault":"token_hang"}"#).unwrap(),
            Fault::TokenHang.until_cleared()
        );
        assert_eq!(
            parse(r#"{"fault":"photos_server_error","status":500}"#).unwrap(),
            Fault::PhotosServerError {
                status: 500,
                retry_after: None
            }
            .until_cleared()
        );
    }

    #[test]
    fn unknown_faults_fields_and_bad_counts_are_refused() {
        assert!(parse(r#"{"fault":"token_teapot"}"#).is_err());
        assert!(parse(r#"{"fault":"token_hang","tims":2}"#).is_err());
        assert!(parse(r#"{"fault":"token_server_error","status":503,"retry":1}"#).is_err());
        assert!(parse(r#"{"fault":"token_hang","times":-1}"#).is_err());
        assert!(parse(r#"{"fault":"discovery_other_issuer"}"#).is_err());
        assert!(parse(r#"["token_hang"]"#).is_err());
    }

    #[test]
    fn every_fault_round_trips_through_json_under_its_name() {
        let all = [
            Fault::TokenServerError {
                status: 503,
                retry_after: Some(2),
            },
            Fault::TokenConnectionClosed,
            Fault::TokenHang,
            Fault::TokenHtml,
            Fault::TokenTruncatedJson,
            Fault::TokenWithoutAccessToken,
            Fault::TokenTypeNotBearer,
            Fault::TokenUnboundBearer,
            Fault::TokenAnswerLost,
            Fault::TokenHugeBody,
            Fault::TokenFormEncoded,
            Fault::PhotosInvalidToken,
            Fault::PhotosStalledDownload,
            Fault::PhotosServerError {
                status: 500,
                retry_after: None,
            },
            Fault::UserinfoOtherSubject,
            Fault::DiscoveryMissing,
            Fault::DiscoveryOtherIssuer {
                issuer: "http://127.0.0.1:1".into(),
            },
            Fault::JwksServerError { status: 502 },
            Fault::ParServerError {
                status: 503,
                retry_after: Some(4),
            },
            Fault::UserinfoServerError {
                status: 500,
                retry_after: None,
            },
        ];
        for fault in all {
            let injected = fault.clone().times(3);
            let json = serde_json::to_value(&injected).unwrap();
            assert_eq!(json["fault"], fault.name());
            assert_eq!(json["times"], 3);
            assert_eq!(
                serde_json::from_value::<InjectedFault>(json).unwrap(),
                injected
            );
        }
    }

    #[test]
    fn counts_run_down_in_order_per_endpoint_group() {
        let counters = Arc::new(Counters::new(1));
        let switch = FaultSwitch::new(counters.clone());
        switch
            .set(vec![
                Fault::TokenHtml.times(1),
                Fault::PhotosInvalidToken.times(2),
                Fault::TokenTypeNotBearer.times(1),
            ])
            .unwrap();
        let next = |target| switch.take(target).map(|served| served.fault);
        assert_eq!(next(FaultTarget::Token), Some(Fault::TokenHtml));
        assert_eq!(next(FaultTarget::Token), Some(Fault::TokenTypeNotBearer));
        assert_eq!(next(FaultTarget::Token), None);
        assert_eq!(next(FaultTarget::Discovery), None);
        assert_eq!(next(FaultTarget::Photos), Some(Fault::PhotosInvalidToken));
        assert_eq!(next(FaultTarget::Photos), Some(Fault::PhotosInvalidToken));
        assert_eq!(next(FaultTarget::Photos), None);
        let served = counters.snapshot().faults_served;
        assert_eq!(served["photos_invalid_token"], 2);
        assert_eq!(served["token_html"], 1);
    }

    #[test]
    fn the_random_tokens_of_faulty_bodies_are_remembered_up_to_a_bound() {
        let switch = FaultSwitch::new(Arc::new(Counters::new(1)));
        let body = switch.fake_token_response();
        assert_eq!(
            switch.fake_tokens(),
            [&body["access_token"], &body["refresh_token"]].map(|v| v.as_str().unwrap().to_owned())
        );
        for _ in 0..FAKE_TOKENS_KEPT {
            switch.fake_token_response();
        }
        let kept = switch.fake_tokens();
        assert_eq!(kept.len(), FAKE_TOKENS_KEPT);
        assert!(!kept.contains(&body["access_token"].as_str().unwrap().to_owned()));
    }

    #[test]
    fn invalid_faults_are_refused_and_leave_the_armed_ones() {
        let switch = FaultSwitch::new(Arc::new(Counters::new(1)));
        switch.set(vec![Fault::TokenHtml.until_cleared()]).unwrap();
        let refused = [
            vec![
                Fault::TokenServerError {
                    status: 404,
                    retry_after: None,
                }
                .until_cleared(),
            ],
            vec![Fault::TokenHang.times(0)],
            vec![
                Fault::DiscoveryOtherIssuer {
                    issuer: String::new(),
                }
                .until_cleared(),
            ],
            vec![Fault::TokenHtml.times(1); MAX_FAULTS + 1],
        ];
        for faults in refused {
            assert!(switch.set(faults).is_err());
        }
        assert_eq!(
            switch.take(FaultTarget::Token).map(|served| served.fault),
            Some(Fault::TokenHtml)
        );
    }
}
