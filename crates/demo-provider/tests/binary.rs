//! The `photolink-demo-provider` binary: prints its issuer and stops on SIGTERM.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Starts the binary with `args` and returns it with its issuer URL.
fn spawn(args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_photolink-demo-provider"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_owned())
}

#[tokio::test]
async fn prints_the_issuer_serves_and_stops_on_sigterm() {
    let (mut child, issuer) = spawn(&[
        "--port",
        "0",
        "--photo-count",
        "3",
        "--access-token-ttl",
        "30",
    ]);
    assert!(issuer.starts_with("http://127.0.0.1:"), "{issuer:?}");

    let metadata: serde_json::Value =
        reqwest::get(format!("{issuer}/.well-known/oauth-authorization-server"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(metadata["issuer"], issuer.as_str());

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn bad_flags_fail_with_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_photolink-demo-provider"))
        .args(["--port", "not-a-port"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--port") && stderr.contains("Usage"),
        "{stderr}"
    );
}

#[tokio::test]
async fn test_controls_exist_only_with_the_flag() {
    let http = reqwest::Client::new();
    let arm = |issuer: &str| {
        http.post(format!("{issuer}/_test/faults"))
            .json(&serde_json::json!({ "faults": [{ "fault": "token_html", "times": 1 }] }))
            .send()
    };

    let (mut plain, issuer) = spawn(&[]);
    assert_eq!(arm(&issuer).await.unwrap().status(), 404);
    plain.kill().unwrap();
    plain.wait().unwrap();

    let (mut controlled, issuer) = spawn(&["--test-controls"]);
    assert_eq!(arm(&issuer).await.unwrap().status(), 204);
    let answer = http.post(format!("{issuer}/token")).send().await.unwrap();
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let stats: serde_json::Value = http
        .get(format!("{issuer}/_test/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["faults_served"]["token_html"], 1);
    controlled.kill().unwrap();
    controlled.wait().unwrap();
}
