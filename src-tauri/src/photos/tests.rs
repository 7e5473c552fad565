//! Each photo source against a fixture of its service's documented API on loopback
//! (`photolink-photo-fixtures`): paging to the end, the Bearer token only on the API's origin,
//! pre-authenticated URLs fetched without it, throttling with `Retry-After`, a 401 refreshed
//! once, and error bodies shown nowhere. None of this was run against the live services.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use photolink_oauth::{
    ClientConfig, Error as OAuthError, MemoryTokenStore, OAuthClient, RetryPolicy, ServerMetadata,
    Session, TokenSet,
};
use photolink_photo_fixtures::microsoft_graph::Library;
use photolink_photo_fixtures::pictures::{self, STORED, Size};
use photolink_photo_fixtures::{Fixture, SERVER_MESSAGE, Seen, Service};
use tauri::http::{Request, StatusCode};
use url::Url;

use super::cache::PhotoCache;
use super::google_drive::GoogleDrive;
use super::index::Rendition;
use super::library::{PhotoLibrary, PhotoPage};
use super::scheme;
use crate::error::AppError;
use crate::photos::settings::PhotoApi;

/// A library over `api` at the fixture, for a session holding the fixture's current tokens.
fn library(fixture: &Fixture, api: PhotoApi) -> PhotoLibrary {
    library_and_session(fixture, api).0
}

/// [`library`], and its session.
pub(super) fn library_and_session(
    fixture: &Fixture,
    api: PhotoApi,
) -> (PhotoLibrary, Arc<Session>) {
    let issuer = fixture.issuer();
    let metadata = ServerMetadata::new(
        &issuer,
        format!("{issuer}/authorize"),
        format!("{issuer}/token"),
    );
    let mut config = ClientConfig::new("photolink-test", "com.example.photolink:/oauth/callback");
    // Backoffs short enough for a test; Retry-After still sets the wait when it is longer.
    config.http.resource_retry = RetryPolicy {
        first_backoff: Duration::from_millis(10),
        ..RetryPolicy::default()
    };
    let client = OAuthClient::new(config, metadata).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let tokens: TokenSet = serde_json::from_value(serde_json::json!({
        "access_token": fixture.access_token(),
        "token_type": "Bearer",
        "refresh_token": fixture.refresh_token(),
        "received_at": now,
        "expires_at": now + 3600,
    }))
    .unwrap();
    let store = Arc::new(MemoryTokenStore::with_tokens(tokens));
    let session = Arc::new(Session::new(client, store).unwrap());
    let library = PhotoLibrary::for_api(
        session.clone(),
        api,
        Url::parse(&fixture.api_root()).unwrap(),
    );
    (library, session)
}

/// Every page, following the next page tokens to the end.
async fn list_all(library: &PhotoLibrary) -> Vec<PhotoPage> {
    list_rest(library, vec![library.list(None).await.unwrap()]).await
}

/// `pages`, and every page after the last of them to the end.
async fn list_rest(library: &PhotoLibrary, mut pages: Vec<PhotoPage>) -> Vec<PhotoPage> {
    while let Some(token) = pages.last().unwrap().next_page_token.clone() {
        pages.push(library.list(Some(&token)).await.unwrap());
        assert!(pages.len() < 2_000, "the pages never end");
    }
    pages
}

/// The path of each first page of a folder the fixture was asked for (not its next pages).
fn folders_listed(seen: &[Seen]) -> Vec<&str> {
    seen.iter()
        .filter(|seen| !seen.content_server && !seen.target.contains("skiptoken"))
        .map(|seen| seen.target.split('?').next().unwrap())
        .collect()
}

/// The requests that carried a token, and those that did not, by server.
fn tokens_sent(seen: &[Seen]) -> (Vec<&Seen>, Vec<&Seen>) {
    seen.iter().partition(|seen| !seen.content_server)
}

fn assert_quotes_nothing(error: &AppError) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("Fixture says"), "{shown}");
    assert!(!shown.contains(SERVER_MESSAGE), "{shown}");
}

