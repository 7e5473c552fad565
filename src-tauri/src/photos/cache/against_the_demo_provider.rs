//! The cache in front of the real demo provider on loopback: what the provider is asked for
//! (its counters), and what the window gets once the provider is stopped.

use std::sync::Arc;

use photolink_demo_provider::{self as demo, Fault, ProviderHandle, consent_page};
use photolink_oauth::{ClientConfig, MemoryTokenStore, OAuthClient, PendingAuthorization};
use tauri::http::{Request, StatusCode};
use url::Url;

use super::*;
use crate::photos::photolink::PhotoLinkList;
use crate::photos::scheme;

/// PhotoLink's callback address.
const REDIRECT_URI: &str = "com.example.photolink:/oauth/callback";

/// A demo provider and a session connected to it through a real sign-in.
struct Connected {
    provider: ProviderHandle,
    session: Arc<Session>,
    library: PhotoLibrary,
}

async fn connected() -> Connected {
    connected_with(&["photos:read", "profile"]).await
}

/// Like [`connected`], asking for `scopes`.
async fn connected_with(scopes: &[&str]) -> Connected {
    connected_to(demo::Config::default(), scopes).await
}

/// Like [`connected_with`], to a demo provider started with `config`.
async fn connected_to(config: demo::Config, scopes: &[&str]) -> Connected {
    let provider = demo::start(config).await.expect("the demo provider starts");
    let config = ClientConfig::new(demo::CLIENT_ID, REDIRECT_URI).with_scopes(scopes.to_vec());
    let client = OAuthClient::discover(config, provider.issuer_url())
        .await
        .unwrap();
    let session = signed_in(&client, None).await;
    let endpoint = Url::parse(&format!("{}/photos", provider.issuer_url())).unwrap();
    let library = PhotoLibrary::new(
        session.clone(),
        &endpoint,
        Box::new(PhotoLinkList::new(endpoint.clone())),
    );
    Connected {
        provider,
        session,
        library,
    }
}

fn cache_root(test: &str) -> PathBuf {
    let base = std::env::temp_dir().join(format!(
        "photolink-cache-provider-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&base);
    base.join(FOLDER)
}

/// The window's request for the `photo:` URL `url`.
async fn load(
    library: &PhotoLibrary,
    cache: &PhotoCache,
    url: &str,
) -> (StatusCode, Vec<u8>, Option<AppError>) {
    let request = Request::builder()
        .method("GET")
        .uri(url.replacen("http://photo.localhost", "photo://localhost", 1))
        .body(Vec::new())
        .unwrap();
    let (response, failure) = scheme::answer(Some(library), cache, &request).await;
    (response.status(), response.into_body(), failure)
}

#[tokio::test]
async fn a_thumbnail_is_fetched_from_the_provider_once_then_served_from_memory_then_from_disk() {
    let connected = connected().await;
    let root = cache_root("once");
    let cache = PhotoCache::new(Some(root.clone()));
    let page = cache
        .list(&connected.library, &connected.session, None)
        .await
        .unwrap();
    assert!(!page.offline);
    let photo = &page.photos[0];
    let fetched = || connected.provider.stats().image_requests;

    let (status, first, _) = load(&connected.library, &cache, &photo.thumbnail).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched(), 1);
    let (status, again, _) = load(&connected.library, &cache, &photo.thumbnail).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, first);
    assert_eq!(fetched(), 1, "the thumbnail was fetched twice in a session");

    cache.memory.clear();
    let (status, from_disk, _) = load(&connected.library, &cache, &photo.thumbnail).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(from_disk, first);
    assert_eq!(fetched(), 1, "the saved thumbnail was fetched again");

    let next_run = PhotoCache::new(Some(root.clone()));
    let page = next_run
        .list(&connected.library, &connected.session, None)
        .await
        .unwrap();
    assert_eq!(page.photos[0].id, photo.id, "the same photo got a new id");
    let (status, next_run_bytes, _) = load(&connected.library, &next_run, &photo.thumbnail).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(next_run_bytes, first);
    assert_eq!(fetched(), 1, "the next run fetched a saved thumbnail");

    let (status, image, _) = load(&connected.library, &cache, &photo.image).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(image, first);
    load(&connected.library, &cache, &photo.image).await;
    assert_eq!(
        fetched(),
        2,
        "the full image was fetched twice in a session"
    );
    std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
}

