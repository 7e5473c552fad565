//! The ways real authorization servers differ from the demo provider, each met by a scripted
//! server on loopback, and tolerated by rule rather than by naming a server.
//!
//! | variation | where it is proven |
//! | --- | --- |
//! | discovery by RFC 8414 only, OpenID only, or neither (endpoints written by hand) | `discovery.rs`, and here for a path-mounted server |
//! | an issuer with a path; the RFC 8414 document appended to that path | `discovery.rs`, here |
//! | trailing slashes on the issuer and on endpoints | here |
//! | a revocation endpoint present or absent | `session_mock.rs`, here |
//! | refresh tokens absent, rotated or not | `session_mock.rs`, `provider_session.rs` |
//! | a granted scope other than the requested one | here |
//! | `token_type` in any case | here |
//! | error bodies: RFC 6749 JSON, RFC 9457 problem+json, HTML, text | `token_endpoint.rs` (token endpoint), here (revocation endpoint) |
//! | `iss` present, absent or advertised (RFC 9207) | `provider_flow.rs` |
//! | an RFC 8707 `resource` on the authorization and token requests | here |
//! | `client_secret_post` or `client_secret_basic` | `token_endpoint.rs`, here (revocation) |

use std::sync::{Arc, OnceLock};

use photolink_oauth::{
    ClientSecret, Error, HttpClient, HttpOptions, MemoryTokenStore, OAuthClient,
    PendingAuthorization, Session, discover,
};

use crate::support::mock::{
    Captured, Mock, REDIRECT_URI, config, exchange, json, query_param, reply, stored_tokens, tokens,
};

/// A server that serves its metadata document, naming `issuer_of(base)`, only at `path`.
async fn metadata_only_at(
    path: &'static str,
    issuer_of: fn(&str) -> String,
) -> (Mock, Arc<OnceLock<String>>) {
    let base = Arc::new(OnceLock::<String>::new());
    let document_base = base.clone();
    let mock = Mock::start(move |request: &Captured| {
        if request.path != path {
            return reply(404, "text/html", "<html>not here</html>");
        }
        let issuer = issuer_of(document_base.get().unwrap());
        json(
            200,
            &format!(
                r#"{{"issuer":"{issuer}","authorization_endpoint":"{issuer}/auth","token_endpoint":"{issuer}/token"}}"#
            ),
        )
    })
    .await;
    base.set(mock.base.clone()).unwrap();
    (mock, base)
}

fn http() -> HttpClient {
    HttpClient::new(HttpOptions::default()).unwrap()
}

#[tokio::test]
async fn a_server_mounted_under_a_path_is_found_at_its_appended_rfc8414_document() {
    let (mock, _) = metadata_only_at("/oidc/.well-known/oauth-authorization-server", |base| {
        format!("{base}/oidc")
    })
    .await;
    let issuer = format!("{}/oidc", mock.base);

    let metadata = discover(&http(), &issuer).await.unwrap();

    assert_eq!(metadata.issuer, issuer);
    assert_eq!(metadata.token_endpoint, format!("{issuer}/token"));
    let looked: Vec<_> = mock.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        looked.last().map(String::as_str),
        Some("/oidc/.well-known/oauth-authorization-server"),
        "the standard places come first: {looked:?}"
    );
}

#[tokio::test]
async fn an_issuer_written_without_the_servers_trailing_slash_is_found_and_the_servers_form_kept() {
    let (mock, _) = metadata_only_at("/.well-known/oauth-authorization-server", |base| {
        format!("{base}/")
    })
    .await;

    let metadata = discover(&http(), &mock.base).await.unwrap();

    assert_eq!(metadata.issuer, format!("{}/", mock.base));
    let client = OAuthClient::new(config(), metadata).unwrap();
    let pending = PendingAuthorization::new();
    let url = pending.begin(&client).unwrap();
    let state = query_param(&url, "state").unwrap();
    let issuer = format!("{}/", mock.base);
    assert!(
        pending
            .complete(&format!("{REDIRECT_URI}?code=c&state={state}&iss={issuer}"))
            .is_ok(),
        "the callback's iss is compared with the server's own spelling"
    );
}

#[tokio::test]
async fn an_issuer_written_with_a_trailing_slash_the_server_does_not_use_is_found() {
    let (mock, _) = metadata_only_at("/.well-known/oauth-authorization-server", |base| {
        base.to_owned()
    })
    .await;

    let metadata = discover(&http(), &format!("{}/", mock.base)).await.unwrap();

    assert_eq!(metadata.issuer, mock.base);
}

#[tokio::test]
async fn a_document_naming_the_issuer_with_another_path_is_still_refused() {
    let (mock, _) = metadata_only_at("/.well-known/oauth-authorization-server", |base| {
        format!("{base}/other")
    })
    .await;

    let error = discover(&http(), &mock.base).await.unwrap_err();

    assert!(matches!(error, Error::IssuerMismatch { .. }), "{error:?}");
}

#[tokio::test]
async fn endpoints_with_trailing_slashes_are_called_exactly_as_written() {
    let mock = Mock::start(|_| tokens("at", Some("rt"), 3600)).await;
    let mut metadata = mock.metadata();
    metadata.token_endpoint = format!("{}/token/", mock.base);
    let client = OAuthClient::new(config(), metadata).unwrap();

    exchange(&client, "c").await.unwrap();

    assert_eq!(mock.requests_to("/token/").len(), 1);
}