#[tokio::test]
async fn graph_pages_through_the_camera_roll_then_its_folder_then_the_photos_folder() {
    let fixture = Fixture::start(Service::MicrosoftGraph, 250).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    let pages = list_all(&library).await;
    let photo_counts: Vec<_> = pages.iter().map(|page| page.photos.len()).collect();
    assert_eq!(
        photo_counts,
        [99, 100, 51, 0],
        "100 items a page: a folder and 250 photos, then the empty folder followed by the Photos folder"
    );
    let photos: Vec<_> = pages.iter().flat_map(|page| &page.photos).collect();
    assert_eq!(photos.len(), 250);
    assert_eq!(photos[0].title, "Photo 1.jpg");
    assert_eq!(photos[249].title, "Photo 250.jpg");
    assert_eq!(
        (photos[0].width, photos[0].height),
        (Some(STORED.0), Some(STORED.1))
    );
    assert_eq!(photos[0].taken_at.as_deref(), Some("2024-01-02T10:00:00Z"));
    assert_eq!(photos[0].bytes, Some(2_000_001));
    assert!(
        pages.iter().all(|page| !page.newest_first),
        "a folder walk claims no order"
    );
    assert!(
        photos.iter().all(|photo| photo.id.len() == 22),
        "the service's ids reached the window"
    );

    let seen = fixture.seen();
    assert_eq!(seen.len(), 5);
    assert!(seen[0].target.contains("%24expand=thumbnails"), "{seen:?}");
    assert!(seen[1].target.contains("skiptoken=100"), "{seen:?}");
    assert_eq!(
        folders_listed(&seen),
        [
            "/v1.0/me/drive/special/cameraroll/children",
            "/v1.0/me/drive/items/folder-1/children",
            "/v1.0/me/drive/special/photos/children",
        ],
        "the Camera Roll, which the Photos folder holds, is listed once"
    );
    let bearer = format!("Bearer {}", fixture.access_token());
    assert!(
        seen.iter()
            .all(|seen| seen.authorization.as_deref() == Some(bearer.as_str()))
    );
}

#[tokio::test]
async fn graph_walks_a_nested_library_of_10000_photos_in_500_folders_completely_once() {
    let fixture = Fixture::start_graph(Library::nested(10_000, 500)).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    let pages = list_all(&library).await;
    let titles: Vec<_> = pages
        .iter()
        .flat_map(|page| &page.photos)
        .map(|photo| photo.title.as_str())
        .collect();
    assert_eq!(titles.len(), 10_000);
    let distinct: HashSet<_> = titles.iter().collect();
    assert_eq!(distinct.len(), 10_000, "a photo was listed twice");
    assert_eq!(library.indexed(), 10_000);

    let seen = fixture.seen();
    let folders = folders_listed(&seen);
    assert_eq!(
        folders.len(),
        501,
        "the two special folders and 499 below the Camera Roll"
    );
    let distinct: HashSet<_> = folders.iter().collect();
    assert_eq!(distinct.len(), 501, "a folder was listed twice");
    assert!(!folders.contains(&"/v1.0/me/drive/items/folder-0/children"));
    let bearer = format!("Bearer {}", fixture.access_token());
    assert!(
        seen.iter()
            .all(|seen| seen.authorization.as_deref() == Some(bearer.as_str()))
    );
}

#[tokio::test]
async fn graph_lists_a_camera_roll_outside_the_photos_folder() {
    let fixture = Fixture::start_graph(Library::nested(300, 30).camera_roll_elsewhere()).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    let photos = list_all(&library)
        .await
        .into_iter()
        .flat_map(|page| page.photos);
    let titles: HashSet<_> = photos.map(|photo| photo.title).collect();
    assert_eq!(titles.len(), 300);
    assert!(
        titles.contains("Photo 1.jpg"),
        "in a folder below the Camera Roll"
    );
    assert!(
        titles.contains("Photo 30.jpg"),
        "the Photos folder's own photo"
    );
}

#[tokio::test]
async fn graph_a_missing_camera_roll_is_skipped_and_the_walk_goes_on() {
    let fixture = Fixture::start(Service::MicrosoftGraph, 3).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    fixture.refuse_next(404);
    let first = library.list(None).await.unwrap();
    assert_eq!(
        first.photos.len(),
        3,
        "the missing Camera Roll, then the Photos folder, then the Camera Roll folder in it"
    );
    assert_eq!(
        folders_listed(&fixture.seen()),
        [
            "/v1.0/me/drive/special/cameraroll/children",
            "/v1.0/me/drive/special/photos/children",
            "/v1.0/me/drive/items/folder-0/children",
        ]
    );
    let last = library
        .list(first.next_page_token.as_deref())
        .await
        .unwrap();
    assert!(
        last.photos.is_empty(),
        "the empty folder in the Camera Roll"
    );
    assert_eq!(last.next_page_token, None);
}

