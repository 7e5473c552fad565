//! Token sets and the parsing of token endpoint answers (RFC 6749 §5.1, §5.2).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::dpop::DpopKey;
use crate::error::{CleanText, Error, ResponseProblem, Result, TokenErrorCode};
use crate::http::RawResponse;
use crate::id_token::IdTokenClaims;
use crate::secret::{AccessToken, IdToken, RefreshToken};

/// The tokens of one connected account, as saved in a [`TokenStore`](crate::TokenStore).
///
/// `Debug` is safe to print (secrets show as `[redacted]`); serialize it only into secure storage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenSet {
    /// The access token.
    pub access_token: AccessToken,
    /// `Bearer`, or `DPoP` for a token bound to [`dpop_key`](Self::dpop_key) (RFC 9449),
    /// whatever the case the server wrote it in.
    pub token_type: String,
    /// The refresh token, if the server issued one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
    /// When the access token was received.
    #[serde(with = "unix_seconds")]
    pub received_at: SystemTime,
    /// When the access token expires; `None` when the server did not say.
    #[serde(
        default,
        with = "unix_seconds_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<SystemTime>,
    /// The scopes actually granted (the requested ones when the server did not say).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The OpenID Connect ID token, if one was issued (kept as received).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdToken>,
    /// The account the ID token names, once verified (OpenID Connect sign-ins only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_claims: Option<IdTokenClaims>,
    /// The DPoP key the tokens were requested with (RFC 9449), kept with them so refresh
    /// tokens bound to it keep working after a restart. Stored as base64url PKCS#8.
    #[serde(
        default,
        with = "crate::dpop::stored_key",
        skip_serializing_if = "Option::is_none"
    )]
    pub dpop_key: Option<Arc<DpopKey>>,
}

impl TokenSet {
    /// True when the access token is past its expiry at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// True when the access token expires within `skew` of `now`. The skew is capped at half
    /// the token's lifetime, so a token that only lives 30 s is still used for 15 s.
    pub fn needs_refresh(&self, skew: Duration, now: SystemTime) -> bool {
        let Some(expires_at) = self.expires_at else {
            return false;
        };
        let lifetime = expires_at
            .duration_since(self.received_at)
            .unwrap_or_default();
        let skew = skew.min(lifetime / 2);
        expires_at
            .checked_sub(skew)
            .is_none_or(|refresh_at| refresh_at <= now)
    }
}

/// A successful token endpoint answer, before merging with what is already known.
#[derive(Debug)]
pub(crate) struct TokenResponse {
    pub access_token: AccessToken,
    /// `Bearer` or `DPoP`, as this crate spells them.
    pub token_type: &'static str,
    pub refresh_token: Option<RefreshToken>,
    pub expires_in: Option<Duration>,
    pub scopes: Option<Vec<String>>,
    pub id_token: Option<IdToken>,
}

impl TokenResponse {
    /// A token set from this answer. Missing values come from `previous` (refresh token, scopes,
    /// ID token, DPoP key) or, for scopes, from `requested_scopes`.
    pub fn into_token_set(
        self,
        previous: Option<&TokenSet>,
        requested_scopes: &[String],
        now: SystemTime,
    ) -> TokenSet {
        TokenSet {
            access_token: self.access_token,
            token_type: self.token_type.into(),
            refresh_token: self
                .refresh_token
                .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            received_at: now,
            expires_at: self.expires_in.and_then(|d| now.checked_add(d)),
            scopes: self
                .scopes
                .or_else(|| previous.map(|p| p.scopes.clone()))
                .unwrap_or_else(|| requested_scopes.to_vec()),
            id_token: self
                .id_token
                .or_else(|| previous.and_then(|p| p.id_token.clone())),
            id_token_claims: None,
            dpop_key: previous.and_then(|p| p.dpop_key.clone()),
        }
    }
}

/// Reads a token endpoint answer: a success object, an RFC 6749 §5.2 error, or anything else
/// as an error naming the HTTP status.
pub(crate) fn parse_token_response(response: &RawResponse) -> Result<TokenResponse> {
    let Some(object) = response.json_object() else {
        return Err(response.unexpected());
    };
    if let Some(error) = oauth_error(&object, response) {
        return Err(error);
    }
    if !response.is_success() {
        return Err(response.unexpected());
    }
    let text = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let invalid = |detail: ResponseProblem| response.unusable(detail);

    let access_token = text("access_token")
        .ok_or_else(|| invalid(ResponseProblem::MissingMember("access_token")))?;
    let token_type = match text("token_type") {
        Some(kind) if kind.eq_ignore_ascii_case("bearer") => "Bearer",
        Some(kind) if kind.eq_ignore_ascii_case("dpop") => "DPoP",
        Some(kind) => {
            return Err(invalid(ResponseProblem::UnsupportedTokenType(
                CleanText::code(kind),
            )));
        }
        None => return Err(invalid(ResponseProblem::MissingMember("token_type"))),
    };
    Ok(TokenResponse {
        access_token: AccessToken::new(access_token),
        token_type,
        refresh_token: text("refresh_token").map(RefreshToken::new),
        expires_in: lifetime(&object)
            .map_err(|()| invalid(ResponseProblem::NotANumber("expires_in")))?,
        scopes: text("scope").map(|s| {
            s.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        }),
        id_token: text("id_token").map(IdToken::new),
    })
}

