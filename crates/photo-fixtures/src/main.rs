//! `photolink-photo-fixture`: runs a fixture of a photo API on 127.0.0.1 until killed, for the
//! end-to-end tests. Prints the API root on the first line of stdout and the content server's
//! origin on the second; logs nothing else.

use std::process::ExitCode;

use photolink_photo_fixtures::{Fixture, Service};

const USAGE: &str = "\
Usage: photolink-photo-fixture --service google-photos-picker [--photos <N>] [--trust-userinfo <URL>]

Runs a fixture of a documented photo API on 127.0.0.1 (a test fixture, not the service) and
prints its API root and its content server's origin on stdout. Stops when killed.

Options:
  --service <NAME>        The API: google-photos-picker
  --photos <N>            Photos the account holds (default 12)
  --trust-userinfo <URL>  Accept the access tokens this userinfo endpoint answers 200 to, and
                          hand out base URLs on the API's own origin (for an app signed in
                          at another issuer, which sends its token only to the API)
";

#[tokio::main]
async fn main() -> ExitCode {
    let mut service = None;
    let mut photos = 12;
    let mut trusted = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--service", Some(name)) if name == "google-photos-picker" => {
                service = Some(Service::GooglePhotosPicker);
            }
            ("--photos", Some(count)) if count.parse::<usize>().is_ok() => {
                photos = count.parse().unwrap_or(photos);
            }
            ("--trust-userinfo", Some(url)) => trusted = Some(url),
            _ => {
                eprint!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(service) = service else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let fixture = Fixture::start(service, photos).await;
    if let Some(userinfo) = trusted {
        fixture.accept_tokens_of(&userinfo);
        fixture.links_on_the_api();
    }
    println!("{}", fixture.api_root());
    println!("{}", fixture.content_origin());
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