#[tokio::test]
async fn graph_a_folder_deleted_during_the_walk_is_skipped_and_the_walk_goes_on() {
    // 120 photos over the Photos folder and 12 folders, photo n in slot n mod 13.
    let fixture = Fixture::start_graph(Library::nested(120, 12)).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    let first = library.list(None).await.unwrap();
    fixture.refuse_next(404);
    let pages = list_rest(&library, vec![first]).await;
    let seen = fixture.seen();
    assert_eq!(
        seen[1].target.split('?').next(),
        Some("/v1.0/me/drive/items/folder-11/children"),
        "the folder that went away"
    );
    let titles: HashSet<_> = pages
        .iter()
        .flat_map(|page| &page.photos)
        .map(|photo| photo.title.as_str())
        .collect();
    let expected: HashSet<_> = (1..=120)
        .filter(|n| n % 13 != 11)
        .map(|n| format!("Photo {n}.jpg"))
        .collect();
    assert_eq!(titles, expected.iter().map(String::as_str).collect());
}

#[tokio::test]
async fn pages_without_photos_are_followed_before_the_window_is_answered() {
    // Photo n is in folder n: the Camera Roll (folder 0) holds only folders, "01" to "12",
    // visited greatest name first; folders 12 and 11 are empty.
    let fixture = Fixture::start_graph(Library::nested(10, 30)).await;
    let nested = library(&fixture, PhotoApi::MicrosoftGraph);
    let first = nested.list(None).await.unwrap();
    let titles: Vec<_> = first
        .photos
        .iter()
        .map(|photo| photo.title.as_str())
        .collect();
    assert_eq!(titles, ["Photo 10.jpg"]);
    assert_eq!(
        folders_listed(&fixture.seen()),
        [
            "/v1.0/me/drive/special/cameraroll/children",
            "/v1.0/me/drive/items/folder-12/children",
            "/v1.0/me/drive/items/folder-11/children",
            "/v1.0/me/drive/items/folder-10/children",
        ]
    );

    let empty = Fixture::start_graph(Library::nested(0, 100)).await;
    let first = library(&empty, PhotoApi::MicrosoftGraph)
        .list(None)
        .await
        .unwrap();
    assert!(first.photos.is_empty());
    assert!(first.next_page_token.is_some(), "the walk is not over");
    assert_eq!(empty.seen().len(), 17, "the first page and 16 followed");
}

#[tokio::test]
async fn graph_throttling_inside_the_walk_is_waited_out_as_retry_after_asks() {
    let fixture = Fixture::start_graph(Library::nested(120, 12)).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    let first = library.list(None).await.unwrap();
    let before = fixture.seen().len();
    fixture.throttle(1, 1);
    let started = std::time::Instant::now();
    let second = library
        .list(first.next_page_token.as_deref())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    let seen = fixture.seen();
    assert_eq!(seen.len(), before + 2);
    assert_eq!(
        seen[before].target,
        seen[before + 1].target,
        "the same page again"
    );
    assert!(
        seen[before].target.contains("/me/drive/items/"),
        "a folder below the Camera Roll: {}",
        seen[before].target
    );
    let pages = list_rest(&library, vec![first, second]).await;
    let photos: HashSet<_> = pages
        .iter()
        .flat_map(|page| &page.photos)
        .map(|photo| &photo.title)
        .collect();
    assert_eq!(photos.len(), 120);
}

#[tokio::test]
async fn a_walk_token_leading_off_the_graph_root_is_refused_without_a_request() {
    let fixture = Fixture::start(Service::MicrosoftGraph, 2).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    let first = library.list(None).await.unwrap();
    let issued = first.next_page_token.expect("the walk goes on");
    let seen = fixture.seen().len();
    let elsewhere = serde_json::json!({
        "special": "photos",
        "path": [],
        "next": format!("{}/v1.0/me/drive/special/photos/children", fixture.content_origin()),
        "pending": [],
        "camera_roll": null,
    })
    .to_string();
    let mut changed: serde_json::Value = serde_json::from_str(&issued).unwrap();
    changed["path"] = serde_json::json!(["folder-99"]);
    for forged in [elsewhere, changed.to_string()] {
        let error = library.list(Some(&forged)).await.unwrap_err();
        assert!(
            matches!(error, AppError::UnknownPageToken),
            "{forged}: {error:?}"
        );
    }
    assert_eq!(
        fixture.seen().len(),
        seen,
        "a forged page token was fetched"
    );
}

