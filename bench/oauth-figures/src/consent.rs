//! Plays the person at the demo provider's consent page, over HTTP instead of a browser: GET the
//! authorization URL, read the form, POST "approve", return the redirect's `Location`.

use url::Url;

use crate::{Provider, Result};

/// Opens `authorize_url`, approves, and returns the callback URL the provider redirects to.
pub async fn approve(provider: &Provider, authorize_url: &Url) -> Result<String> {
    let http = provider.http();
    let page = http.get(authorize_url.clone()).send().await?;
    if page.status() != 200 {
        return Err(format!("the consent page answered {}", page.status()).into());
    }
    let html = page.text().await?;
    let form = tag(&html, "form").ok_or("no form on the consent page")?;
    let action = authorize_url.join(&attribute(form, "action").unwrap_or_default())?;
    let transaction = tags(&html, "input")
        .into_iter()
        .find(|input| attribute(input, "name").as_deref() == Some("transaction"))
        .and_then(|input| attribute(input, "value"))
        .ok_or("no transaction field in the consent form")?;
    let answer = http
        .post(action)
        .form(&[
            ("transaction", transaction.as_str()),
            ("decision", "approve"),
        ])
        .send()
        .await?;
    if !answer.status().is_redirection() {
        return Err(format!("approving answered {}", answer.status()).into());
    }
    let location = answer
        .headers()
        .get("location")
        .ok_or("approving answered no Location")?;
    Ok(location.to_str()?.to_owned())
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

fn tag<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    tags(html, name).into_iter().next()
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
