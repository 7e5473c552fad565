//! Saving originals over real HTTP on loopback, from the photo API fixtures: a complete file
//! with the token (Drive) and without (OneDrive's pre-authenticated download), a token refreshed
//! on the way, a save cancelled mid-way and one cut off mid-way (neither leaves anything), a
//! refused address (nothing is requested), and the suggested file name for hostile titles.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use photolink_photo_fixtures::originals::{Ending, large_image};
use photolink_photo_fixtures::{Fixture, Service};
use url::Url;

use super::*;
use crate::photos::settings::PhotoApi;
use crate::photos::source::{Download, SourcePage, SourcePhoto};
use crate::photos::tests::library_and_session;

/// Larger than a piece the fixture sends (64 KiB) many times over.
const LARGE: usize = 3 * 1024 * 1024 + 17;

/// A fresh, empty folder of its own in the temp folder.
fn folder() -> PathBuf {
    let folder = std::env::temp_dir().join(format!(
        "photolink-original-{}-{:x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// The names in `folder`, hidden ones included.
fn names_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A fixture of `service` whose full images are [`LARGE`] and end as `ending`, a library over
/// it, and the id of its first photo (whose service id is `p1`).
async fn started(service: Service, ending: Ending) -> (Fixture, PhotoLibrary, String) {
    let fixture = Fixture::start(service, 3).await;
    fixture.set_images(LARGE, ending);
    let api = match service {
        Service::GoogleDrive => PhotoApi::GoogleDrive,
        Service::MicrosoftGraph => PhotoApi::MicrosoftGraph,
        Service::GooglePhotosPicker => panic!("the Picker lists nothing before a person picks"),
    };
    let (library, _) = library_and_session(&fixture, api);
    let page = library.list(None).await.unwrap();
    let id = page.photos[0].id.clone();
    assert_eq!(library.provider_id(&id).as_deref(), Some("p1"));
    (fixture, library, id)
}

/// Every progress report, in order.
fn recorder() -> (Arc<Mutex<Vec<Progress>>>, impl FnMut(Progress)) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    (reports, move |step| sink.lock().unwrap().push(step))
}

/// A cancel switch nobody turns on.
fn never_cancelled() -> watch::Receiver<bool> {
    let (switch, cancelled) = cancel_switch();
    // Kept on: a switch dropped must not read as cancelled.
    std::mem::forget(switch);
    cancelled
}

#[tokio::test]
async fn an_original_from_the_api_is_saved_whole_with_its_progress() {
    let (fixture, library, id) = started(Service::GoogleDrive, Ending::Complete).await;
    let folder = folder();
    let path = folder.join("Sea.png");
    let (reports, progress) = recorder();

    let written = save(&library, &id, &path, progress, never_cancelled())
        .await
        .unwrap();

    assert_eq!(written, LARGE as u64);
    let saved = std::fs::read(&path).unwrap();
    assert!(saved == large_image("p1", LARGE), "the saved bytes differ");
    assert_eq!(names_in(&folder), ["Sea.png"], "a temporary file was left");
    let reports = reports.lock().unwrap();
    let total = Some(LARGE as u64);
    assert_eq!(reports.first(), Some(&Progress { bytes: 0, total }));
    assert_eq!(
        reports.last(),
        Some(&Progress {
            bytes: LARGE as u64,
            total
        })
    );
    assert!(
        reports
            .windows(2)
            .all(|pair| pair[0].bytes <= pair[1].bytes),
        "{reports:?}"
    );
    let seen = fixture.seen();
    let download = seen.last().unwrap();
    assert!(download.target.ends_with("alt=media"), "{download:?}");
    assert_eq!(
        download.authorization,
        Some(format!("Bearer {}", fixture.access_token()))
    );
    std::fs::remove_dir_all(folder).unwrap();
}

#[tokio::test]
async fn a_pre_authenticated_original_is_saved_without_the_token_replacing_the_file_there() {
    let (fixture, library, id) = started(Service::MicrosoftGraph, Ending::Complete).await;
    let folder = folder();
    let path = folder.join("Photo 1.jpg");
    std::fs::write(&path, b"the file the person chose to replace").unwrap();

    save(&library, &id, &path, |_| {}, never_cancelled())
        .await
        .unwrap();

    assert!(std::fs::read(&path).unwrap() == large_image("p1", LARGE));
    assert_eq!(names_in(&folder), ["Photo 1.jpg"]);
    let seen = fixture.seen();
    let download = seen.last().unwrap();
    assert!(download.content_server, "{download:?}");
    assert_eq!(download.authorization, None, "the token left the photo API");
    std::fs::remove_dir_all(folder).unwrap();
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_original_saved() {
    let (fixture, library, id) = started(Service::GoogleDrive, Ending::Complete).await;
    fixture.expire_access_token();
    let folder = folder();
    let path = folder.join("p1.png");

    save(&library, &id, &path, |_| {}, never_cancelled())
        .await
        .unwrap();

    assert_eq!(fixture.refreshes(), 1);
    assert!(std::fs::read(&path).unwrap() == large_image("p1", LARGE));
    std::fs::remove_dir_all(folder).unwrap();
}

#[tokio::test]
async fn a_save_cancelled_mid_way_leaves_nothing_and_the_old_file_as_it_was() {
    let sent = 1024 * 1024;
    let (_fixture, library, id) = started(Service::GoogleDrive, Ending::StallAfter(sent)).await;
    let folder = folder();
    let path = folder.join("Sea.png");
    std::fs::write(&path, b"before").unwrap();
    let (switch, cancelled) = cancel_switch();

    let saving = {
        let path = path.clone();
        tokio::spawn(async move { save(&library, &id, &path, |_| {}, cancelled).await })
    };
    // Mid-way: the part sent so far is on disk beside the chosen file.
    let partial = loop {
        let partial = names_in(&folder)
            .into_iter()
            .find(|name| name.ends_with(".partial"))
            .map(|name| folder.join(name));
        if let Some(partial) = partial
            && std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0) >= sent as u64
        {
            break partial;
        }
        assert!(
            !saving.is_finished(),
            "the save ended before it was cancelled"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    switch.send_replace(true);
    let outcome = saving.await.unwrap();

    assert!(matches!(outcome, Err(SaveError::Cancelled)), "{outcome:?}");
    assert!(!partial.exists(), "the partial file was left");
    assert_eq!(names_in(&folder), ["Sea.png"]);
    assert_eq!(std::fs::read(&path).unwrap(), b"before");
    std::fs::remove_dir_all(folder).unwrap();
}

#[tokio::test]
async fn a_download_that_pauses_shows_how_far_it_came() {
    let sent = 1024 * 1024;
    let (_fixture, library, id) = started(Service::GoogleDrive, Ending::StallAfter(sent)).await;
    let folder = folder();
    let (reports, progress) = recorder();
    let (switch, cancelled) = cancel_switch();
    let saving = {
        let path = folder.join("Sea.png");
        tokio::spawn(async move { save(&library, &id, &path, progress, cancelled).await })
    };
    // The whole first part arrives at once, then nothing: its report must still come.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !reports
        .lock()
        .unwrap()
        .iter()
        .any(|step| step.bytes == sent as u64)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the part received was never reported: {:?}",
            reports.lock().unwrap()
        );
        assert!(!saving.is_finished(), "the save ended while stalled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    switch.send_replace(true);
    assert!(matches!(saving.await.unwrap(), Err(SaveError::Cancelled)));
    let reports = reports.lock().unwrap();
    assert!(
        reports.iter().all(|step| step.total == Some(LARGE as u64)),
        "{reports:?}"
    );
    std::fs::remove_dir_all(folder).unwrap();
}

#[tokio::test]
async fn a_save_cut_off_mid_way_by_the_server_leaves_nothing() {
    let (_fixture, library, id) =
        started(Service::MicrosoftGraph, Ending::CutOffAfter(LARGE / 2)).await;
    let folder = folder();
    let path = folder.join("Photo 1.jpg");
    let (reports, progress) = recorder();

    let outcome = save(&library, &id, &path, progress, never_cancelled()).await;

    match &outcome {
        Err(SaveError::Provider(AppError::OAuth(OAuthError::UnexpectedResponse {
            status: 200,
            ..
        }))) => {}
        other => panic!("expected a cut-off answer, got {other:?}"),
    }
    assert_eq!(names_in(&folder), Vec::<String>::new(), "a file was left");
    let reports = reports.lock().unwrap();
    assert!(
        reports.iter().all(|step| step.bytes < LARGE as u64),
        "{reports:?}"
    );
    std::fs::remove_dir_all(folder).unwrap();
}

#[tokio::test]
async fn a_failed_answer_is_a_provider_error_and_no_file_is_started() {
    let (fixture, library, id) = started(Service::GoogleDrive, Ending::Complete).await;
    fixture.refuse_next(403);
    let folder = folder();

    let outcome = save(
        &library,
        &id,
        &folder.join("p1.png"),
        |_| {},
        never_cancelled(),
    )
    .await;

    match &outcome {
        Err(
            error @ SaveError::Provider(AppError::OAuth(OAuthError::UnexpectedResponse {
                status: 403,
                ..
            })),
        ) => {
            let shown = format!("{error} {error:?}");
            assert!(
                !shown.contains(photolink_photo_fixtures::SERVER_MESSAGE),
                "{shown}"
            );
        }
        other => panic!("expected the 403, got {other:?}"),
    }
    assert_eq!(names_in(&folder), Vec::<String>::new());
    std::fs::remove_dir_all(folder).unwrap();
}

#[tokio::test]
async fn an_original_at_a_refused_address_is_not_requested() {
    let fixture = Fixture::start(Service::GoogleDrive, 1).await;
    let (library, _) = library_and_session(&fixture, PhotoApi::GoogleDrive);
    let elsewhere = format!("http://127.0.0.2:{}/x", fixture_port(&fixture));
    let photo = |id: &str, image: Download| SourcePhoto {
        id: id.into(),
        title: None,
        width: None,
        height: None,
        taken_at: None,
        bytes: None,
        thumbnail: image.clone(),
        image,
    };
    let url = |text: &str| Url::parse(text).unwrap();
    let page = SourcePage {
        photos: vec![
            // The token, to another origin than the photo API's.
            photo("a", Download::WithToken(url(&elsewhere))),
            // No token, but plain http away from this computer.
            photo(
                "b",
                Download::WithoutCredentials(url("http://photos.example/b.jpg")),
            ),
        ],
        next_page_token: None,
        newest_first: false,
    };
    let shown = library.show_page(page, false, library.listing()).unwrap();
    let folder = folder();
    let before = fixture.seen().len();

    for photo in &shown.photos {
        let outcome = save(
            &library,
            &photo.id,
            &folder.join("x.jpg"),
            |_| {},
            never_cancelled(),
        )
        .await;
        assert!(
            matches!(outcome, Err(SaveError::AddressRefused(_))),
            "{outcome:?}"
        );
    }
    let unknown = save(
        &library,
        "AAAAAAAAAAAAAAAAAAAAAA",
        &folder.join("x.jpg"),
        |_| {},
        never_cancelled(),
    )
    .await;
    assert!(
        matches!(unknown, Err(SaveError::NoSuchPhoto)),
        "{unknown:?}"
    );
    assert_eq!(
        fixture.seen().len(),
        before,
        "a refused address was requested"
    );
    assert_eq!(names_in(&folder), Vec::<String>::new());
    std::fs::remove_dir_all(folder).unwrap();
}

/// The port the fixture's photo API listens on.
fn fixture_port(fixture: &Fixture) -> u16 {
    Url::parse(&fixture.issuer()).unwrap().port().unwrap()
}

#[test]
fn hostile_titles_become_safe_file_names() {
    for (title, media_type, expected) in [
        ("Sea.jpg", None, "Sea.jpg"),
        ("Sea.JPEG", Some("image/png"), "Sea.jpeg"),
        ("Sunset", Some("image/png"), "Sunset.png"),
        ("Sunset", None, "Sunset"),
        ("../../.bashrc", Some("image/jpeg"), "_.._.bashrc.jpg"),
        ("..", Some("image/jpeg"), "Photo.jpg"),
        ("/etc/passwd", None, "_etc_passwd"),
        (
            "C:\\Windows\\evil.exe",
            Some("image/gif"),
            "C__Windows_evil.exe.gif",
        ),
        (
            "a\u{0}b\nc\u{202E}gpj.exe",
            Some("image/webp"),
            "a b c gpj.exe.webp",
        ),
        ("   ", Some("image/bmp"), "Photo.bmp"),
        ("CON", Some("image/png"), "CON_.png"),
        ("com1.jpg", None, "com1_.jpg"),
        ("photo.", None, "photo"),
        ("<script>?.png", None, "_script__.png"),
        (".hidden.png", None, "hidden.png"),
    ] {
        assert_eq!(
            suggested_file_name(title, media_type),
            expected,
            "{title:?}"
        );
    }
    let long = suggested_file_name(&"x".repeat(10_000), Some("image/jpeg"));
    assert_eq!(long.chars().count(), FILE_NAME_MAX_CHARS);
    assert!(long.ends_with("x.jpg"), "{long}");
    let wide = suggested_file_name(&"😀".repeat(1_000), Some("image/jpeg"));
    assert!(wide.len() <= FILE_NAME_MAX_BYTES, "{}", wide.len());
    assert!(wide.ends_with(".jpg"), "{wide}");
}

mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::photos::source::tests::any_text;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_title_becomes_one_plain_file_name_with_its_extension(
            title in any_text(400),
            media_type in proptest::option::of(prop_oneof![
                Just("image/jpeg"), Just("image/png"), Just("text/html"), Just(""),
            ]),
        ) {
            let name = suggested_file_name(&title, media_type);
            prop_assert!(!name.is_empty());
            prop_assert!(name.chars().count() <= FILE_NAME_MAX_CHARS, "{}", name);
            prop_assert!(name.len() <= FILE_NAME_MAX_BYTES, "{}", name);
            prop_assert!(!name.starts_with('.') && !name.ends_with('.') && !name.ends_with(' '), "{:?}", name);
            prop_assert!(
                !name.chars().any(|c| c.is_control() || is_invisible(c)
                    || matches!(c, '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*')),
                "{:?}", name
            );
            prop_assert_eq!(Path::new(&name).file_name().map(|n| n.to_string_lossy().into_owned()), Some(name.clone()));
            if let Some(extension) = media_type.and_then(extension_of) {
                let has_image_extension = name
                    .rsplit_once('.')
                    .is_some_and(|(_, e)| IMAGE_EXTENSIONS.contains(&e));
                prop_assert!(has_image_extension, "{:?} for {}", name, extension);
            }
        }
    }
}

/// `outcome` is a disk error of `kind`, which the window is told as `sentence`.
#[cfg(target_os = "linux")]
fn assert_disk_error(outcome: Result<u64, SaveError>, kind: std::io::ErrorKind, sentence: &str) {
    let error = outcome.unwrap_err();
    assert!(
        matches!(&error, SaveError::Disk(e) if e.kind() == kind),
        "{error:?}"
    );
    assert_eq!(crate::messages::save(&error, "Demo Photos"), sentence);
}

/// `/sys` takes no new files, whoever asks (root included): a folder PhotoLink may not write in.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_folder_that_takes_no_files_is_a_disk_error_saying_so() {
    let (_fixture, library, id) = started(Service::GoogleDrive, Ending::Complete).await;
    let path = Path::new("/sys/photolink-original.png");

    let outcome = save(&library, &id, path, |_| {}, never_cancelled()).await;

    assert_disk_error(
        outcome,
        std::io::ErrorKind::PermissionDenied,
        "The original was not saved: PhotoLink may not write in that folder. Choose another place and try again.",
    );
    assert!(!path.exists());
    let partials = names_in(Path::new("/sys"))
        .into_iter()
        .filter(|name| name.starts_with(".photolink-"))
        .count();
    assert_eq!(partials, 0);
}

/// A tmpfs mounted over a folder for one test, unmounted (and the folder removed) after it.
#[cfg(target_os = "linux")]
struct SmallDisk(PathBuf);

#[cfg(target_os = "linux")]
impl SmallDisk {
    /// A fresh folder with a file system of `size` (as `mount -o size=` reads it) over it.
    fn mount(size: &str) -> Self {
        let folder = folder();
        let mounted = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "photolink-test",
            ])
            .arg(&folder)
            .status()
            .unwrap();
        assert!(mounted.success(), "could not mount a tmpfs: it needs root");
        Self(folder)
    }
}

#[cfg(target_os = "linux")]
impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
#[ignore = "mounts a small tmpfs, which needs root: scripts/test.sh runs it"]
async fn a_full_disk_is_a_disk_error_saying_so_and_leaves_nothing() {
    let disk = SmallDisk::mount("1m");
    let (_fixture, library, id) = started(Service::GoogleDrive, Ending::Complete).await;

    let outcome = save(
        &library,
        &id,
        &disk.0.join("Sea.png"),
        |_| {},
        never_cancelled(),
    )
    .await;

    assert_disk_error(
        outcome,
        std::io::ErrorKind::StorageFull,
        "The original was not saved: the disk is full. Free some space or choose another place, and try again.",
    );
    assert_eq!(names_in(&disk.0), Vec::<String>::new(), "a file was left");
}
