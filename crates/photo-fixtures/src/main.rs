//! `photolink-photo-fixture`: runs a fixture of a photo API on 127.0.0.1 until killed, for the
//! end-to-end tests. Prints the API root on the first line of stdout and the content server's
//! origin on the second; then reads commands from stdin, one a line, and answers each with one
//! line on stdout (see [`USAGE`]). Logs nothing else.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use photolink_photo_fixtures::microsoft_graph::Library;
use photolink_photo_fixtures::{Fixture, Service};

const USAGE: &str = "\
Usage: photolink-photo-fixture --service <NAME> [--photos <N>] [--folders <N>] [--trust-userinfo <URL>]

Runs a fixture of a documented photo API on 127.0.0.1 (a test fixture, not the service) and
prints its API root and its content server's origin on stdout. Stops when killed.

Options:
  --service <NAME>        The API: google-photos-picker or microsoft-graph
  --photos <N>            Photos the account holds (default 12)
  --folders <N>           microsoft-graph: the photos spread over this many folders nested
                          as phones upload them (the Camera Roll, year and month folders);
                          without it, all in the Camera Roll
  --trust-userinfo <URL>  Accept the access tokens this userinfo endpoint answers 200 to, and
                          hand out base URLs on the API's own origin (for an app signed in
                          at another issuer, which sends its token only to the API)

Commands on stdin, each answered with one line on stdout:
  expire-base-urls         google-photos-picker: every base URL handed out expires; `ok`
  expire-picking-sessions  google-photos-picker: every session ends; `ok`
  add-photo <FOLDER-ID>    microsoft-graph: a new photo in that folder; its id
  api-requests             the requests the API has received so far, in order: a JSON
                           array of their paths and queries
Anything else answers `unknown command`.
";

#[tokio::main]
async fn main() -> ExitCode {
    let mut service = None;
    let mut photos = 12;
    let mut folders = None;
    let mut trusted = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let count = |value: &Option<String>| value.as_deref().and_then(|n| n.parse::<usize>().ok());
        let value = args.next();
        match (arg.as_str(), value.as_deref()) {
            ("--service", Some("google-photos-picker")) => {
                service = Some(Service::GooglePhotosPicker);
            }
            ("--service", Some("microsoft-graph")) => service = Some(Service::MicrosoftGraph),
            ("--photos", _) if count(&value).is_some() => photos = count(&value).unwrap_or(photos),
            ("--folders", _) if count(&value).is_some() => folders = count(&value),
            ("--trust-userinfo", Some(url)) => trusted = Some(url.to_owned()),
            _ => {
                eprint!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let fixture = match (service, folders) {
        (Some(Service::MicrosoftGraph), Some(folders)) => {
            Fixture::start_graph(Library::nested(photos, folders)).await
        }
        (Some(service), None) => Fixture::start(service, photos).await,
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(userinfo) = trusted {
        fixture.accept_tokens_of(&userinfo);
        fixture.links_on_the_api();
    }
    println!("{}", fixture.api_root());
    println!("{}", fixture.content_origin());
    // Commands until stdin closes (read on a blocking thread: stdin has no async reader
    // here); then it serves on, until killed.
    let fixture = tokio::task::spawn_blocking(move || {
        let mut stdout = std::io::stdout();
        for command in std::io::stdin().lock().lines() {
            let Ok(command) = command else { break };
            let answer = run(&fixture, command.trim());
            if writeln!(stdout, "{answer}")
                .and_then(|()| stdout.flush())
                .is_err()
            {
                break;
            }
        }
        fixture
    })
    .await;
    let _serving = fixture;
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}

/// Runs one command from stdin; the line to answer.
fn run(fixture: &Fixture, command: &str) -> String {
    let (name, argument) = command.split_once(' ').unwrap_or((command, ""));
    match (name, argument) {
        ("expire-base-urls", "") => {
            fixture.expire_base_urls();
            "ok".into()
        }
        ("expire-picking-sessions", "") => {
            fixture.expire_picking_sessions();
            "ok".into()
        }
        ("add-photo", folder) => fixture
            .change_graph(|library| {
                library
                    .has_folder(folder)
                    .then(|| library.add_photo(folder))
            })
            .unwrap_or_else(|| "no such folder".into()),
        ("api-requests", "") => {
            let targets: Vec<String> = fixture
                .seen()
                .into_iter()
                .filter(|seen| !seen.content_server)
                .map(|seen| seen.target)
                .collect();
            serde_json::to_string(&targets).expect("strings serialise")
        }
        _ => "unknown command".into(),
    }
}