/// An RFC 6749 §5.2 error in a JSON object (an `error` string member), if there is one.
pub(crate) fn oauth_error(object: &Map<String, Value>, response: &RawResponse) -> Option<Error> {
    let code = object.get("error")?.as_str()?;
    let text = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .map(CleanText::text)
    };
    Some(Error::Token {
        code: TokenErrorCode::parse(code),
        description: text("error_description"),
        uri: text("error_uri"),
        status: response.status,
        retry_after: response.retry_after,
    })
}

/// Lifetime from `expires_in` (RFC 6749) or `expires` (seen in the wild): a non-negative
/// number or numeric string of seconds. Absent means unknown.
pub(crate) fn lifetime(object: &Map<String, Value>) -> Result<Option<Duration>, ()> {
    let Some(value) = object.get("expires_in").or_else(|| object.get("expires")) else {
        return Ok(None);
    };
    let seconds = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match seconds {
        Some(s) if s.is_finite() && s >= 0.0 => {
            Ok(Some(Duration::from_secs_f64(s.min(u32::MAX as f64))))
        }
        _ => Err(()),
    }
}

/// A time as whole seconds since the Unix epoch, as stored.
pub(crate) mod unix_seconds {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(
            time.duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        )
    }

    /// A damaged entry (a number past what the platform's clock can hold) is a
    /// deserialization error, never a panic: the store reports it and the app connects anew.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SystemTime, D::Error> {
        let seconds = u64::deserialize(deserializer)?;
        UNIX_EPOCH
            .checked_add(Duration::from_secs(seconds))
            .ok_or_else(|| D::Error::custom("a stored time out of range"))
    }
}

