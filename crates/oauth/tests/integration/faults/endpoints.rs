//! The JWK Set, the pushed authorization request endpoint and userinfo failing. A sign-in
//! that needs them fails with nothing stored, a connection that has them keeps its tokens,
//! and each works again once the fault is gone.

use std::time::Duration;

use photolink_demo_provider::{Config, Fault};
use photolink_oauth::{
    AuthorizationErrorCode, Error, PendingAuthorization, Persistence, SessionStatus,
};

use super::{
    SignedOut, assert_connection_kept, assert_shows_no_token, fault_config, served, signed_out,
};
use crate::support::assert_unexpected_status;
use crate::support::consent::{Decision, decide};
use crate::support::provider::{connected_with, sign_in};

#[tokio::test]
async fn a_failing_key_set_refuses_the_openid_sign_in_and_stores_nothing() {
    let config = fault_config().with_scopes(["openid", "profile", "photos:read"]);
    let SignedOut {
        provider,
        client,
        store,
        session,
    } = signed_out(Config::default(), config).await;
    provider
        .set_faults([Fault::JwksServerError { status: 502 }.until_cleared()])
        .unwrap();

    let error = sign_in(&client, &session).await.unwrap_err();

    assert_unexpected_status(&error, 502);
    assert!(error.is_transient());
    assert_shows_no_token(&error, &[]);
    assert_eq!(session.status(), SessionStatus::SignedOut);
    assert!(store.held().is_none(), "nothing is stored");
    assert_eq!(served(&provider, "jwks_server_error"), 1);

    provider.clear_faults();
    let persistence = sign_in(&client, &session)
        .await
        .expect("a new sign-in connects once the key set is back");
    assert_eq!(persistence, Persistence::Saved);
    assert_eq!(session.id_token_claims().unwrap().sub, "demo-user-alex");
    assert!(store.held().is_some());
}

#[tokio::test]
async fn a_failing_pushed_authorization_endpoint_starts_no_sign_in_and_a_new_start_works() {
    let SignedOut {
        provider,
        client,
        store,
        session,
    } = signed_out(
        Config {
            require_par: true,
            ..Config::default()
        },
        fault_config(),
    )
    .await;
    provider
        .set_faults([Fault::ParServerError {
            status: 503,
            retry_after: Some(3),
        }
        .times(1)])
        .unwrap();

    let pending = PendingAuthorization::new();
    let error = pending.start(&client).await.unwrap_err();

    assert!(
        matches!(
            error,
            Error::PushedAuthorization {
                code: AuthorizationErrorCode::TemporarilyUnavailable,
                status: 503,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
    assert!(error.is_transient());
    assert_shows_no_token(&error, &[]);
    assert!(!pending.is_in_progress(), "no sign-in waits");
    assert!(pending.saved().is_none(), "nothing to keep in the keyring");
    assert!(store.held().is_none());
    assert_eq!(served(&provider, "par_server_error"), 1);
    assert_eq!(provider.stats().consent_pages, 0);

    let url = pending.start(&client).await.expect("a new start pushes");
    let callback = decide(&url, Decision::Approve).await;
    let persistence = session
        .connect(pending.complete(&callback).unwrap())
        .await
        .expect("the new sign-in connects");
    assert_eq!(persistence, Persistence::Saved);
    assert!(store.held().is_some());
    assert_eq!(provider.stats().pushed_authorization_requests, 2);
}

#[tokio::test]
async fn a_failing_userinfo_endpoint_is_retried_then_an_error_and_the_connection_is_kept() {
    let connected = connected_with(Config::default(), fault_config()).await;
    let good = connected.saved();
    connected
        .provider
        .set_faults([Fault::UserinfoServerError {
            status: 500,
            retry_after: None,
        }
        .until_cleared()])
        .unwrap();

    let error = connected.session.userinfo().await.unwrap_err();

    assert_unexpected_status(&error, 500);
    assert!(error.is_transient());
    assert_connection_kept(&error, &connected, &connected.session, &good);
    assert_eq!(
        served(&connected.provider, "userinfo_server_error"),
        3,
        "the request and two retries"
    );
    assert_eq!(connected.provider.stats().refresh_grants, 0);

    connected.provider.clear_faults();
    let account = connected
        .session
        .userinfo()
        .await
        .expect("userinfo works once the fault is gone");
    assert_eq!(account.sub, "demo-user-alex");
}