#[tokio::test]
async fn graph_downloads_and_thumbnails_are_fetched_without_the_token() {
    let fixture = Fixture::start(Service::MicrosoftGraph, 3).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    let page = library.list(None).await.unwrap();
    let photo = &page.photos[1];
    let thumbnail = library
        .fetch(&photo.id, Rendition::Thumbnail)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(thumbnail.body, pictures::png("p2", Size::Within(176, 176)));
    assert_eq!(thumbnail.content_type.as_deref(), Some("image/png"));
    let image = library
        .fetch(&photo.id, Rendition::Image)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(image.body, pictures::png("p2", Size::Stored));

    let seen = fixture.seen();
    let (api, content) = tokens_sent(&seen);
    assert_eq!(api.len(), 1);
    assert_eq!(content.len(), 2);
    assert!(content[1].target.starts_with("/download/p2?tempauth="));
    assert!(
        content.iter().all(|seen| seen.authorization.is_none()),
        "{content:?}"
    );
}

#[tokio::test]
async fn graph_throttling_is_waited_out_as_retry_after_asks() {
    let fixture = Fixture::start(Service::MicrosoftGraph, 2).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    fixture.throttle(1, 1);
    let started = std::time::Instant::now();
    let page = library.list(None).await.unwrap();
    assert_eq!(page.photos.len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert_eq!(fixture.seen().len(), 2);
}

#[tokio::test]
async fn graph_throttling_longer_than_the_retry_policy_waits_is_an_error_with_the_hint() {
    let fixture = Fixture::start(Service::MicrosoftGraph, 2).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    fixture.throttle(1, 120);
    let error = library.list(None).await.unwrap_err();
    assert!(
        matches!(
            &error,
            AppError::OAuth(OAuthError::UnexpectedResponse { status: 429, retry_after: Some(wait), .. })
                if *wait == Duration::from_secs(120)
        ),
        "{error:?}"
    );
    assert_quotes_nothing(&error);
    assert_eq!(fixture.seen().len(), 1, "asked again before Retry-After");
}

#[tokio::test]
async fn graph_401_refreshes_once_and_the_request_succeeds() {
    let fixture = Fixture::start(Service::MicrosoftGraph, 2).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    fixture.expire_access_token();
    let page = library.list(None).await.unwrap();
    assert_eq!(page.photos.len(), 2);
    assert_eq!(fixture.refreshes(), 1);
    let seen = fixture.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[1].authorization.as_deref(),
        Some(format!("Bearer {}", fixture.access_token()).as_str())
    );
}

#[tokio::test]
async fn graph_error_bodies_name_the_status_and_quote_nothing() {
    let fixture = Fixture::start(Service::MicrosoftGraph, 2).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    // A missing Camera Roll is skipped; a missing Photos folder after it is an error.
    for (status, times) in [(403, 1), (404, 2)] {
        for _ in 0..times {
            fixture.refuse_next(status);
        }
        let error = library.list(None).await.unwrap_err();
        assert!(
            matches!(&error, AppError::OAuth(OAuthError::UnexpectedResponse { status: s, .. }) if *s == status),
            "{error:?}"
        );
        assert_quotes_nothing(&error);
    }
    assert_eq!(fixture.refreshes(), 0);
}

#[tokio::test]
async fn a_next_page_outside_the_graph_root_is_refused_without_a_request() {
    let fixture = Fixture::start(Service::MicrosoftGraph, 2).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    let elsewhere = format!(
        "{}/v1.0/me/drive/special/photos/children",
        fixture.content_origin()
    );
    let error = library.list(Some(&elsewhere)).await.unwrap_err();
    assert!(matches!(error, AppError::UnknownPageToken), "{error:?}");
    assert!(fixture.seen().is_empty());
}