pub(crate) mod unix_seconds_option {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        time: &Option<SystemTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => super::unix_seconds::serialize(time, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapper(#[serde(with = "super::unix_seconds")] SystemTime);
        Ok(Option::<Wrapper>::deserialize(deserializer)?.map(|Wrapper(time)| time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<TokenResponse> {
        parse_token_response(&RawResponse::json(200, body))
    }

    /// Why a 200 answer could not be used.
    #[track_caller]
    fn refused(result: Result<TokenResponse>) -> String {
        match result {
            Err(Error::UnexpectedResponse {
                status: 200,
                detail,
                retry_after: None,
            }) => detail.to_string(),
            Err(other) => panic!("expected an unusable answer, got {other:?}"),
            Ok(_) => panic!("expected an unusable answer, got tokens"),
        }
    }

    #[test]
    fn seed_example_with_expires_parses() {
        let parsed = parse(
            r#"{"access_token":"AYjcyMzY3ZDhiNmJkNTY","refresh_token":"RjY2NjM5NzA2OWJjuE7c","token_type":"Bearer","expires":3600}"#,
        )
        .unwrap();
        assert_eq!(parsed.access_token.secret(), "AYjcyMzY3ZDhiNmJkNTY");
        assert_eq!(
            parsed.refresh_token.unwrap().secret(),
            "RjY2NjM5NzA2OWJjuE7c"
        );
        assert_eq!(parsed.expires_in, Some(Duration::from_secs(3600)));
    }

    #[test]
    fn lifetime_from_expires_in_number_or_string_or_absent() {
        let with = |field: &str| {
            parse(&format!(
                r#"{{"access_token":"a","token_type":"bearer",{field}}}"#
            ))
        };
        assert_eq!(
            with(r#""expires_in":120"#).unwrap().expires_in,
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            with(r#""expires_in":"90""#).unwrap().expires_in,
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            with(r#""expires":"45""#).unwrap().expires_in,
            Some(Duration::from_secs(45))
        );
        assert_eq!(with(r#""x":1"#).unwrap().expires_in, None);
        for bad in [r#""expires_in":"soon""#, r#""expires_in":-5"#] {
            assert_eq!(refused(with(bad)), "expires_in is not a number", "{bad}");
        }
    }

    #[test]
    fn token_type_is_case_insensitive_and_must_be_bearer_or_dpop() {
        let bearer = parse(r#"{"access_token":"a","token_type":"BEARER"}"#).unwrap();
        assert_eq!(bearer.token_type, "Bearer");
        let bound = parse(r#"{"access_token":"a","token_type":"dpop"}"#).unwrap();
        assert_eq!(bound.token_type, "DPoP");
        let set = bound.into_token_set(None, &[], SystemTime::now());
        assert_eq!(set.token_type, "DPoP");
        assert_eq!(
            refused(parse(r#"{"access_token":"a","token_type":"mac"}"#)),
            r#"an unsupported token type "mac""#
        );
        assert_eq!(
            refused(parse(r#"{"access_token":"a"}"#)),
            "no token_type in the answer"
        );
        assert_eq!(
            refused(parse(r#"{"token_type":"Bearer"}"#)),
            "no access_token in the answer"
        );
    }

    #[test]
    fn granted_scope_and_id_token_are_kept() {
        let parsed = parse(r#"{"access_token":"a","token_type":"Bearer","scope":"photos:read","id_token":"h.p.s"}"#).unwrap();
        let set = parsed.into_token_set(
            None,
            &["photos:read".into(), "profile".into()],
            SystemTime::now(),
        );
        assert_eq!(set.scopes, ["photos:read"]);
        assert_eq!(set.id_token.unwrap().secret(), "h.p.s");
    }

    #[test]
    fn missing_values_come_from_the_previous_set() {
        let now = SystemTime::now();
        let first = parse(
            r#"{"access_token":"a1","token_type":"Bearer","refresh_token":"r1","scope":"x"}"#,
        )
        .unwrap()
        .into_token_set(None, &[], now);
        let second = parse(r#"{"access_token":"a2","token_type":"Bearer","expires_in":60}"#)
            .unwrap()
            .into_token_set(Some(&first), &[], now);
        assert_eq!(second.refresh_token.unwrap().secret(), "r1");
        assert_eq!(second.scopes, ["x"]);
        assert_eq!(second.expires_at, Some(now + Duration::from_secs(60)));
    }

    #[test]
    fn rfc6749_error_json_becomes_a_typed_error() {
        let error = parse_token_response(&RawResponse::json(
            400,
            r#"{"error":"invalid_grant","error_description":"code already used","error_uri":"https://x/doc"}"#,
        ))
        .unwrap_err();
        match error {
            Error::Token {
                code,
                description,
                uri,
                status,
                retry_after,
            } => {
                assert_eq!(retry_after, None);
                assert_eq!(code, TokenErrorCode::InvalidGrant);
                assert_eq!(description.as_deref(), Some("code already used"));
                assert_eq!(uri.as_deref(), Some("https://x/doc"));
                assert_eq!(status, 400);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn non_oauth_bodies_name_the_status() {
        for body in [
            "",
            "<html>no</html>",
            "plain words",
            r#"{"access_token":"#,
            r#"{"title":"x"}"#,
        ] {
            let error = parse_token_response(&RawResponse::json(500, body)).unwrap_err();
            assert!(
                matches!(error, Error::UnexpectedResponse { status: 500, .. }),
                "{body:?} gave {error:?}"
            );
        }
    }

    #[test]
    fn refresh_is_due_within_the_skew() {
        let now = SystemTime::now();
        let set = |lifetime: u64| TokenSet {
            access_token: AccessToken::new("a"),
            token_type: "Bearer".into(),
            refresh_token: None,
            received_at: now,
            expires_at: Some(now + Duration::from_secs(lifetime)),
            scopes: vec![],
            id_token: None,
            id_token_claims: None,
            dpop_key: None,
        };
        let skew = Duration::from_secs(60);
        assert!(!set(3600).needs_refresh(skew, now));
        assert!(set(3600).needs_refresh(skew, now + Duration::from_secs(3541)));
        // A 30 s token is used for its first 15 s.
        assert!(!set(30).needs_refresh(skew, now + Duration::from_secs(14)));
        assert!(set(30).needs_refresh(skew, now + Duration::from_secs(15)));
        assert!(set(30).is_expired(now + Duration::from_secs(30)));
        let unknown = TokenSet {
            expires_at: None,
            ..set(0)
        };
        assert!(!unknown.needs_refresh(skew, now) && !unknown.is_expired(now));
    }

    #[test]
    fn damaged_stored_times_are_a_deserialization_error_not_a_panic() {
        let with_times = |received_at: &str, expires_at: &str| {
            serde_json::from_str::<TokenSet>(&format!(
                r#"{{"access_token":"a","token_type":"Bearer","received_at":{received_at},"expires_at":{expires_at}}}"#
            ))
        };
        let max = u64::MAX.to_string();
        let past_i64 = (i64::MAX as u64 + 1).to_string();
        for (received_at, expires_at) in [
            (max.as_str(), "1700000000"),
            ("1700000000", max.as_str()),
            (past_i64.as_str(), "1700000000"),
            ("1700000000", past_i64.as_str()),
            ("-1", "1700000000"),
            ("1700000000", "-5"),
            ("1.5e300", "1700000000"),
            (r#""soon""#, "1700000000"),
        ] {
            let result = with_times(received_at, expires_at);
            let error = result.expect_err(&format!("{received_at} / {expires_at} was accepted"));
            assert!(error.is_data(), "{error}");
        }
        assert!(with_times("1700000000", "1700003600").is_ok());
    }

    #[test]
    fn storage_round_trip() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let set = TokenSet {
            access_token: AccessToken::new("a"),
            token_type: "Bearer".into(),
            refresh_token: Some(RefreshToken::new("r")),
            received_at: now,
            expires_at: Some(now + Duration::from_secs(60)),
            scopes: vec!["photos:read".into()],
            id_token: None,
            id_token_claims: None,
            dpop_key: None,
        };
        let json = serde_json::to_string(&set).unwrap();
        assert!(json.contains(r#""expires_at":1700000060"#), "{json}");
        let back: TokenSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back.expires_at, set.expires_at);
        assert_eq!(back.refresh_token.unwrap().secret(), "r");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn any_body_is_parsed_or_refused_without_panicking(
                status in 100u16..600,
                body in proptest::collection::vec(any::<u8>(), 0..400),
            ) {
                let response = RawResponse {
                    status,
                    content_type: Some("application/json".into()),
                    www_authenticate: None,
                    retry_after: None,
                    dpop_nonce: None,
                    body,
                };
                let _ = parse_token_response(&response);
            }

            #[test]
            fn any_json_object_is_parsed_or_refused_without_panicking(
                fields in proptest::collection::btree_map(
                    prop_oneof![
                        Just("access_token".to_owned()), Just("token_type".to_owned()),
                        Just("expires_in".to_owned()), Just("expires".to_owned()),
                        Just("refresh_token".to_owned()), Just("scope".to_owned()),
                        Just("error".to_owned()), Just("id_token".to_owned()),
                    ],
                    prop_oneof![
                        any::<f64>().prop_map(|n| serde_json::json!(n)),
                        any::<i64>().prop_map(|n| serde_json::json!(n)),
                        ".{0,40}".prop_map(|s| serde_json::json!(s)),
                        Just(serde_json::Value::Null),
                        Just(serde_json::json!([1, "a"])),
                    ],
                    0..8,
                ),
            ) {
                let body = serde_json::to_vec(&fields).unwrap();
                let _ = parse_token_response(&response_bytes(200, body.clone()));
                let _ = parse_token_response(&response_bytes(400, body));
            }

            #[test]
            fn a_valid_answer_round_trips(
                access in "[!-~]{1,80}",
                refresh in proptest::option::of("[!-~]{1,80}"),
                expires_in in proptest::option::of(0u32..=u32::MAX),
                scopes in proptest::collection::vec("[a-z:]{1,12}", 0..4),
            ) {
                let mut object = serde_json::json!({"access_token": access, "token_type": "bearer"});
                if let Some(refresh) = &refresh {
                    object["refresh_token"] = serde_json::json!(refresh);
                }
                if let Some(expires_in) = expires_in {
                    object["expires_in"] = serde_json::json!(expires_in);
                }
                if !scopes.is_empty() {
                    object["scope"] = serde_json::json!(scopes.join(" "));
                }
                let parsed = parse_token_response(&response_bytes(200, serde_json::to_vec(&object).unwrap())).unwrap();
                prop_assert_eq!(parsed.access_token.secret(), access.as_str());
                prop_assert_eq!(parsed.refresh_token.as_ref().map(|t| t.secret()), refresh.as_deref());
                prop_assert_eq!(parsed.expires_in, expires_in.map(|s| Duration::from_secs(s.into())));
                prop_assert_eq!(parsed.scopes, (!scopes.is_empty()).then_some(scopes));
            }

            #[test]
            fn any_stored_time_reads_back_or_is_refused_without_panicking(
                received_at in any::<u64>(),
                expires_at in any::<i128>(),
            ) {
                let json = format!(
                    r#"{{"access_token":"a","token_type":"Bearer","received_at":{received_at},"expires_at":{expires_at}}}"#
                );
                if let Ok(set) = serde_json::from_str::<TokenSet>(&json) {
                    let again: TokenSet = serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
                    prop_assert_eq!(again.received_at, set.received_at);
                    prop_assert_eq!(again.expires_at, set.expires_at);
                }
            }
        }

        fn response_bytes(status: u16, body: Vec<u8>) -> RawResponse {
            RawResponse {
                status,
                content_type: Some("application/json".into()),
                www_authenticate: None,
                retry_after: None,
                dpop_nonce: None,
                body,
            }
        }
    }
}