/// The refresh storm through the app's own photo path (the `photo:` scheme, the cache, the
/// library, the session): many photo requests and list calls at once, all on an access token
/// the provider has just expired, refresh it once, and every one is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_of_photo_requests_on_an_expired_token_refreshes_it_once() {
    const PHOTOS: usize = 100;
    const LISTS: usize = 20;
    let config = demo::Config {
        photo_count: PHOTOS,
        ..demo::Config::default()
    };
    let connected = Arc::new(connected_to(config, &["photos:read", "profile"]).await);
    let cache = Arc::new(PhotoCache::new(None));
    let mut thumbnails = Vec::new();
    let mut page_token = None;
    loop {
        let page = cache
            .list(
                &connected.library,
                &connected.session,
                page_token.as_deref(),
            )
            .await
            .unwrap();
        thumbnails.extend(page.photos.iter().map(|photo| photo.thumbnail.clone()));
        page_token = page.next_page_token;
        if page_token.is_none() {
            break;
        }
    }
    assert_eq!(thumbnails.len(), PHOTOS);
    let before = connected.provider.stats();
    connected.provider.expire_access_tokens().unwrap();

    let mut storm = tokio::task::JoinSet::new();
    for thumbnail in thumbnails {
        let (connected, cache) = (connected.clone(), cache.clone());
        storm.spawn(async move {
            let (status, _, failure) = load(&connected.library, &cache, &thumbnail).await;
            (status == StatusCode::OK).then_some(()).ok_or(failure)
        });
    }
    for _ in 0..LISTS {
        let (connected, cache) = (connected.clone(), cache.clone());
        storm.spawn(async move {
            match cache
                .list(&connected.library, &connected.session, None)
                .await
            {
                Ok(page) if !page.offline => Ok(()),
                Ok(_) => Err(None),
                Err(error) => Err(Some(error)),
            }
        });
    }
    let answers = storm.join_all().await;

    let failed: Vec<_> = answers.iter().filter(|answer| answer.is_err()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} failed: {failed:?}",
        failed.len(),
        answers.len()
    );
    let after = connected.provider.stats();
    assert_eq!(
        after.token_requests - before.token_requests,
        1,
        "token requests"
    );
    assert_eq!(
        after.refresh_grants - before.refresh_grants,
        1,
        "refresh grants"
    );
    assert_eq!(
        after.refresh_reuse_detected, 0,
        "a rotated refresh token came back"
    );
}

