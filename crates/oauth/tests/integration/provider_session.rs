//! Token lifecycle against the demo provider: refresh, rotation, single-flight, revocation.

use photolink_demo_provider::{Config, token_hash};
use photolink_oauth::{Error, SessionStatus, TokenStore};

use crate::support::provider::{connected, expire_locally};

#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_refresh_token_rotated() {
    let connected = connected(Config::default()).await;
    let before = connected.saved();
    expire_locally(&connected);
    let session = connected.restarted_session();

    session
        .authorized_get(&connected.photos_url())
        .await
        .unwrap();

    let after = connected.saved();
    assert_ne!(after.access_token.secret(), before.access_token.secret());
    assert_ne!(
        after.refresh_token.as_ref().map(|t| t.secret()),
        before.refresh_token.as_ref().map(|t| t.secret()),
        "the provider rotates refresh tokens"
    );
    let stats = connected.provider.stats();
    assert_eq!(stats.refresh_grants, 1);
    assert_eq!(
        stats.refresh_tokens_presented,
        [token_hash(before.refresh_token.unwrap().secret())]
    );
}

#[tokio::test]
async fn a_token_the_server_expired_is_refreshed_after_the_401() {
    let connected = connected(Config::default()).await;
    connected.provider.expire_access_tokens().unwrap();

    let photos = connected.get_photos().await.unwrap();
    assert_eq!(photos.status, 200);
    let stats = connected.provider.stats();
    assert_eq!(stats.unauthorized_requests, 1);
    assert_eq!(stats.refresh_grants, 1);
    assert_eq!(
        stats.photo_list_requests, 2,
        "the rejected request and its retry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_callers_cause_exactly_one_refresh() {
    let connected = connected(Config::default()).await;
    expire_locally(&connected);
    let session = connected.restarted_session();

    let callers: Vec<_> = (0..100)
        .map(|_| {
            let session = session.clone();
            let url = connected.photos_url();
            tokio::spawn(async move { session.authorized_get(&url).await.map(|r| r.status) })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap(), 200);
    }

    let stats = connected.provider.stats();
    assert_eq!(stats.refresh_grants, 1);
    assert_eq!(stats.refresh_tokens_presented.len(), 1);
    assert_eq!(stats.refresh_reuse_detected, 0);
    assert_eq!(stats.photo_list_requests, 100);
}

#[tokio::test]
async fn an_old_refresh_token_is_never_sent_again() {
    let connected = connected(Config::default()).await;
    let mut issued = vec![connected.saved().refresh_token.unwrap()];
    for _ in 0..3 {
        connected.provider.expire_access_tokens().unwrap();
        connected.get_photos().await.unwrap();
        issued.push(connected.saved().refresh_token.unwrap());
    }

    let stats = connected.provider.stats();
    let expected: Vec<String> = issued[..3].iter().map(|t| token_hash(t.secret())).collect();
    assert_eq!(
        stats.refresh_tokens_presented, expected,
        "each refresh presented the newest token"
    );
    assert_eq!(stats.refresh_reuse_detected, 0);
    assert_eq!(stats.grants_revoked, 0);
}

#[tokio::test]
async fn a_revoked_grant_means_reconnect_needed() {
    let connected = connected(Config::default()).await;
    connected.revoke_grant().await;

    let error = connected.get_photos().await.unwrap_err();
    assert!(matches!(error, Error::ReconnectNeeded), "{error:?}");
    assert_eq!(connected.session.status(), SessionStatus::ReconnectNeeded);
    assert!(connected.store.load().unwrap().is_none());
}

#[tokio::test]
async fn disconnect_revokes_so_the_provider_answers_401() {
    let connected = connected(Config::default()).await;
    let tokens = connected.saved();
    connected.session.disconnect().await.unwrap();

    assert_eq!(connected.session.status(), SessionStatus::SignedOut);
    assert!(connected.store.load().unwrap().is_none());
    let stats = connected.provider.stats();
    assert_eq!(stats.revocation_requests, 2);

    let http = reqwest::Client::new();
    let photos = http
        .get(connected.photos_url())
        .bearer_auth(tokens.access_token.secret())
        .send()
        .await
        .unwrap();
    assert_eq!(photos.status(), 401);
    let challenge = photos.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("invalid_token"), "{challenge}");
    let refresh = connected.client.refresh(&tokens).await.unwrap_err();
    assert!(refresh.is_invalid_grant(), "{refresh:?}");
}

#[tokio::test]
async fn disconnect_with_the_server_gone_still_forgets_the_tokens() {
    let connected = connected(Config::default()).await;
    let crate::support::provider::Connected {
        provider,
        session,
        store,
        ..
    } = connected;
    provider.shutdown().await;

    let error = session.disconnect().await.unwrap_err();
    assert!(matches!(error, Error::RevocationFailed { .. }), "{error:?}");
    assert!(store.load().unwrap().is_none());
    assert_eq!(session.status(), SessionStatus::SignedOut);
}

#[tokio::test]
async fn a_download_is_read_piece_by_piece_after_the_same_refresh_as_a_get() {
    let connected = connected(Config::default()).await;
    let photos: serde_json::Value = connected.get_photos().await.unwrap().json().unwrap();
    let id = photos["photos"][0]["id"].as_str().unwrap();
    let image_url = format!("{}/{id}/image", connected.photos_url());
    let whole = connected.session.authorized_get(&image_url).await.unwrap();
    connected.provider.expire_access_tokens().unwrap();

    let mut download = connected
        .session
        .authorized_download(&image_url)
        .await
        .unwrap();

    assert_eq!(download.status, 200);
    assert_eq!(download.content_type.as_deref(), Some("image/png"));
    let mut pieces = Vec::new();
    while let Some(piece) = download.next_chunk().await.unwrap() {
        pieces.push(piece);
    }
    assert_eq!(pieces.concat(), whole.body);
    assert_eq!(
        download.content_length(),
        Some(whole.body.len() as u64),
        "the announced length"
    );
    assert_eq!(connected.provider.stats().refresh_grants, 1);

    let missing = connected
        .session
        .authorized_download(&format!("{}/no-such-photo/image", connected.photos_url()))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, Error::UnexpectedResponse { status: 404, .. }),
        "{missing:?}"
    );
    let refused = connected
        .session
        .download_without_credentials("http://photos.example/a.png")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::InsecureEndpoint { .. }),
        "{refused:?}"
    );
}
