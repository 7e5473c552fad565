use std::time::Duration;

use super::*;
use crate::client::OAuthClient;
use crate::metadata::ServerMetadata;

const REDIRECT: &str = "com.example.photolink:/oauth/callback";

fn client(par_endpoint: Option<&str>) -> OAuthClient {
    let mut metadata = ServerMetadata::new(
        "https://auth.example.com",
        "https://auth.example.com/authorize?tenant=blue",
        "https://auth.example.com/token",
    );
    metadata.pushed_authorization_request_endpoint = par_endpoint.map(str::to_owned);
    let config = ClientConfig::new("photolink-desktop", REDIRECT)
        .with_scopes(["openid", "photos:read"])
        .with_authorize_param("prompt", "consent");
    OAuthClient::new(config, metadata).unwrap()
}

#[test]
fn the_pushed_form_has_every_authorization_parameter_but_the_client_id() {
    let client = client(Some("https://auth.example.com/par"));
    let (params, pending) = client.authorization_params(REDIRECT).unwrap();
    let form = pushed_form(&params);
    let names: Vec<&str> = form.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names,
        [
            "response_type",
            "redirect_uri",
            "state",
            "code_challenge",
            "code_challenge_method",
            "scope",
            "nonce",
            "prompt"
        ]
    );
    let get = |name: &str| form.iter().find(|(n, _)| *n == name).unwrap().1;
    assert_eq!(get("state"), pending.state);
    assert_eq!(get("code_challenge"), pending.verifier.challenge());
    assert_eq!(Some(get("nonce")), pending.nonce.as_deref());
    assert_eq!(get("scope"), "openid photos:read");
    assert_eq!(get("redirect_uri"), REDIRECT);
}

#[test]
fn the_url_to_open_carries_only_the_client_id_and_request_uri() {
    let endpoint = Url::parse("https://auth.example.com/authorize?tenant=blue").unwrap();
    let url = authorize_url(
        &endpoint,
        "photolink-desktop",
        "urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c",
    );
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        [
            ("tenant".to_owned(), "blue".to_owned()),
            ("client_id".to_owned(), "photolink-desktop".to_owned()),
            (
                "request_uri".to_owned(),
                "urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c".to_owned()
            ),
        ]
    );
}

#[test]
fn the_rfc_example_answer_gives_the_request_uri_and_its_expiry() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let pushed = parse_response(
        &RawResponse::json(
            201,
            r#"{"request_uri":"urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c","expires_in":60}"#,
        ),
        now,
    )
    .unwrap();
    assert_eq!(
        pushed,
        PushedRequest {
            request_uri: "urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c".into(),
            expires_at: Some(now + Duration::from_secs(60)),
        }
    );
}

