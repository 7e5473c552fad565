//! `state_file`: grants survive a restart, and the file holds only hashes.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use photolink_demo_provider::{Config, token_hash};
use reqwest::StatusCode;

/// A fresh directory for one test's state file.
fn state_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "photolink-demo-provider-{name}-{}-{:x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names of the files in `folder`, sorted.
fn files_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn config(state_file: &Path) -> Config {
    Config {
        state_file: Some(state_file.to_owned()),
        ..Config::default()
    }
}

#[tokio::test]
async fn tokens_stay_valid_across_a_restart() {
    let dir = state_dir("restart");
    let state_file = dir.join("not-yet-created").join("state.json");
    let http = http();
    let first = provider(config(&state_file)).await;
    let body = tokens(&http, &first).await;
    let (access, refresh_token) = (
        string(&body, "access_token"),
        string(&body, "refresh_token"),
    );
    first.shutdown().await;

    let contents = std::fs::read_to_string(&state_file).unwrap();
    assert!(
        !contents.contains(&access) && !contents.contains(&refresh_token),
        "no raw tokens on disk"
    );
    assert!(
        contents.contains(&token_hash(&access)) && contents.contains(&token_hash(&refresh_token))
    );
    let folder = state_file.parent().unwrap();
    assert_eq!(
        files_in(folder),
        ["state.json", "state.json.id-token-key"],
        "the temporary files beside the state file and the ID token key were renamed over them"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "state file is private");
        let key_file = folder.join("state.json.id-token-key");
        let mode = std::fs::metadata(key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the ID token key is private");
    }

    let second = provider(config(&state_file)).await;
    assert_eq!(photos_status(&http, &second, &access).await, StatusCode::OK);
    let (status, rotated) = refresh(&http, &second, &refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    second.shutdown().await;

    // Rotation was saved too: the old refresh token is now a reuse that revokes the grant.
    let third = provider(config(&state_file)).await;
    let (status, _) = refresh(&http, &third, &refresh_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(third.stats().refresh_reuse_detected, 1);
    assert_eq!(
        photos_status(&http, &third, &string(&rotated, "access_token")).await,
        StatusCode::UNAUTHORIZED
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn revocation_survives_a_restart() {
    let dir = state_dir("revoked");
    let state_file = dir.join("state.json");
    let http = http();
    let first = provider(config(&state_file)).await;
    let body = tokens(&http, &first).await;
    let status = revoke(&http, &first, &string(&body, "refresh_token"), None).await;
    assert_eq!(status, StatusCode::OK);
    drop(first);
    let second = provider(config(&state_file)).await;
    assert_eq!(
        photos_status(&http, &second, &string(&body, "access_token")).await,
        StatusCode::UNAUTHORIZED
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_corrupt_state_file_is_a_clear_error() {
    let dir = state_dir("corrupt");
    let state_file = dir.join("state.json");
    std::fs::write(&state_file, "not json").unwrap();
    let error = photolink_demo_provider::start(config(&state_file))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("state.json"), "{error}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_state_file_from_a_newer_provider_is_refused() {
    let dir = state_dir("newer");
    let state_file = dir.join("state.json");
    std::fs::write(
        &state_file,
        r#"{"version":99,"grants":{},"codes":{},"access_tokens":{},"refresh_tokens":{}}"#,
    )
    .unwrap();
    let error = photolink_demo_provider::start(config(&state_file))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("version 99"), "{error}");
    std::fs::remove_dir_all(dir).unwrap();
}