#[tokio::test]
async fn without_a_revocation_endpoint_disconnect_forgets_the_tokens_and_says_nothing_was_revoked()
{
    let mock = Mock::start(|_| reply(200, "text/plain", "")).await;
    let mut metadata = mock.metadata();
    metadata.revocation_endpoint = None;
    let client = OAuthClient::new(config(), metadata).unwrap();
    let store = Arc::new(MemoryTokenStore::with_tokens(stored_tokens(
        "at-1",
        Some("rt-1"),
        3000,
    )));
    let session = Session::new(client, store.clone()).unwrap();

    let error = session.disconnect().await.unwrap_err();

    assert!(matches!(error, Error::RevocationFailed { .. }), "{error:?}");
    assert!(mock.requests().is_empty(), "no request has anywhere to go");
    assert!(
        photolink_oauth::TokenStore::load(&*store)
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_narrower_granted_scope_is_kept_across_a_refresh_that_names_none() {
    let mock = Mock::start(|request: &Captured| match request.param("grant_type") {
        Some("authorization_code") => json(
            200,
            r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-1","scope":"photos:read openid"}"#,
        ),
        _ => tokens("at-2", Some("rt-2"), 3600),
    })
    .await;
    let client = mock.client();

    let first = exchange(&client, "c").await.unwrap();
    let second = client.refresh(&first).await.unwrap();

    assert_eq!(first.scopes, ["photos:read", "openid"]);
    assert_eq!(second.scopes, first.scopes);
}

#[tokio::test]
async fn token_type_is_accepted_in_any_case() {
    for kind in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let mock = Mock::start(move |_| {
            json(
                200,
                &format!(r#"{{"access_token":"at","token_type":"{kind}","expires_in":60}}"#),
            )
        })
        .await;
        let set = exchange(&mock.client(), "c").await.unwrap();
        assert_eq!(set.token_type, "Bearer", "{kind}");
    }
}

#[tokio::test]
async fn a_resource_is_sent_on_the_authorization_request_the_code_exchange_and_the_refresh() {
    const RESOURCE: &str = "https://api.photos.example.com/v1";
    let mock = Mock::start(|_| tokens("at", Some("rt"), 3600)).await;
    let client = mock.client_with(config().with_resource(RESOURCE));

    let url = PendingAuthorization::new().begin(&client).unwrap();
    let first = exchange(&client, "c").await.unwrap();
    client.refresh(&first).await.unwrap();

    assert_eq!(query_param(&url, "resource").as_deref(), Some(RESOURCE));
    let sent: Vec<_> = mock
        .requests_to("/token")
        .iter()
        .map(|r| {
            (
                r.param("grant_type").map(str::to_owned),
                r.param("resource").map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            (Some("authorization_code".into()), Some(RESOURCE.into())),
            (Some("refresh_token".into()), Some(RESOURCE.into())),
        ]
    );
}

#[tokio::test]
async fn without_a_resource_none_is_sent() {
    let mock = Mock::start(|_| tokens("at", Some("rt"), 3600)).await;
    let client = mock.client();

    let url = PendingAuthorization::new().begin(&client).unwrap();
    let first = exchange(&client, "c").await.unwrap();
    client.refresh(&first).await.unwrap();

    assert_eq!(query_param(&url, "resource"), None);
    assert!(
        mock.requests_to("/token")
            .iter()
            .all(|r| r.param("resource").is_none())
    );
}

/// A revocation answer of each kind: what its error must name, and body text it must not show.
const REVOCATION_REFUSALS: [(&str, &str, &str, &str); 4] = [
    (
        "application/json",
        r#"{"error":"unsupported_token_type","error_description":"no"}"#,
        "unsupported_token_type",
        "",
    ),
    (
        "application/problem+json",
        r#"{"type":"about:blank","title":"Bad Request","status":400}"#,
        "a problem report: Bad Request",
        "about:blank",
    ),
    (
        "text/html",
        "<html><body>page-words</body></html>",
        "a web page",
        "page-words",
    ),
    ("text/plain", "plain-words", "HTTP 400", "plain-words"),
];

#[tokio::test]
async fn revocation_error_bodies_of_every_kind_are_named_without_quoting_them() {
    for (content_type, body, named, unquoted) in REVOCATION_REFUSALS {
        let mock = Mock::start(move |_| reply(400, content_type, body)).await;
        let error = mock
            .client()
            .revoke_refresh_token(&photolink_oauth::RefreshToken::new("rt"))
            .await
            .unwrap_err();
        let shown = format!("{error} {error:?}");
        match &error {
            Error::Token { code, status, .. } => {
                assert_eq!((code.as_str(), *status), ("unsupported_token_type", 400));
            }
            Error::UnexpectedResponse { status, .. } => assert_eq!(*status, 400),
            other => panic!("{content_type}: unexpected {other:?}"),
        }
        assert!(shown.contains(named), "{content_type}: {shown}");
        assert!(
            unquoted.is_empty() || !shown.contains(unquoted),
            "{content_type}: {shown}"
        );
    }
}

#[tokio::test]
async fn client_secret_basic_is_also_used_at_the_revocation_endpoint() {
    let mock = Mock::start(|_| reply(200, "text/plain", "")).await;
    let mut metadata = mock.metadata();
    metadata.token_endpoint_auth_methods_supported = vec!["client_secret_basic".into()];
    let client = OAuthClient::new(
        config().with_client_secret(ClientSecret::new("s3cret")),
        metadata,
    )
    .unwrap();

    client
        .revoke_refresh_token(&photolink_oauth::RefreshToken::new("rt"))
        .await
        .unwrap();

    let request = &mock.requests_to("/revoke")[0];
    assert!(
        request
            .header("authorization")
            .is_some_and(|h| h.starts_with("Basic ")),
        "{request:?}"
    );
    assert_eq!(request.param("client_secret"), None);
    assert_eq!(request.param("client_id"), None);
}