#[tokio::test]
async fn a_forged_page_token_under_the_graph_root_is_refused_without_a_request() {
    let fixture = Fixture::start(Service::MicrosoftGraph, 250).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    let first = library.list(None).await.unwrap();
    let issued = first.next_page_token.clone().expect("a second page");
    let seen = fixture.seen().len();
    for forged in [
        format!("{}/v1.0/me/drive/root/children", fixture.issuer()),
        format!("{}/v1.0/me/messages", fixture.issuer()),
        issued.replace("skiptoken=100", "skiptoken=0"),
        format!("{issued}&x=1"),
    ] {
        let error = library.list(Some(&forged)).await.unwrap_err();
        assert!(
            matches!(error, AppError::UnknownPageToken),
            "{forged}: {error:?}"
        );
        assert_eq!(error.to_string(), "a page token PhotoLink did not hand out");
    }
    assert_eq!(
        fixture.seen().len(),
        seen,
        "a forged page token was fetched"
    );
    let second = library.list(Some(&issued)).await.unwrap();
    assert_eq!(second.photos.len(), 100);

    library.forget();
    let error = library.list(Some(&issued)).await.unwrap_err();
    assert!(matches!(error, AppError::UnknownPageToken), "{error:?}");
    assert_eq!(fixture.seen().len(), seen + 1);
}

#[tokio::test]
async fn a_forged_drive_page_token_is_refused_without_a_request() {
    let fixture = Fixture::start(Service::GoogleDrive, 2).await;
    let library = library(&fixture, PhotoApi::GoogleDrive);
    let error = library.list(Some("fixture~0")).await.unwrap_err();
    assert!(matches!(error, AppError::UnknownPageToken), "{error:?}");
    assert!(fixture.seen().is_empty());
}

#[tokio::test]
async fn drive_pages_through_the_images_with_the_documented_query() {
    let fixture = Fixture::start(Service::GoogleDrive, 230).await;
    let library = library(&fixture, PhotoApi::GoogleDrive);
    let pages = list_all(&library).await;
    assert_eq!(pages.len(), 3);
    let photos: Vec<_> = pages.iter().flat_map(|page| &page.photos).collect();
    assert_eq!(photos.len(), 230);
    assert_eq!(photos[0].title, "Photo 1.png");
    assert_eq!(photos[0].taken_at.as_deref(), Some("2024-01-02T10:00:00"));
    assert_eq!(
        photos[0].bytes,
        Some(2_000_001),
        "Drive's size, a decimal string"
    );
    assert!(
        pages.iter().all(|page| page.newest_first),
        "orderBy=createdTime desc"
    );
    assert_eq!(
        (photos[0].width, photos[0].height),
        (Some(STORED.0), Some(STORED.1))
    );
    let seen = fixture.seen();
    assert!(
        seen[2].target.contains("pageToken=fixture%7E200"),
        "{seen:?}"
    );
    assert!(seen.iter().all(|seen| seen.authorization.is_some()));
}

#[tokio::test]
async fn drive_images_come_with_the_token_and_thumbnail_links_without() {
    let fixture = Fixture::start(Service::GoogleDrive, 2).await;
    let library = library(&fixture, PhotoApi::GoogleDrive);
    let page = library.list(None).await.unwrap();
    let shared = &page.photos[0];
    let thumbnail = library
        .fetch(&shared.id, Rendition::Thumbnail)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(thumbnail.body, pictures::png("p1", Size::Within(220, 220)));
    let image = library
        .fetch(&shared.id, Rendition::Image)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(image.body, pictures::png("p1", Size::Stored));

    let seen = fixture.seen();
    let (api, content) = tokens_sent(&seen);
    assert_eq!(content.len(), 1);
    assert_eq!(content[0].authorization, None);
    assert_eq!(api.len(), 2);
    assert_eq!(api[1].target, "/drive/v3/files/p1?alt=media");
    assert!(api.iter().all(|seen| seen.authorization.is_some()));
}

#[tokio::test]
async fn drive_a_thumbnail_link_refused_without_credentials_shows_the_image_instead() {
    let fixture = Fixture::start(Service::GoogleDrive, 2).await;
    let library = library(&fixture, PhotoApi::GoogleDrive);
    let page = library.list(None).await.unwrap();
    let not_shared = &page.photos[1];
    let thumbnail = library
        .fetch(&not_shared.id, Rendition::Thumbnail)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(thumbnail.body, pictures::png("p2", Size::Stored));
    let seen = fixture.seen();
    let refused = seen.iter().find(|seen| seen.content_server).unwrap();
    assert_eq!(
        refused.authorization, None,
        "the token left the API's origin"
    );
    assert_eq!(seen.last().unwrap().target, "/drive/v3/files/p2?alt=media");
}