#[test]
fn an_error_answer_becomes_a_typed_error_with_safe_text() {
    let error = parse_response(
        &RawResponse::json(
            400,
            r#"{"error":"invalid_request","error_description":"bad redirect_uri tGzv3JOkF0XG5Qx2TlKWIA\u001b"}"#,
        ),
        SystemTime::now(),
    )
    .unwrap_err();
    match error {
        Error::PushedAuthorization {
            code,
            description,
            status,
            ..
        } => {
            assert_eq!(code, AuthorizationErrorCode::InvalidRequest);
            assert_eq!(description.as_deref(), Some("bad redirect_uri [hidden]"));
            assert_eq!(status, 400);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn answers_without_a_usable_request_uri_name_the_status() {
    let too_long = format!(
        r#"{{"request_uri":"urn:{}","expires_in":60}}"#,
        "x".repeat(MAX_REQUEST_URI_BYTES)
    );
    for (status, body) in [
        (201, r#"{"expires_in":60}"#),
        (201, r#"{"request_uri":"","expires_in":60}"#),
        (201, r#"{"request_uri":"urn:x","expires_in":"soon"}"#),
        (201, too_long.as_str()),
        (500, "<html>down</html>"),
        (405, ""),
    ] {
        let error =
            parse_response(&RawResponse::json(status, body), SystemTime::now()).unwrap_err();
        assert!(
            matches!(error, Error::UnexpectedResponse { status: s, .. } if s == status),
            "{body}: {error:?}"
        );
    }
}

#[test]
fn the_url_is_built_locally_only_when_pushing_is_optional() {
    let offered = client(Some("https://auth.example.com/par"));
    assert!(offered.pushes_authorization_requests());
    assert!(offered.authorization_request(REDIRECT).is_ok());
    assert!(!client(None).pushes_authorization_requests());

    let mut metadata = offered.metadata().clone();
    metadata.require_pushed_authorization_requests = true;
    let required = OAuthClient::new(offered.config().clone(), metadata.clone()).unwrap();
    let asked = OAuthClient::new(
        offered.config().clone().with_par(true),
        ServerMetadata {
            require_pushed_authorization_requests: false,
            ..metadata
        },
    )
    .unwrap();
    for client in [required, asked] {
        assert!(matches!(
            client.authorization_request(REDIRECT),
            Err(Error::InvalidConfig(_))
        ));
    }
}

#[test]
fn asking_for_par_without_an_endpoint_is_refused() {
    let metadata = ServerMetadata::new(
        "https://auth.example.com",
        "https://auth.example.com/authorize",
        "https://auth.example.com/token",
    );
    let config = ClientConfig::new("photolink-desktop", REDIRECT).with_par(true);
    assert!(matches!(
        OAuthClient::new(config, metadata),
        Err(Error::InvalidConfig(_))
    ));
}

mod properties {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            ".{0,60}".prop_map(|text| json!(text)),
            "[0-9]{1,12}".prop_map(|digits| json!(digits)),
            any::<f64>().prop_map(|n| json!(n)),
            any::<i64>().prop_map(|n| json!(n)),
            any::<bool>().prop_map(|b| json!(b)),
            Just(Value::Null),
            Just(json!(["urn:x"])),
            Just(json!({"request_uri": "urn:nested"})),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_answer_is_read_or_refused_with_its_status(
            status in 0u16..1000,
            body in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let answer = RawResponse { body, ..RawResponse::json(status, "") };
            match parse_response(&answer, SystemTime::now()) {
                Ok(pushed) => {
                    prop_assert!(answer.is_success());
                    let object = answer.json_object().unwrap();
                    prop_assert_eq!(object["request_uri"].as_str(), Some(pushed.request_uri.as_str()));
                }
                Err(Error::UnexpectedResponse { status: s, detail, .. }) => {
                    prop_assert_eq!(s, status);
                    prop_assert!(!detail.to_string().chars().any(char::is_control), "{}", detail);
                }
                Err(Error::PushedAuthorization { status: s, .. }) => prop_assert_eq!(s, status),
                Err(other) => prop_assert!(false, "{:?}", other),
            }
        }

        #[test]
        fn accepted_answers_are_exactly_the_successful_ones_with_a_request_uri(
            status in prop_oneof![200u16..300, 300u16..600],
            fields in proptest::collection::btree_map(
                prop_oneof![
                    Just("request_uri".to_owned()), Just("expires_in".to_owned()),
                    Just("expires".to_owned()), Just("error".to_owned()),
                    Just("error_description".to_owned()), "[a-z_]{1,12}",
                ],
                value(),
                0..6,
            ),
            seconds_since_epoch in 0u64..4_000_000_000,
        ) {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(seconds_since_epoch);
            let object: serde_json::Map<String, Value> = fields.clone().into_iter().collect();
            let answer = RawResponse::json(status, &Value::Object(object.clone()).to_string());
            let outcome = parse_response(&answer, now);
            let error = object.get("error").and_then(Value::as_str);
            let request_uri = object
                .get("request_uri")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty() && u.len() <= MAX_REQUEST_URI_BYTES);
            let expires_in = lifetime(&object);
            match (error, outcome) {
                (Some(_), Err(Error::PushedAuthorization { status: s, description, .. })) => {
                    prop_assert_eq!(s, status);
                    if let Some(description) = description {
                        prop_assert!(description.chars().count() <= 201);
                        prop_assert!(!description.chars().any(char::is_control));
                    }
                }
                (None, Ok(pushed)) => {
                    prop_assert!((200..300).contains(&status));
                    prop_assert_eq!(Some(pushed.request_uri.as_str()), request_uri);
                    let expected = expires_in.unwrap().and_then(|l| now.checked_add(l));
                    prop_assert_eq!(pushed.expires_at, expected);
                }
                (None, Err(Error::UnexpectedResponse { status: s, .. })) => {
                    prop_assert_eq!(s, status);
                    prop_assert!(!(200..300).contains(&status) || request_uri.is_none() || expires_in.is_err());
                }
                (error, outcome) => prop_assert!(false, "error {:?}: {:?}", error, outcome),
            }
        }
    }
}
