//! Plays the person at the demo provider's consent page, over HTTP instead of a browser, with
//! the provider's own driver (`photolink_demo_provider::consent_page`).

use photolink_demo_provider::consent_page;
use url::Url;

pub use photolink_demo_provider::consent_page::Decision;

/// Opens `authorize_url`, answers the consent form, and returns the callback URL the provider
/// redirects to.
pub async fn decide(authorize_url: &Url, decision: Decision) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    consent_page::decide(&http, authorize_url, decision)
        .await
        .unwrap_or_else(|error| panic!("the consent page is answered: {error}"))
}
