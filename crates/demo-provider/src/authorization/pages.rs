//! The HTML pages a person sees: the consent page and the error page.
//!
//! Self-contained (inline CSS and SVG, no external resources), light and dark aware, and
//! served with headers that forbid framing and caching and send no referrer to other origins.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::authorization::account::{self, Account};
use crate::authorization::client::CLIENT_NAME;
use crate::authorization::scope;

/// Name of the provider as people see it.
pub(crate) const PROVIDER_NAME: &str = "Demo Photos";

/// The consent form's field for the account's name.
pub(crate) const ACCOUNT_NAME_FIELD: &str = "account_name";

/// The consent page for a validated request waiting under `transaction`, with the name of the
/// `suggested` account filled in.
pub(crate) fn consent(
    form_action: &str,
    transaction: &str,
    scopes: &[&str],
    redirect_uri: &str,
    suggested: &Account,
) -> Response {
    let permissions: String = scopes
        .iter()
        .map(|s| {
            format!(
                "<li>{CHECK_ICON}<span>{}</span></li>",
                escape(scope::plain_words(s))
            )
        })
        .collect();
    let body = format!(
        r#"<main class="card" aria-labelledby="title">
  <header class="brand">{LOGO}<span>{PROVIDER_NAME}</span></header>
  <h1 id="title"><strong>{CLIENT_NAME}</strong> wants to access your {PROVIDER_NAME} account</h1>
  <form method="post" action="{action}">
    <input type="hidden" name="transaction" value="{transaction}">
    <div class="account">
      <span class="avatar" aria-hidden="true">{initials}</span>
      <label class="who"><span class="name">Account name</span>
        <input type="text" name="{ACCOUNT_NAME_FIELD}" value="{name}" required maxlength="{max_name}"
          autocomplete="username" spellcheck="false" aria-describedby="account-hint"></label>
    </div>
    <p class="hint" id="account-hint">{PROVIDER_NAME} has no passwords: each name is an account of
      its own ({email} for this one). Type another name to link another account.</p>
    <section>
      <h2>This will allow {CLIENT_NAME} to:</h2>
      <ul class="permissions">{permissions}</ul>
    </section>
    <p class="note">{CLIENT_NAME} cannot change or delete your photos. You can take back its access
      at any time by disconnecting it in {CLIENT_NAME}.</p>
    <div class="buttons">
      <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
      <button type="submit" name="decision" value="approve" class="primary" autofocus>Approve</button>
    </div>
  </form>
  <p class="destination">After you choose, you will return to {CLIENT_NAME}
    (<code>{redirect}</code>).</p>
</main>"#,
        initials = escape(&suggested.initials()),
        name = escape(suggested.name()),
        email = escape(&suggested.email()),
        max_name = account::MAX_NAME_CHARS,
        action = escape(form_action),
        transaction = escape(transaction),
        redirect = escape(redirect_uri),
    );
    page(
        StatusCode::OK,
        &format!("Allow {CLIENT_NAME} to access {PROVIDER_NAME}?"),
        &body,
    )
}

/// An error page shown instead of redirecting, when the request cannot be trusted to go back.
pub(crate) fn error(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        r#"<main class="card" aria-labelledby="title">
  <header class="brand">{LOGO}<span>{PROVIDER_NAME}</span></header>
  <div class="problem">{WARNING_ICON}<h1 id="title">{title}</h1></div>
  <p>{message}</p>
  <p class="note">For your safety, {PROVIDER_NAME} did not send you back to the app. You can close
    this page.</p>
</main>"#,
        title = escape(title),
        message = escape(message),
    );
    page(status, &format!("{title} · {PROVIDER_NAME}"), &body)
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="same-origin">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
{body}
<footer>{PROVIDER_NAME} · demonstration provider running on this computer</footer>
</body>
</html>"#,
        title = escape(title),
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Not `no-referrer`: with it, browsers send `Origin: null` on the consent form's POST,
        // which the cross-site check must refuse. `same-origin` still sends nothing elsewhere.
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

const LOGO: &str = r##"<svg class="logo" viewBox="0 0 32 32" aria-hidden="true"><defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#ff9a62"/><stop offset="1" stop-color="#f6c177"/></linearGradient></defs><rect width="32" height="32" rx="8" fill="url(#sky)"/><circle cx="21" cy="11" r="4" fill="#fff4d6"/><path d="M0 26 L9 14 L15 21 L20 16 L32 27 V32 H0 Z" fill="#3d4f7a"/><path d="M0 29 L7 23 L14 28 L22 22 L32 29 V32 H0 Z" fill="#27345a"/></svg>"##;

