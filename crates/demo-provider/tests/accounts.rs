//! Several demo accounts: each name typed on the consent page is an account of its own, in the
//! tokens, the ID token and userinfo, across refreshes and restarts.

mod common;

use common::*;
use photolink_demo_provider::Config;
use reqwest::StatusCode;
use serde_json::Value;

/// Signs in through the consent page, typing `name` in its account field (none: the form as
/// served), and returns the token response.
async fn tokens_as(
    http: &reqwest::Client,
    provider: &photolink_demo_provider::ProviderHandle,
    name: Option<&str>,
    extra: &[(&str, &str)],
) -> Value {
    let pkce = Pkce::new();
    let transaction = open_consent(http, authorize_url(provider, &pkce, extra)).await;
    let mut form = vec![
        ("transaction", transaction.as_str()),
        ("decision", "approve"),
    ];
    form.extend(name.map(|name| ("account_name", name)));
    let answer = http
        .post(&provider.endpoints().authorization)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let code = query_param(&location(&answer), "code").expect("a code");
    let (status, body) = exchange(http, provider, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn userinfo(
    http: &reqwest::Client,
    provider: &photolink_demo_provider::ProviderHandle,
    tokens: &Value,
) -> Value {
    let answer = http
        .get(&provider.endpoints().userinfo)
        .bearer_auth(string(tokens, "access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    answer.json().await.unwrap()
}

/// The claims of the token response's ID token (its signature is checked elsewhere).
fn id_token_claims(tokens: &Value) -> Value {
    use base64::Engine;
    let token = string(tokens, "id_token");
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn each_name_typed_on_the_consent_page_is_an_account_of_its_own() {
    let provider = provider(Config::default()).await;
    let http = http();

    let sam = tokens_as(&http, &provider, Some("Sam Lee"), &[]).await;
    let alex = tokens_as(&http, &provider, None, &[]).await;
    let sam_again = tokens_as(&http, &provider, Some("  sam   LEE "), &[]).await;

    let (sam_info, alex_info) = (
        userinfo(&http, &provider, &sam).await,
        userinfo(&http, &provider, &alex).await,
    );
    assert_eq!(sam_info["name"], "Sam Lee");
    assert_eq!(sam_info["email"], "sam.lee@demo.photos");
    assert_eq!(alex_info["name"], "Alex Rivera");
    assert_eq!(alex_info["email"], "alex@demo.photos");
    assert_ne!(sam_info["sub"], alex_info["sub"]);
    assert_eq!(
        userinfo(&http, &provider, &sam_again).await["sub"],
        sam_info["sub"],
        "the same name in other case and spacing is the same account"
    );

    let (status, refreshed) = refresh(&http, &provider, &string(&sam, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(
        userinfo(&http, &provider, &refreshed).await["sub"],
        sam_info["sub"],
        "a refreshed token is still the account's"
    );
}

#[tokio::test]
async fn the_id_token_names_the_account_signed_in() {
    let provider = provider(Config::default()).await;
    let http = http();
    let openid = [("scope", "openid photos:read profile"), ("nonce", "n-1")];

    let sam = tokens_as(&http, &provider, Some("Sam Lee"), &openid).await;

    let claims = id_token_claims(&sam);
    assert_eq!(claims["sub"], userinfo(&http, &provider, &sam).await["sub"]);
    assert_eq!(claims["name"], "Sam Lee");
    assert_eq!(claims["email"], "sam.lee@demo.photos");
}

#[tokio::test]
async fn a_login_hint_is_the_name_the_page_suggests() {
    let provider = provider(Config::default()).await;
    let http = http();
    let page = |hint: String| {
        let url = authorize_url(&provider, &Pkce::new(), &[("login_hint", &hint)]);
        let http = http.clone();
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };

    let hinted = page("Sam Lee".into()).await;
    assert!(hinted.contains(r#"name="account_name" value="Sam Lee""#));
    assert!(hinted.contains("sam.lee@demo.photos"));

    let too_long = page("x".repeat(41)).await;
    assert!(too_long.contains(r#"name="account_name" value="Alex Rivera""#));
    let markup = page("<b>Sam</b>".into()).await;
    assert!(markup.contains(r#"value="&lt;b&gt;Sam&lt;/b&gt;""#));
    assert!(!markup.contains("<b>Sam</b>"));
}

#[tokio::test]
async fn a_name_that_cannot_be_an_account_is_refused_and_the_page_still_answers() {
    let provider = provider(Config::default()).await;
    let http = http();
    let pkce = Pkce::new();
    let transaction = open_consent(&http, authorize_url(&provider, &pkce, &[])).await;

    for bad in ["", "   ", "a\u{1b}[2J", &"x".repeat(41)] {
        let answer = http
            .post(&provider.endpoints().authorization)
            .form(&[
                ("transaction", transaction.as_str()),
                ("decision", "approve"),
                ("account_name", bad),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(answer.text().await.unwrap().contains("cannot be used"));
    }

    let callback = decide(&http, &provider, &transaction, "approve").await;
    assert!(query_param(&callback, "code").is_some(), "{callback}");
}

#[tokio::test]
async fn a_grants_account_survives_a_restart() {
    let state_file = std::env::temp_dir().join(format!(
        "photolink-demo-accounts-{}.json",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&state_file);
    let config = || Config {
        state_file: Some(state_file.clone()),
        ..Config::default()
    };
    let http = http();
    let first = provider(config()).await;
    let sam = tokens_as(&http, &first, Some("Sam Lee"), &[]).await;
    let subject = userinfo(&http, &first, &sam).await["sub"].clone();
    first.shutdown().await;

    let second = provider(config()).await;
    let (status, refreshed) = refresh(&http, &second, &string(&sam, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let info = userinfo(&http, &second, &refreshed).await;
    assert_eq!(info["sub"], subject);
    assert_eq!(info["name"], "Sam Lee");
    let _ = std::fs::remove_file(&state_file);
}
