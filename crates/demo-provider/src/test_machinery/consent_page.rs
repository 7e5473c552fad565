//! Plays the person at the consent page, over HTTP instead of a browser: GET the authorization
//! URL, read the form, POST the decision the way a browser submits it from the page, and return
//! the redirect's `Location`. Every test that signs in through the demo provider uses this one.
//!
//! ```no_run
//! # async fn demo(authorize_url: url::Url) -> Result<(), photolink_demo_provider::consent_page::ConsentPageError> {
//! use photolink_demo_provider::consent_page;
//!
//! let http = reqwest::Client::builder()
//!     .redirect(reqwest::redirect::Policy::none())
//!     .build()?;
//! let callback = consent_page::approve(&http, &authorize_url).await?;
//! # Ok(())
//! # }
//! ```

use reqwest::StatusCode;
use reqwest::header::{HeaderValue, ORIGIN};
use url::Url;

/// What the person clicks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

impl Decision {
    /// The value of the form's button for this decision.
    fn value(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Deny => "deny",
        }
    }
}

/// Why the consent page could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum ConsentPageError {
    #[error("cannot reach the consent page: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the consent page answered {0}")]
    Page(StatusCode),
    #[error("no form on the consent page")]
    NoForm,
    #[error("the consent form's action is not a URL: {0}")]
    Action(#[from] url::ParseError),
    #[error("no {0:?} button in the consent form")]
    NoButton(Decision),
    #[error("the decision was answered {0}, not a redirect")]
    NotRedirected(StatusCode),
    #[error("the decision's redirect has no usable Location")]
    NoLocation,
}

/// [`decide`] with [`Decision::Approve`].
pub async fn approve(
    http: &reqwest::Client,
    authorize_url: &Url,
) -> Result<String, ConsentPageError> {
    decide(http, authorize_url, Decision::Approve).await
}

/// [`decide`] with [`Decision::Approve`], signing in as the demo account `account_name` (typed
/// into the page's name field).
pub async fn approve_as(
    http: &reqwest::Client,
    authorize_url: &Url,
    account_name: &str,
) -> Result<String, ConsentPageError> {
    answer(http, authorize_url, Decision::Approve, Some(account_name)).await
}

/// Opens `authorize_url` with `http` (which must not follow redirects), answers the consent
/// form with `decision`, and returns the callback URL the provider redirects to.
///
/// The decision is posted with every hidden field of the form and the decision's button, with
/// `Origin` and `Sec-Fetch-Site: same-origin` as a browser submitting the page's form sends them.
pub async fn decide(
    http: &reqwest::Client,
    authorize_url: &Url,
    decision: Decision,
) -> Result<String, ConsentPageError> {
    answer(http, authorize_url, decision, None).await
}

/// Answers the consent page with `decision`, as the demo account `account_name` when given
/// (else the page's own default).
async fn answer(
    http: &reqwest::Client,
    authorize_url: &Url,
    decision: Decision,
    account_name: Option<&str>,
) -> Result<String, ConsentPageError> {
    let page = http.get(authorize_url.clone()).send().await?;
    if page.status() != StatusCode::OK {
        return Err(ConsentPageError::Page(page.status()));
    }
    let form = ConsentForm::parse(&page.text().await?).ok_or(ConsentPageError::NoForm)?;
    let action = authorize_url.join(&form.action)?;
    let mut fields = form.hidden;
    let button = form
        .buttons
        .into_iter()
        .find(|(_, value)| value == decision.value())
        .ok_or(ConsentPageError::NoButton(decision))?;
    fields.push(button);
    if let Some(name) = account_name {
        fields.push(("account_name".into(), name.into()));
    }
    let origin = HeaderValue::from_str(&action.origin().ascii_serialization())
        .map_err(|_| ConsentPageError::NoForm)?;
    let answer = http
        .post(action)
        .header(ORIGIN, origin)
        .header("Sec-Fetch-Site", "same-origin")
        .form(&fields)
        .send()
        .await?;
    if !answer.status().is_redirection() {
        return Err(ConsentPageError::NotRedirected(answer.status()));
    }
    let location = answer
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|location| location.to_str().ok())
        .ok_or(ConsentPageError::NoLocation)?;
    Ok(location.to_owned())
}

/// The parts of the consent form that matter.
#[derive(Debug)]
struct ConsentForm {
    action: String,
    hidden: Vec<(String, String)>,
    buttons: Vec<(String, String)>,
}

impl ConsentForm {
    fn parse(html: &str) -> Option<Self> {
        let form = tags(html, "form").into_iter().next()?;
        let hidden = tags(html, "input")
            .into_iter()
            .filter(|tag| attribute(tag, "type").as_deref() == Some("hidden"))
            .filter_map(|tag| {
                Some((
                    attribute(tag, "name")?,
                    attribute(tag, "value").unwrap_or_default(),
                ))
            })
            .collect();
        let buttons = tags(html, "button")
            .into_iter()
            .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
            .collect();
        Some(Self {
            action: attribute(form, "action").unwrap_or_default(),
            hidden,
            buttons,
        })
    }
}

/// The text inside every `<name …>` opening tag.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let opening = format!("<{name}");
    html.match_indices(&opening)
        .filter_map(|(start, _)| {
            let rest = &html[start + opening.len()..];
            let end = rest.find('>')?;
            rest.starts_with(char::is_whitespace).then(|| &rest[..end])
        })
        .collect()
}

/// A double-quoted attribute of a tag, with the entities the provider's pages use unescaped.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = start + tag[start..].find('"')?;
    Some(
        tag[start..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&#x2F;", "/")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_parser_reads_fields_and_buttons() {
        let html = r#"<form method="post" action="http://127.0.0.1:1/authorize?a=1&amp;b=2">
          <input type="hidden" name="transaction" value="t&amp;1">
          <button type="submit" name="decision" value="deny">Deny</button>
          <button type="submit" name="decision" value="approve" autofocus>Approve</button></form>"#;
        let form = ConsentForm::parse(html).expect("a form");
        assert_eq!(form.action, "http://127.0.0.1:1/authorize?a=1&b=2");
        assert_eq!(form.hidden, [("transaction".to_owned(), "t&1".to_owned())]);
        assert_eq!(
            form.buttons,
            [
                ("decision".to_owned(), "deny".to_owned()),
                ("decision".to_owned(), "approve".to_owned())
            ]
        );
    }

    #[test]
    fn a_page_without_a_form_is_not_a_consent_form() {
        assert!(ConsentForm::parse("<p>Something went wrong</p>").is_none());
    }
}