const CHECK_ICON: &str = r#"<svg class="check" viewBox="0 0 20 20" aria-hidden="true"><circle cx="10" cy="10" r="10"/><path d="M5.5 10.5 L8.5 13.5 L14.5 7" fill="none" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>"#;

const WARNING_ICON: &str = r#"<svg class="warning" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 2 L23 21 H1 Z" stroke-linejoin="round"/><path d="M12 9 V14 M12 17.5 V18" fill="none" stroke-width="2.2" stroke-linecap="round"/></svg>"#;

const STYLE: &str = r#"
:root {
  --bg: #eef1f6; --card: #ffffff; --text: #1d2433; --muted: #5b6578; --line: #e2e6ee;
  --accent: #3b5bdb; --accent-text: #ffffff; --accent-hover: #324fc4; --chip: #f3f5f9;
  --ok: #2f9e44; --warn: #e8590c; --shadow: 0 12px 40px rgba(20, 30, 60, .12);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151c; --card: #1b2029; --text: #e8ebf2; --muted: #9aa3b5; --line: #2c3340;
    --accent: #6b8cff; --accent-text: #0c1020; --accent-hover: #86a0ff; --chip: #232a35;
    --ok: #51cf66; --warn: #ff922b; --shadow: 0 12px 40px rgba(0, 0, 0, .45);
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; }
body {
  min-height: 100vh; display: flex; flex-direction: column; align-items: center;
  justify-content: center; gap: 20px; padding: 24px 16px; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.card {
  width: 100%; max-width: 440px; background: var(--card); border: 1px solid var(--line);
  border-radius: 16px; box-shadow: var(--shadow); padding: 28px 28px 22px;
}
.brand { display: flex; align-items: center; gap: 10px; font-weight: 600; color: var(--muted); }
.logo { width: 32px; height: 32px; }
h1 { font-size: 20px; line-height: 1.35; margin: 18px 0 16px; font-weight: 600; }
h2 { font-size: 14px; font-weight: 600; margin: 20px 0 8px; color: var(--muted); }
.account {
  display: flex; align-items: center; gap: 12px; padding: 10px 12px; border-radius: 12px;
  background: var(--chip); border: 1px solid var(--line);
}
.avatar {
  width: 38px; height: 38px; border-radius: 50%; display: grid; place-items: center;
  background: linear-gradient(135deg, #845ef7, #ff8787); color: #fff; font-weight: 700; font-size: 14px;
}
.who { display: flex; flex-direction: column; gap: 4px; min-width: 0; flex: 1; }
.name { font-weight: 600; font-size: 13px; color: var(--muted); }
.who input {
  font: inherit; font-weight: 600; color: var(--text); background: var(--card); width: 100%;
  border: 1px solid var(--line); border-radius: 8px; padding: 6px 10px;
}
.who input:focus-visible { outline: 3px solid var(--accent); outline-offset: 1px; }
.hint { color: var(--muted); font-size: 13px; margin: 8px 2px 0; overflow-wrap: anywhere; }
.permissions { list-style: none; margin: 0; padding: 0; }
.permissions li { display: flex; align-items: center; gap: 10px; padding: 8px 0; border-bottom: 1px solid var(--line); }
.permissions li:last-child { border-bottom: 0; }
.check { width: 20px; height: 20px; flex: none; }
.check circle { fill: var(--ok); }
.check path { stroke: #fff; }
.note { color: var(--muted); font-size: 13px; margin: 16px 0; }
.buttons { display: flex; gap: 12px; justify-content: flex-end; margin-top: 8px; }
button {
  font: inherit; font-weight: 600; border-radius: 10px; padding: 10px 22px; cursor: pointer;
  border: 1px solid var(--line); min-width: 112px;
}
button.secondary { background: transparent; color: var(--text); }
button.secondary:hover { background: var(--chip); }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
button.primary:hover { background: var(--accent-hover); }
button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.destination { color: var(--muted); font-size: 12px; margin: 18px 0 0; overflow-wrap: anywhere; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.problem { display: flex; align-items: center; gap: 12px; margin-top: 16px; }
.problem h1 { margin: 0; }
.warning { width: 28px; height: 28px; flex: none; }
.warning path:first-child { fill: var(--warn); }
.warning path:last-child { stroke: #fff; }
footer { color: var(--muted); font-size: 12px; text-align: center; }
"#;

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
