//! The `google-photos-picker` source through the [`PhotoLibrary`] against the Picker API
//! fixture on loopback (`photolink-photo-fixtures`): the items picked on the fixture's picker
//! page, read whole in pages; their renditions from the base URLs with the token, which goes
//! nowhere else; and base URLs that expired.

use photolink_photo_fixtures::pictures::{self, STORED, Size};
use photolink_photo_fixtures::{Fixture, Service};
use url::Url;

use super::GooglePhotosPicker;
use crate::error::AppError;
use crate::photos::index::Rendition;
use crate::photos::library::PhotoLibrary;
use crate::photos::settings::PhotoApi;
use crate::photos::tests::library_and_session;

/// A Picker fixture of `photos` photos, a library over it whose base URLs are on the
/// fixture's content server (standing in for Google's base URL host), and the API root.
pub(crate) async fn started(photos: usize) -> (Fixture, PhotoLibrary, Url) {
    let fixture = Fixture::start(Service::GooglePhotosPicker, photos).await;
    let (_, session) = library_and_session(&fixture, PhotoApi::GooglePhotosPicker);
    let root = Url::parse(&fixture.api_root()).unwrap();
    let base_urls = Url::parse(&fixture.content_origin()).unwrap().origin();
    let picker = GooglePhotosPicker::with_fixture_base_urls_at(root.clone(), base_urls);
    let library = PhotoLibrary::new(session, &root, Box::new(picker));
    (fixture, library, root)
}

/// Whether no request to the fixture's picker page (the browser's) carried credentials.
pub(crate) fn picker_page_never_sent_a_token(fixture: &Fixture) -> bool {
    fixture
        .seen()
        .iter()
        .filter(|seen| seen.target.starts_with("/picker/"))
        .all(|seen| seen.authorization.is_none())
}

/// A new session, created as the app does.
async fn created(fixture: &Fixture) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{}/sessions", fixture.api_root()))
        .bearer_auth(fixture.access_token())
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A session in which `items` were picked on the fixture's picker page, as a browser does.
async fn picked(fixture: &Fixture, items: &[String]) -> String {
    let session = created(fixture).await;
    let form: Vec<_> = items.iter().map(|item| ("item", item.as_str())).collect();
    let done = reqwest::Client::new()
        .post(session["pickerUri"].as_str().unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(done.status().is_success());
    session["id"].as_str().unwrap().to_owned()
}

fn ids(count: usize, step: usize) -> Vec<String> {
    (0..count).map(|n| format!("p{}", 1 + n * step)).collect()
}

#[tokio::test]
async fn the_picked_photos_are_read_whole_in_pages_of_100_in_the_order_picked() {
    let (fixture, library, _) = started(500).await;
    let chosen: Vec<_> = ids(230, 2).into_iter().rev().collect();
    let session = picked(&fixture, &chosen).await;

    let pages = library
        .fetch_whole(&GooglePhotosPicker::first_page(&session))
        .await
        .unwrap();

    let counts: Vec<_> = pages.iter().map(|page| page.photos.len()).collect();
    assert_eq!(counts, [100, 100, 30]);
    let listed: Vec<_> = pages
        .iter()
        .flat_map(|page| &page.photos)
        .map(|photo| photo.id.clone())
        .collect();
    assert_eq!(listed, chosen);
    let first = &pages[0].photos[0];
    assert_eq!(first.title.as_deref(), Some("Photo 459.png"));
    assert_eq!(
        (first.width, first.height),
        (Some(STORED.0), Some(STORED.1))
    );
    let lists: Vec<_> = fixture
        .seen()
        .into_iter()
        .filter(|seen| seen.target.starts_with("/v1/mediaItems"))
        .collect();
    assert_eq!(lists.len(), 3);
    assert!(
        lists[0]
            .target
            .contains(&format!("sessionId={session}&pageSize=100"))
    );
    assert!(
        lists[2].target.contains("pageToken=picked%7E200"),
        "{lists:?}"
    );
}

#[tokio::test]
async fn renditions_come_from_the_base_urls_with_the_token_until_they_expire() {
    let (fixture, library, _) = started(5).await;
    let session = picked(&fixture, &["p2".into(), "p4".into()]).await;
    let pages = library
        .fetch_whole(&GooglePhotosPicker::first_page(&session))
        .await
        .unwrap();
    let page = library
        .show_page(pages.into_iter().next().unwrap(), false, library.listing())
        .unwrap();
    let id = &page.photos[1].id;

    let thumbnail = library
        .fetch(id, Rendition::Thumbnail)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(thumbnail.body, pictures::png("p4", Size::Within(512, 512)));
    let image = library.fetch(id, Rendition::Image).await.unwrap().unwrap();
    assert_eq!(image.body, pictures::png("p4", Size::Stored));
    let seen = fixture.seen();
    let renditions: Vec<_> = seen
        .iter()
        .filter(|seen| seen.target.starts_with("/media/"))
        .collect();
    assert_eq!(renditions.len(), 2);
    assert!(
        renditions[0].target.ends_with("/p4=w512-h512"),
        "{renditions:?}"
    );
    assert!(renditions[1].target.ends_with("/p4=d"), "{renditions:?}");
    let bearer = format!("Bearer {}", fixture.access_token());
    assert!(
        renditions
            .iter()
            .all(|seen| seen.authorization.as_deref() == Some(bearer.as_str()))
    );
    assert!(
        picker_page_never_sent_a_token(&fixture),
        "the picker page is the browser's"
    );

    fixture.expire_base_urls();
    let expired = library.fetch(id, Rendition::Thumbnail).await.unwrap();
    let error = expired.unwrap_err();
    assert!(
        matches!(error, AppError::OAuth(ref error) if error.to_string().contains("403")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_list_asked_for_before_the_person_picked_or_after_the_session_ended_is_an_error() {
    let (fixture, library, _) = started(3).await;
    let session = created(&fixture).await;
    let first = GooglePhotosPicker::first_page(session["id"].as_str().unwrap());
    let early = library.fetch_whole(&first).await.unwrap_err();
    assert!(matches!(early, AppError::OAuth(_)), "{early:?}");
    assert!(!format!("{early} {early:?}").contains("Fixture says"));

    fixture.expire_picking_sessions();
    let ended = library.fetch_whole(&first).await.unwrap_err();
    assert!(matches!(ended, AppError::OAuth(_)), "{ended:?}");
}