#[tokio::test]
async fn with_the_provider_stopped_the_saved_page_is_listed_offline_with_its_saved_thumbnails() {
    let connected = connected().await;
    let root = cache_root("offline");
    let cache = PhotoCache::new(Some(root.clone()));
    let online = cache
        .list(&connected.library, &connected.session, None)
        .await
        .unwrap();
    let (saved, unsaved) = (&online.photos[0], &online.photos[1]);
    let (_, thumbnail, _) = load(&connected.library, &cache, &saved.thumbnail).await;

    let Connected {
        provider,
        session,
        library,
    } = connected;
    provider.shutdown().await;

    let offline = cache
        .list(&library, &session, None)
        .await
        .expect("the saved page");
    assert!(offline.offline);
    let ids = |page: &PhotoPage| page.photos.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&offline), ids(&online), "the saved photos got new ids");
    assert_eq!(offline.next_page_token, online.next_page_token);

    cache.memory.clear();
    let (status, from_disk, failure) = load(&library, &cache, &saved.thumbnail).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(from_disk, thumbnail);
    assert!(failure.is_none());

    let (status, _, failure) = load(&library, &cache, &unsaved.thumbnail).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "a thumbnail never saved");
    assert!(provider_unreachable(&failure.unwrap()));

    let never_listed = cache.list(&library, &session, Some("never-listed")).await;
    assert!(
        matches!(&never_listed, Err(AppError::UnknownPageToken)),
        "{never_listed:?}"
    );
    std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn an_error_answer_from_the_provider_is_not_hidden_behind_the_saved_page() {
    let connected = connected().await;
    let root = cache_root("error-answer");
    let cache = PhotoCache::new(Some(root.clone()));
    cache
        .list(&connected.library, &connected.session, None)
        .await
        .unwrap();
    connected
        .provider
        .set_faults([Fault::PhotosServerError {
            status: 500,
            retry_after: None,
        }
        .until_cleared()])
        .unwrap();

    let listed = cache
        .list(&connected.library, &connected.session, None)
        .await;
    assert!(
        matches!(
            &listed,
            Err(AppError::OAuth(OAuthError::UnexpectedResponse {
                status: 500,
                ..
            }))
        ),
        "{listed:?}"
    );
    std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn a_later_run_without_the_provider_lists_the_saved_page_of_the_recorded_account() {
    let connected = connected().await;
    let root = cache_root("later-run");
    let online = PhotoCache::new(Some(root.clone()))
        .list(&connected.library, &connected.session, None)
        .await
        .unwrap();
    let Connected {
        provider,
        session,
        library,
    } = connected;
    provider.shutdown().await;

    let later_run = PhotoCache::new(Some(root.clone()));
    let offline = later_run
        .list(&library, &session, None)
        .await
        .expect("the saved page of the recorded account");
    assert!(offline.offline);
    assert_eq!(offline.photos.len(), online.photos.len());

    later_run.forget_account();
    let forgotten = PhotoCache::new(Some(root.clone()))
        .list(&library, &session, None)
        .await;
    assert!(
        matches!(&forgotten, Err(error) if provider_unreachable(error)),
        "{forgotten:?}"
    );
    let _ = std::fs::remove_dir_all(root.parent().unwrap());
}

#[tokio::test]
async fn the_account_is_keyed_on_the_verified_id_tokens_subject_whatever_userinfo_says() {
    let connected = connected_with(&["photos:read", "profile", "openid"]).await;
    connected
        .provider
        .set_faults([Fault::UserinfoOtherSubject.until_cleared()])
        .unwrap();
    let key = AccountKey::of(&connected.session, None).await;
    let client = connected.session.client();
    let verified = AccountKey::new(
        &client.metadata().issuer,
        &client.config().client_id,
        Some("demo-user-alex"),
    );
    assert_eq!(key, Some(verified));
}

/// A session of `client` signed in through the demo provider's consent page, as the demo
/// account `name` (else the page's default).
async fn signed_in(client: &OAuthClient, name: Option<&str>) -> Arc<Session> {
    let session =
        Arc::new(Session::new(client.clone(), Arc::new(MemoryTokenStore::new())).unwrap());
    let pending = PendingAuthorization::new();
    let authorize_url = pending.begin(client).unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let callback = match name {
        Some(name) => consent_page::approve_as(&http, &authorize_url, name).await,
        None => consent_page::approve(&http, &authorize_url).await,
    }
    .unwrap_or_else(|error| panic!("the consent page is answered: {error}"));
    let _ = session
        .connect(pending.complete(&callback).unwrap())
        .await
        .unwrap();
    session
}

#[tokio::test]
async fn each_linked_accounts_session_opens_its_own_folder_and_the_others_stay() {
    let alex = connected().await;
    let sam = signed_in(alex.session.client(), Some("Sam Lee")).await;
    let root = cache_root("two-accounts");
    let cache = PhotoCache::new(Some(root.clone()));

    let alex_folder = cache
        .disk_for(&alex.session)
        .await
        .unwrap()
        .folder()
        .to_owned();
    let sam_folder = cache.disk_for(&sam).await.unwrap().folder().to_owned();
    let alex_again = cache.disk_for(&alex.session).await.unwrap();

    assert_ne!(alex_folder, sam_folder, "one folder per account");
    assert_eq!(alex_again.folder(), alex_folder);
    assert!(
        sam_folder.exists(),
        "Sam's folder is kept while Alex is shown"
    );
    let _ = std::fs::remove_dir_all(root.parent().unwrap());
}

#[tokio::test]
async fn an_account_that_goes_away_while_another_is_shown_loses_its_folder_only() {
    let alex = connected().await;
    let sam = signed_in(alex.session.client(), Some("Sam Lee")).await;
    let root = cache_root("not-shown-goes");
    let cache = PhotoCache::new(Some(root.clone()));
    let sam_folder = cache.disk_for(&sam).await.unwrap().folder().to_owned();
    let alex_disk = cache.disk_for(&alex.session).await.unwrap();

    // Sam's grant is found dead (a request made while Sam was shown, say).
    cache.forget_account_of(&sam);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while sam_folder.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!sam_folder.exists(), "Sam's folder stayed");
    assert!(alex_disk.folder().exists(), "Alex's folder went too");
    let record = std::fs::read_to_string(root.join(ACCOUNT_RECORD)).unwrap();
    assert_eq!(record.lines().count(), 1, "Sam's line stayed: {record}");
    assert_eq!(
        cache.disk_for(&alex.session).await.unwrap().folder(),
        alex_disk.folder(),
        "Alex's folder is still the open one"
    );
    let _ = std::fs::remove_dir_all(root.parent().unwrap());
}
