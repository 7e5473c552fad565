//! The library read through Graph's `delta` against the fixture of its documented API
//! (`photolink-photo-fixtures`), through the [`PhotoCache`] as the app lists it: a whole
//! library of 10,000 photos in 500 folders newest first, a later start that fetches only the
//! changes, deletions, the documented 410 resync, a work or school drive walked instead (newest
//! first too), and throttling waited out. None of this was run against the live service.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use photolink_photo_fixtures::microsoft_graph::Library;
use photolink_photo_fixtures::pictures::{self, Size};
use photolink_photo_fixtures::{Fixture, Seen};

use crate::photos::cache::{FOLDER, PhotoCache};
use crate::photos::index::Rendition;
use crate::photos::library::{PhotoLibrary, PhotoPage};
use crate::photos::settings::PhotoApi;
use crate::photos::tests::library_and_session;

/// An empty cache folder of its own for `test`.
fn cache_root(test: &str) -> PathBuf {
    let base = std::env::temp_dir().join(format!("photolink-delta-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    base.join(FOLDER)
}

/// One start of the app: a library over the fixture's Graph and the cache in `root`, listed
/// to the end as the window pages through it.
async fn start(fixture: &Fixture, root: &Path) -> (PhotoLibrary, Vec<PhotoPage>) {
    let (library, session) = library_and_session(fixture, PhotoApi::MicrosoftGraph);
    let cache = PhotoCache::new(Some(root.to_path_buf()));
    let mut pages = vec![cache.list(&library, &session, None).await.unwrap()];
    while let Some(token) = pages.last().unwrap().next_page_token.clone() {
        pages.push(cache.list(&library, &session, Some(&token)).await.unwrap());
        assert!(pages.len() < 1_000, "the pages never end");
    }
    (library, pages)
}

fn titles(pages: &[PhotoPage]) -> Vec<&str> {
    pages
        .iter()
        .flat_map(|page| &page.photos)
        .map(|photo| photo.title.as_str())
        .collect()
}

/// The paths the API was asked for, without their queries.
fn paths(seen: &[Seen]) -> Vec<&str> {
    seen.iter()
        .filter(|seen| !seen.content_server)
        .map(|seen| seen.target.split('?').next().unwrap())
        .collect()
}

fn assert_newest_first(pages: &[PhotoPage]) {
    assert!(pages.iter().all(|page| page.newest_first));
    let dates: Vec<_> = pages
        .iter()
        .flat_map(|page| &page.photos)
        .map(|photo| photo.taken_at.clone().unwrap_or_default())
        .collect();
    assert!(
        dates.windows(2).all(|pair| pair[0] >= pair[1]),
        "not newest first"
    );
}

#[tokio::test]
async fn a_personal_library_of_10000_photos_in_500_folders_is_read_through_delta_newest_first() {
    let fixture = Fixture::start_graph(Library::nested(10_000, 500)).await;
    let root = cache_root("nested");
    let (library, pages) = start(&fixture, &root).await;
    let titles = titles(&pages);
    assert_eq!(titles.len(), 10_000);
    assert_eq!(
        titles.iter().collect::<HashSet<_>>().len(),
        10_000,
        "a photo twice"
    );
    assert_newest_first(&pages);
    assert!(
        pages.iter().all(|page| page.photos.len() <= 100),
        "the window is handed a page at a time"
    );
    assert_eq!(library.indexed(), 10_000);

    let seen = fixture.seen();
    let paths = paths(&seen);
    assert_eq!(paths[0], "/v1.0/me/drive/special/photos");
    assert!(
        paths.iter().all(|path| !path.ends_with("/children")),
        "a folder was walked: {paths:?}"
    );
    let deltas = paths.iter().filter(|path| path.ends_with("/delta")).count();
    assert_eq!(
        deltas, 11,
        "10,500 items (500 of them folders) at 1,000 a page, the Photos folder only"
    );
    assert_eq!(
        paths.last(),
        Some(&"/v1.0/me/drive/special/cameraroll"),
        "the Camera Roll is asked for, and not read again inside the Photos folder"
    );
    assert_eq!(paths.len(), 13);
}

#[tokio::test]
async fn a_later_start_fetches_only_the_changes_new_and_deleted() {
    let fixture = Fixture::start_graph(Library::nested(300, 30)).await;
    let root = cache_root("later");
    let (_, first) = start(&fixture, &root).await;
    assert_eq!(titles(&first).len(), 300);
    assert!(titles(&first).contains(&"Photo 7.jpg"));

    let added = fixture.change_graph(|library| {
        assert!(library.delete_photo("p7"));
        library.add_photo("folder-17")
    });
    assert_eq!(added, "p301");
    let before = fixture.seen().len();
    let (_, later) = start(&fixture, &root).await;
    let seen = fixture.seen();
    let later_requests = paths(&seen[before..]);
    assert_eq!(
        later_requests,
        ["/v1.0/me/drive/items/photos-folder/delta"],
        "only the saved link to the changes is fetched"
    );
    assert!(
        seen[before].target.contains("token="),
        "{}",
        seen[before].target
    );
    let titles = titles(&later);
    assert_eq!(titles.len(), 300);
    assert!(
        !titles.contains(&"Photo 7.jpg"),
        "a deleted photo is still listed"
    );
    assert!(
        titles.contains(&"Photo 301.jpg"),
        "a new photo is not listed"
    );
    assert_newest_first(&later);

    // And nothing changed since: one request, the same photos.
    let before = fixture.seen().len();
    let (_, again) = start(&fixture, &root).await;
    assert_eq!(fixture.seen().len(), before + 1);
    assert_eq!(self::titles(&again), titles);
}

#[tokio::test]
async fn a_saved_link_the_service_no_longer_follows_reads_the_whole_library_again() {
    let fixture = Fixture::start_graph(Library::nested(120, 12)).await;
    let root = cache_root("resync");
    start(&fixture, &root).await;
    fixture.change_graph(|library| {
        library.delete_photo("p5");
        library.expire_delta_links();
    });
    let before = fixture.seen().len();
    let (_, later) = start(&fixture, &root).await;
    let seen = fixture.seen();
    assert!(
        seen[before].target.contains("token="),
        "the saved link first"
    );
    assert!(
        seen[before + 1..].iter().any(|seen| seen
            .target
            .ends_with("/delta?%24expand=thumbnails&%24top=1000")),
        "after the 410, the whole library from the start: {seen:?}"
    );
    let titles = titles(&later);
    assert_eq!(titles.len(), 119);
    assert!(!titles.contains(&"Photo 5.jpg"));
}

#[tokio::test]
async fn a_camera_roll_outside_the_photos_folder_is_followed_too() {
    let fixture = Fixture::start_graph(Library::nested(300, 30).camera_roll_elsewhere()).await;
    let root = cache_root("elsewhere");
    let (_, pages) = start(&fixture, &root).await;
    assert_eq!(titles(&pages).iter().collect::<HashSet<_>>().len(), 300);
    assert_newest_first(&pages);
    let seen = fixture.seen();
    let deltas: HashSet<_> = paths(&seen)
        .into_iter()
        .filter(|path| path.ends_with("/delta"))
        .collect();
    assert_eq!(
        deltas,
        HashSet::from([
            "/v1.0/me/drive/items/photos-folder/delta",
            "/v1.0/me/drive/items/folder-0/delta"
        ])
    );

    fixture.change_graph(|library| library.add_photo("folder-3"));
    let before = fixture.seen().len();
    let (_, later) = start(&fixture, &root).await;
    assert_eq!(
        fixture.seen().len(),
        before + 2,
        "one saved link per folder followed"
    );
    assert_eq!(titles(&later).len(), 301);
}

#[tokio::test]
async fn a_work_or_school_drive_is_walked_folder_by_folder_and_shown_newest_first() {
    let fixture = Fixture::start_graph(Library::nested(120, 12).business()).await;
    let root = cache_root("business");
    let (_, pages) = start(&fixture, &root).await;
    assert_eq!(titles(&pages).iter().collect::<HashSet<_>>().len(), 120);
    assert_newest_first(&pages);
    // The fixture's photo `n` is taken on day `n mod 28 + 1`: the newest is day 28's highest.
    assert_eq!(titles(&pages)[0], "Photo 111.jpg");
    let seen = fixture.seen();
    let first = paths(&seen);
    assert!(
        first.iter().all(|path| !path.ends_with("/delta")),
        "{first:?}"
    );
    let walked = first
        .iter()
        .filter(|path| path.ends_with("/children"))
        .count();
    assert!(walked >= 12, "every folder is listed: {first:?}");

    // No links to its changes: a later start walks it again, and sees what was added.
    fixture.change_graph(|library| library.add_photo("folder-5"));
    let before = fixture.seen().len();
    let (_, later) = start(&fixture, &root).await;
    assert_newest_first(&later);
    assert_eq!(titles(&later).len(), 121);
    let seen = fixture.seen();
    let again = paths(&seen[before..]);
    assert_eq!(
        again
            .iter()
            .filter(|path| path.ends_with("/children"))
            .count(),
        walked,
        "{again:?}"
    );
}

#[tokio::test]
async fn a_drive_that_refuses_delta_on_its_folders_is_walked_too() {
    let fixture = Fixture::start_graph(Library::nested(120, 12).refusing_folder_delta()).await;
    let root = cache_root("refused");
    let (library, pages) = start(&fixture, &root).await;
    assert_eq!(titles(&pages).iter().collect::<HashSet<_>>().len(), 120);
    assert_newest_first(&pages);
    // The first page is listed again (the window's refresh) in the same run.
    assert!(library.read_changes(None).await.unwrap().is_some());
    let seen = fixture.seen();
    let paths = paths(&seen);
    assert_eq!(
        paths.iter().filter(|path| path.ends_with("/delta")).count(),
        1,
        "delta is asked for once, and not again in this run: {paths:?}"
    );
    assert!(paths.iter().any(|path| path.ends_with("/children")));
}

#[tokio::test]
async fn throttling_while_the_changes_are_read_is_waited_out_as_retry_after_asks() {
    let fixture = Fixture::start_graph(Library::nested(120, 12)).await;
    let root = cache_root("throttled");
    let (_, first) = start(&fixture, &root).await;
    fixture.change_graph(|library| library.add_photo("folder-2"));
    fixture.throttle(1, 1);
    let before = fixture.seen().len();
    let started = std::time::Instant::now();
    let (_, later) = start(&fixture, &root).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    let seen = fixture.seen();
    assert_eq!(
        seen.len(),
        before + 2,
        "the saved link, throttled, then again"
    );
    assert_eq!(seen[before].target, seen[before + 1].target);
    assert_eq!(titles(&later).len(), titles(&first).len() + 1);
}

#[tokio::test]
async fn links_saved_in_an_earlier_run_that_expired_are_renewed_for_the_photos_shown() {
    let fixture = Fixture::start_graph(Library::nested(120, 12)).await;
    let root = cache_root("expired-links");
    start(&fixture, &root).await;
    fixture.change_graph(|library| library.expire_download_links());
    let (library, later) = start(&fixture, &root).await;
    let shown = &later[0].photos[0];
    let before = fixture.seen().len();

    let thumbnail = library
        .fetch(&shown.id, Rendition::Thumbnail)
        .await
        .unwrap()
        .unwrap();
    let listed_as = library.provider_id(&shown.id).unwrap();
    assert_eq!(
        thumbnail.body,
        pictures::png(&listed_as, Size::Within(176, 176))
    );
    let seen = fixture.seen();
    let api: Vec<_> = seen[before..]
        .iter()
        .filter(|seen| !seen.content_server)
        .map(|seen| seen.target.as_str())
        .collect();
    assert_eq!(
        api.len(),
        1,
        "one request renews the photo's links: {api:?}"
    );
    assert!(api[0].starts_with("/v1.0/me/drive/items/p"), "{api:?}");

    let before = fixture.seen().len();
    let image = library.fetch(&shown.id, Rendition::Image).await.unwrap();
    assert!(image.is_ok());
    assert!(
        fixture.seen()[before..]
            .iter()
            .all(|seen| seen.content_server),
        "the renewed links are kept"
    );
    assert!(
        fixture
            .seen()
            .iter()
            .filter(|seen| seen.content_server)
            .all(|seen| seen.authorization.is_none()),
        "a pre-authenticated link was sent the token"
    );
}
