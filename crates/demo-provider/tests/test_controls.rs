//! The test control endpoints (`test_controls` / `--test-controls`): faults and stats over HTTP.

mod common;

use common::*;
use photolink_demo_provider::{Config, ProviderHandle};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn with_controls() -> ProviderHandle {
    provider(Config {
        test_controls: true,
        ..Config::default()
    })
    .await
}

fn control(provider: &ProviderHandle, name: &str) -> String {
    format!("{}/_test/{name}", provider.issuer_url())
}

async fn stats(provider: &ProviderHandle) -> Value {
    let response = http().get(control(provider, "stats")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

#[tokio::test]
async fn faults_are_armed_with_json_and_cleared_with_delete() {
    let provider = with_controls().await;
    let http = http();
    let response = http
        .post(control(&provider, "faults"))
        .json(&json!({ "faults": [
            { "fault": "token_server_error", "status": 503, "retry_after": 3, "times": 1 },
            { "fault": "discovery_missing" },
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let (status, headers, _) = post_form(&http, &provider.endpoints().token, &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["retry-after"], "3");
    let discovery = format!("{}/.well-known/openid-configuration", provider.issuer_url());
    let status = |url: String| async { http.get(url).send().await.unwrap().status() };
    assert_eq!(status(discovery.clone()).await, StatusCode::NOT_FOUND);

    let stats = stats(&provider).await;
    assert_eq!(stats["faults_served"]["token_server_error"], 1);
    assert_eq!(stats["faults_served"]["discovery_missing"], 1);
    assert_eq!(stats["token_requests"], 1);

    let response = http
        .delete(control(&provider, "faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(status(discovery).await, StatusCode::OK);
}

#[tokio::test]
async fn bad_fault_requests_are_refused_with_a_plain_reason() {
    let provider = with_controls().await;
    let http = http();
    for body in [
        json!({ "faults": [{ "fault": "token_teapot" }] }),
        json!({ "faults": [{ "fault": "token_hang", "tims": 1 }] }),
        json!({ "faults": [{ "fault": "photos_server_error", "status": 200 }] }),
        json!({ "faults": [{ "fault": "token_hang", "times": 0 }] }),
        json!({ "fault": "token_hang" }),
    ] {
        let response = http
            .post(control(&provider, "faults"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{body}");
        assert!(!response.text().await.unwrap().is_empty(), "{body}");
    }
    let form = http
        .post(control(&provider, "faults"))
        .body(r#"{"faults":[]}"#)
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(
        form.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "only JSON, which a web page cannot send cross-site without a preflight"
    );
    assert!(
        stats(&provider).await["faults_served"]
            .as_object()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn without_test_controls_the_endpoints_do_not_exist() {
    let provider = provider(Config::default()).await;
    let http = http();
    let faults = control(&provider, "faults");
    let responses = [
        http.post(&faults)
            .json(&json!({ "faults": [{ "fault": "token_hang" }] }))
            .send()
            .await
            .unwrap(),
        http.delete(&faults).send().await.unwrap(),
        http.get(control(&provider, "stats")).send().await.unwrap(),
        http.get(control(&provider, "exchanges"))
            .send()
            .await
            .unwrap(),
    ];
    for response in responses {
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let (status, _, body) = post_form(&http, &provider.endpoints().token, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no fault was armed");
    assert_eq!(body["error"], "invalid_client");
}

/// The exchanges recorded with `record_exchanges`, after checking the log dropped none.
async fn recorded_exchanges(provider: &ProviderHandle) -> Vec<Value> {
    let response = http()
        .get(control(provider, "exchanges"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let log: Value = response.json().await.unwrap();
    assert_eq!(log["dropped"], 0, "{log}");
    log["exchanges"].as_array().unwrap().clone()
}

fn has_header(exchange: &Value, side: &str, name: &str, value: &str) -> bool {
    exchange[format!("{side}_headers")]
        .as_array()
        .unwrap()
        .contains(&json!([name, value]))
}

#[tokio::test]
async fn the_exchange_log_keeps_every_secret_as_it_passed() {
    let provider = provider(Config {
        record_exchanges: true,
        ..Config::default()
    })
    .await;
    let http = http();
    let pkce = Pkce::new();
    let code = authorization_code(&http, &provider, &pkce).await;
    let (status, tokens) = exchange(&http, &provider, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access_token = string(&tokens, "access_token");
    assert_eq!(
        photos_status(&http, &provider, &access_token).await,
        StatusCode::OK
    );

    let exchanges = recorded_exchanges(&provider).await;
    let targets: Vec<&str> = exchanges
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets.len(), 4, "{targets:?}");
    let [consent, decision, token, photos] = &exchanges[..] else {
        unreachable!()
    };
    assert!(targets[0].starts_with("/authorize?"), "{targets:?}");
    assert_eq!(consent["method"], "GET");
    assert!(
        consent["target"]
            .as_str()
            .unwrap()
            .contains(&pkce.challenge)
    );
    assert_eq!(decision["method"], "POST");
    assert_eq!(decision["status"], 303);
    let location = decision["response_headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| pair[0] == "location")
        .unwrap_or_else(|| panic!("no location in {decision}"));
    assert!(location[1].as_str().unwrap().contains(&code), "{location}");
    assert_eq!(token["target"], "/token");
    let form = token["request_body"].as_str().unwrap();
    assert!(form.contains(&format!("code={code}")), "{form}");
    assert!(
        form.contains(&format!("code_verifier={}", pkce.verifier)),
        "{form}"
    );
    assert_eq!(
        serde_json::from_str::<Value>(token["response_body"].as_str().unwrap()).unwrap(),
        tokens
    );
    assert_eq!(photos["status"], 200);
    assert!(has_header(
        photos,
        "request",
        "authorization",
        &format!("Bearer {access_token}")
    ));
}

#[tokio::test]
async fn the_exchange_log_leaves_out_images_and_the_test_controls() {
    let provider = provider(Config {
        record_exchanges: true,
        test_controls: true,
        ..Config::default()
    })
    .await;
    let http = http();
    let access_token = string(&tokens(&http, &provider).await, "access_token");
    let thumbnail = format!("{}/photos/p00001/thumbnail", provider.issuer_url());
    let response = http
        .get(&thumbnail)
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        !response.bytes().await.unwrap().is_empty(),
        "the image still arrives whole"
    );
    stats(&provider).await;

    let exchanges = recorded_exchanges(&provider).await;
    let image = exchanges
        .iter()
        .find(|e| e["target"] == "/photos/p00001/thumbnail")
        .expect("the image request is recorded");
    assert!(has_header(image, "response", "content-type", "image/png"));
    assert_eq!(image["response_body"], "");
    assert!(
        exchanges
            .iter()
            .all(|e| !e["target"].as_str().unwrap().contains("/_test/")),
        "{exchanges:?}"
    );
}
