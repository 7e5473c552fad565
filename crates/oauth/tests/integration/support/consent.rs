//! Plays the person at the demo provider's consent page, over HTTP instead of a browser:
//! GET the authorization URL, read the form, POST a decision, return the redirect's Location.

use url::Url;

/// What the person clicks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

impl Decision {
    fn value(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Deny => "deny",
        }
    }
}

/// Opens `authorize_url`, answers the consent form, and returns the callback URL the provider
/// redirects to.
pub async fn decide(authorize_url: &Url, decision: Decision) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(authorize_url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200, "the consent page is shown");
    let html = page.text().await.unwrap();
    let form = ConsentForm::parse(&html);
    let action = authorize_url.join(&form.action).unwrap();

    let mut fields = form.hidden.clone();
    let button = form
        .buttons
        .iter()
        .find(|(_, value)| value == decision.value())
        .unwrap_or_else(|| panic!("no {decision:?} button in the consent form"));
    fields.push(button.clone());
    let answer = http.post(action).form(&fields).send().await.unwrap();
    assert!(
        answer.status().is_redirection(),
        "decision answered with {}",
        answer.status()
    );
    answer.headers()["location"].to_str().unwrap().to_owned()
}

/// The parts of the consent form that matter.
#[derive(Debug)]
struct ConsentForm {
    action: String,
    hidden: Vec<(String, String)>,
    buttons: Vec<(String, String)>,
}

impl ConsentForm {
    fn parse(html: &str) -> Self {
        let form = tags(html, "form")
            .into_iter()
            .next()
            .expect("a form on the consent page");
        let hidden = tags(html, "input")
            .into_iter()
            .filter(|tag| attribute(tag, "type").as_deref() == Some("hidden"))
            .filter_map(|tag| {
                Some((
                    attribute(&tag, "name")?,
                    attribute(&tag, "value").unwrap_or_default(),
                ))
            })
            .collect();
        let buttons = tags(html, "button")
            .into_iter()
            .filter_map(|tag| Some((attribute(&tag, "name")?, attribute(&tag, "value")?)))
            .collect();
        Self {
            action: attribute(&form, "action").unwrap_or_default(),
            hidden,
            buttons,
        }
    }
}

/// The text inside every `<name …>` opening tag.
fn tags(html: &str, name: &str) -> Vec<String> {
    let opening = format!("<{name}");
    html.match_indices(&opening)
        .filter_map(|(start, _)| {
            let rest = &html[start + opening.len()..];
            let end = rest.find('>')?;
            rest.starts_with(char::is_whitespace)
                .then(|| rest[..end].to_owned())
        })
        .collect()
}

/// A double-quoted attribute of a tag, unescaped.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[test]
fn the_form_parser_reads_fields_and_buttons() {
    let html = r#"<form method="post" action="http://127.0.0.1:1/authorize?a=1&amp;b=2">
      <input type="hidden" name="transaction" value="t&amp;1">
      <button type="submit" name="decision" value="deny">Deny</button>
      <button type="submit" name="decision" value="approve" autofocus>Approve</button></form>"#;
    let form = ConsentForm::parse(html);
    assert_eq!(form.action, "http://127.0.0.1:1/authorize?a=1&b=2");
    assert_eq!(form.hidden, [("transaction".to_owned(), "t&1".to_owned())]);
    assert_eq!(form.buttons.len(), 2);
}
