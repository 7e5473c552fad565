//! The benchmark's figures of the OneDrive library (`scripts/bench.sh` runs this test, built in
//! release, through `bench/driver`): the app's photo code against the Graph fixture on
//! loopback, through the [`PhotoCache`] as the app lists. It prints one line,
//! `graph-library-figures {json}`, and asserts nothing the benchmark does not judge itself
//! (the driver enforces the correctness goals), so it is ignored by plain test runs.

use std::path::Path;
use std::time::Instant;

use photolink_photo_fixtures::Fixture;
use photolink_photo_fixtures::microsoft_graph::Library;
use serde_json::json;

use crate::photos::cache::{FOLDER, PhotoCache};
use crate::photos::library::PhotoPage;
use crate::photos::settings::PhotoApi;
use crate::photos::tests::library_and_session;

/// The library's size, as the issue asks: 10,000 photos, in 500 folders or in one.
const PHOTOS: usize = 10_000;
const FOLDERS: usize = 500;

/// What one start measured: milliseconds to the first page and to the last, the API requests
/// made, and the photos listed (their titles).
struct Listed {
    first_page_ms: f64,
    all_pages_ms: f64,
    requests: usize,
    titles: Vec<String>,
    newest_first: bool,
}

/// One start of the app over `fixture`, its cache in `root`, paged to the end.
async fn start(fixture: &Fixture, root: &Path) -> Listed {
    let (library, session) = library_and_session(fixture, PhotoApi::MicrosoftGraph);
    let cache = PhotoCache::new(Some(root.to_path_buf()));
    let before = fixture.seen().len();
    let started = Instant::now();
    let first = cache.list(&library, &session, None).await.unwrap();
    let first_page_ms = started.elapsed().as_secs_f64() * 1000.0;
    let newest_first = first.newest_first;
    let mut titles = titles(&first);
    let mut next = first.next_page_token;
    while let Some(token) = next {
        let page = cache.list(&library, &session, Some(&token)).await.unwrap();
        titles.extend(self::titles(&page));
        next = page.next_page_token;
    }
    Listed {
        first_page_ms,
        all_pages_ms: started.elapsed().as_secs_f64() * 1000.0,
        requests: fixture.seen()[before..]
            .iter()
            .filter(|seen| !seen.content_server)
            .count(),
        titles,
        newest_first,
    }
}

fn titles(page: &PhotoPage) -> Vec<String> {
    page.photos
        .iter()
        .map(|photo| photo.title.clone())
        .collect()
}

/// A fresh cache folder for `name`.
fn cache_root(name: &str) -> std::path::PathBuf {
    let base = std::env::temp_dir().join(format!(
        "photolink-graph-figures-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&base);
    base.join(FOLDER)
}

/// The process's resident memory in KiB (`VmRSS` in `/proc/self/status`).
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmRSS:")?
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse()
                    .ok()
            })
        })
        .unwrap_or(0)
}

/// The size of the saved library in the account folder under `root` (its cache entry, whose
/// name begins `s-`).
fn saved_library_bytes(root: &Path) -> u64 {
    let entries = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .flat_map(|account| {
            std::fs::read_dir(account.path())
                .into_iter()
                .flatten()
                .flatten()
        });
    entries
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("s-"))
        .filter_map(|entry| entry.metadata().ok())
        .map(|metadata| metadata.len())
        .sum()
}

/// One start over a fresh cache of `library`.
async fn listed(library: Library, name: &str) -> Listed {
    let fixture = Fixture::start_graph(library).await;
    start(&fixture, &cache_root(name)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark figure: scripts/bench.sh runs it, built in release"]
async fn graph_library_figures() {
    // Memory first, before anything else has grown the heap: the nested library served, then
    // listed to the end and held (the saved library and the id index) while its first page is
    // shown.
    let fixture = Fixture::start_graph(Library::nested(PHOTOS, FOLDERS)).await;
    let root = cache_root("memory");
    let (library, session) = library_and_session(&fixture, PhotoApi::MicrosoftGraph);
    let cache = PhotoCache::new(Some(root.clone()));
    let resident_before = resident_kib();
    let shown = cache.list(&library, &session, None).await.unwrap();
    let mut next = shown.next_page_token.clone();
    while let Some(token) = next {
        next = cache
            .list(&library, &session, Some(&token))
            .await
            .unwrap()
            .next_page_token;
    }
    let resident_growth_kib = resident_kib().saturating_sub(resident_before);
    drop((shown, cache, library, session, fixture));
    let saved_library_kib = saved_library_bytes(&root) / 1024;

    let nested = listed(Library::nested(PHOTOS, FOLDERS), "nested").await;
    let flat = listed(Library::flat(PHOTOS), "flat").await;
    let walked_nested = listed(Library::nested(PHOTOS, FOLDERS).business(), "walk-nested").await;
    let walked_flat = listed(Library::flat(PHOTOS).business(), "walk-flat").await;

    // A second start with the saved delta link, after a photo was added and one deleted.
    let fixture = Fixture::start_graph(Library::nested(PHOTOS, FOLDERS)).await;
    let root = cache_root("second-start");
    start(&fixture, &root).await;
    let added = fixture.change_graph(|library| {
        library.delete_photo("p7");
        library.add_photo("folder-250")
    });
    let second = start(&fixture, &root).await;
    let added_title = format!("Photo {}.jpg", &added[1..]);
    let changes_shown = second.titles.len() == PHOTOS
        && second.titles.contains(&added_title)
        && !second.titles.iter().any(|title| title == "Photo 7.jpg");

    let figures = json!({
        "photos": PHOTOS,
        "folders": FOLDERS,
        "nested": {"first_page_ms": nested.first_page_ms, "all_pages_ms": nested.all_pages_ms,
                   "requests": nested.requests, "photos": nested.titles.len(), "newest_first": nested.newest_first},
        "flat": {"first_page_ms": flat.first_page_ms, "all_pages_ms": flat.all_pages_ms,
                 "requests": flat.requests, "photos": flat.titles.len(), "newest_first": flat.newest_first},
        "walk_nested": {"all_pages_ms": walked_nested.all_pages_ms, "requests": walked_nested.requests,
                        "photos": walked_nested.titles.len()},
        "walk_flat": {"all_pages_ms": walked_flat.all_pages_ms, "requests": walked_flat.requests,
                      "photos": walked_flat.titles.len()},
        "second_start": {"first_page_ms": second.first_page_ms, "requests": second.requests,
                         "changes_shown": changes_shown},
        "resident_growth_kib": resident_growth_kib,
        "saved_library_kib": saved_library_kib,
    });
    println!("graph-library-figures {figures}");
}