#[tokio::test]
async fn drive_a_private_thumbnail_comes_from_the_thumbnail_host_with_the_token() {
    let fixture = Fixture::start(Service::GoogleDrive, 2).await;
    let (_, session) = library_and_session(&fixture, PhotoApi::GoogleDrive);
    let root = Url::parse(&fixture.api_root()).unwrap();
    // The fixture's content server stands in for Drive's thumbnail host.
    let thumbnails = Url::parse(&fixture.content_origin()).unwrap().origin();
    let drive = GoogleDrive::with_fixture_thumbnails_at(root.clone(), thumbnails);
    let library = PhotoLibrary::new(session, &root, Box::new(drive));
    let page = library.list(None).await.unwrap();
    let not_shared = &page.photos[1];
    fixture.expire_access_token();

    let thumbnail = library
        .fetch(&not_shared.id, Rendition::Thumbnail)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(thumbnail.body, pictures::png("p2", Size::Within(220, 220)));
    assert_eq!(fixture.refreshes(), 1, "the thumbnail host's 401 refreshed");
    let seen = fixture.seen();
    let content: Vec<_> = seen.iter().filter(|seen| seen.content_server).collect();
    assert_eq!(content.len(), 2, "{seen:?}");
    assert!(
        content
            .iter()
            .all(|seen| seen.target == "/thumbnail/p2=s220")
    );
    assert_eq!(
        content[1].authorization,
        Some(format!("Bearer {}", fixture.access_token()))
    );
    assert!(
        !seen.iter().any(|seen| seen.target.contains("alt=media")),
        "the full image was not fetched instead"
    );
}

#[tokio::test]
async fn drive_401_refreshes_once_and_a_second_401_is_an_error() {
    let fixture = Fixture::start(Service::GoogleDrive, 2).await;
    let library = library(&fixture, PhotoApi::GoogleDrive);
    fixture.expire_access_token();
    assert_eq!(library.list(None).await.unwrap().photos.len(), 2);
    assert_eq!(fixture.refreshes(), 1);

    fixture.refuse_next(401);
    fixture.refuse_next(401);
    let error = library.list(None).await.unwrap_err();
    assert!(
        matches!(
            &error,
            AppError::OAuth(OAuthError::UnexpectedResponse { status: 401, .. })
        ),
        "{error:?}"
    );
    assert_eq!(fixture.refreshes(), 2, "one refresh for the second 401");
    assert_quotes_nothing(&error);
}

#[tokio::test]
async fn drive_429_is_retried_but_a_403_rate_limit_is_not() {
    let fixture = Fixture::start(Service::GoogleDrive, 2).await;
    let library = library(&fixture, PhotoApi::GoogleDrive);
    fixture.throttle(2, 0);
    assert_eq!(library.list(None).await.unwrap().photos.len(), 2);
    assert_eq!(fixture.seen().len(), 3);

    fixture.refuse_next(403);
    let error = library.list(None).await.unwrap_err();
    assert!(
        matches!(
            &error,
            AppError::OAuth(OAuthError::UnexpectedResponse { status: 403, .. })
        ),
        "{error:?}"
    );
    assert_quotes_nothing(&error);
    assert_eq!(fixture.seen().len(), 4);
}

#[tokio::test]
async fn the_photo_scheme_serves_a_pre_authenticated_thumbnail_within_its_cap() {
    let fixture = Fixture::start(Service::MicrosoftGraph, 1).await;
    let library = library(&fixture, PhotoApi::MicrosoftGraph);
    let page = library.list(None).await.unwrap();
    let request = |url: &str| {
        let path = url.split("localhost").nth(1).unwrap().to_owned();
        Request::builder()
            .uri(format!("photo://localhost{path}"))
            .body(Vec::new())
            .unwrap()
    };
    let thumbnail = request(&page.photos[0].thumbnail);
    // No cache, so that each answer is fetched.
    let (response, failure) =
        scheme::answer(Some(&library), &PhotoCache::new(None), &thumbnail).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(failure.is_none());
    assert_eq!(
        *response.body(),
        pictures::png("p1", Size::Within(176, 176))
    );

    fixture.set_thumbnail_bytes(scheme::THUMBNAIL_MAX_BYTES + 1);
    let (response, _) = scheme::answer(Some(&library), &PhotoCache::new(None), &thumbnail).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
}
