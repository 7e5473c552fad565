//! Server-supplied text that may be shown (in an error, and so in a window or a log): the one
//! place it is made safe.
//!
//! A server, or a forged callback, chooses this text, and a provider that echoes a request
//! or answers in an unexpected format may put live tokens in it. So, in this order:
//! control and invisible formatting characters become spaces; every run that looks like a
//! token becomes `[hidden]`; whitespace is collapsed; the result is capped in length.
//!
//! "Looks like a token": at least [`TOKEN_LIKE_RUN`] characters from the alphabets tokens are
//! written in (base64, base64url, hex, JWT dots, percent-encoding) with a digit or a capital
//! letter among them. Lower-case words and addresses such as
//! `https://docs.example.com/errors/invalid_grant` stay readable; random values practically
//! always contain a digit or a capital.

/// Longest shown text, in characters (longer text is cut and ends in `…`).
const MAX_TEXT_CHARS: usize = 200;
/// Longest shown code (`error`, `token_type`), in characters.
const MAX_CODE_CHARS: usize = 64;
/// Shortest run of token characters taken for a token.
const TOKEN_LIKE_RUN: usize = 16;
/// What a token-like run is replaced with.
const HIDDEN: &str = "[hidden]";

/// Free server text (`error_description`, `error_uri`, a problem report's title or detail,
/// an issuer named in a response), safe to show.
pub(crate) fn text(raw: &str) -> String {
    let visible: String = raw
        .chars()
        .map(|c| if is_invisible(c) { ' ' } else { c })
        .collect();
    let revealed = hide_token_like_runs(&visible);
    let collapsed = revealed.split_whitespace().collect::<Vec<_>>().join(" ");
    cap(&collapsed, MAX_TEXT_CHARS)
}

/// A server-chosen code (`error`, `token_type`), safe to show: only the characters codes are
/// made of (RFC 6749 §5.2 allows a little more, never needed in practice), capped, and hidden
/// when it looks like a token.
pub(crate) fn code(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
        .collect();
    cap(&hide_token_like_runs(&kept), MAX_CODE_CHARS)
}

/// Control characters and the invisible ones that can reorder or hide text (bidirectional
/// overrides, zero-width characters, byte order mark).
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// A character tokens are written with.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/' | '=' | '%')
}

fn hide_token_like_runs(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, shown: &mut String| {
        if looks_like_token(run) {
            shown.push_str(HIDDEN);
        } else {
            shown.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut shown);
            shown.push(c);
        }
    }
    flush(&mut run, &mut shown);
    shown
}

fn looks_like_token(run: &str) -> bool {
    run.chars().count() >= TOKEN_LIKE_RUN
        && run
            .chars()
            .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

/// At most `max` characters; a cut is marked with `…`.
fn cap(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_and_documentation_addresses_stay_readable() {
        assert_eq!(text("code already used"), "code already used");
        assert_eq!(
            text("https://docs.example.com/errors/invalid_grant"),
            "https://docs.example.com/errors/invalid_grant"
        );
        assert_eq!(code("invalid_grant"), "invalid_grant");
        assert_eq!(code("Bearer"), "Bearer");
    }

    #[test]
    fn token_like_runs_are_hidden() {
        assert_eq!(
            text("refresh token tGzv3JOkF0XG5Qx2TlKWIA was revoked"),
            "refresh token [hidden] was revoked"
        );
        assert_eq!(
            text("access_token=2YotnFZFEjr1zCsicMWpAA&token_type=bearer"),
            "[hidden]&token_type=bearer"
        );
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl";
        assert_eq!(text(&format!("id token {jwt}")), "id token [hidden]");
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(text(hex), "[hidden]");
        assert_eq!(code("tGzv3JOkF0XG5Qx2TlKWIA"), "[hidden]");
    }

    #[test]
    fn control_and_invisible_characters_are_removed() {
        assert_eq!(
            text("line one\r\nline\u{7}two\u{202E}"),
            "line one line two"
        );
        assert_eq!(code("invalid_grant\n\u{7}"), "invalid_grant");
        assert_eq!(code("bad code!<script>"), "badcodescript");
    }

    #[test]
    fn text_is_capped() {
        let long = "word ".repeat(1000);
        let shown = text(&long);
        assert_eq!(shown.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert!(code(&"x".repeat(1000)).chars().count() <= MAX_CODE_CHARS + 1);
    }
}
