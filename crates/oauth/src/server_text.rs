//! Server-supplied text that may be shown (in an error, and so in a window or a log): the one
//! place it is made safe.
//!
//! A server, or a forged callback, chooses this text, and a provider that echoes a request
//! or answers in an unexpected format may put live tokens in it. So, in this order:
//! control and invisible formatting characters become spaces; every word (a run without
//! whitespace) that does not look written by a person becomes `[hidden]`, whole; whitespace
//! is collapsed; the result is capped in length.
//!
//! Tokens never contain whitespace, so a token lies inside one word, and that word is shown
//! or hidden as a whole: separators (`! * $ : , @`, as in Microsoft refresh tokens) cannot
//! split a token into pieces that pass one by one. A word shorter than
//! [`SHORTEST_HIDDEN_WORD`] characters is shown: it cannot hold that much of a secret. A
//! longer one is shown only when it looks written ([`looks_written`]): words, numbers and
//! ordinary addresses such as `https://docs.example.com/errors/invalid_grant`, joined by a
//! few punctuation marks. Random values, whatever their alphabet (all lower-case ones too),
//! practically never do; a long written word that is not on a short list of known ones
//! ([`LONG_WORDS`]) is hidden with them, which costs readability, never a secret.

/// Longest shown text, in characters (longer text is cut and ends in `…`).
const MAX_TEXT_CHARS: usize = 200;
/// Longest shown code (`error`, `token_type`), in characters.
const MAX_CODE_CHARS: usize = 64;
/// Shortest word that is hidden unless it looks written.
const SHORTEST_HIDDEN_WORD: usize = 12;
/// What a hidden word is replaced with.
const HIDDEN: &str = "[hidden]";
/// Marks that join the parts of a written word or address (`invalid_grant`, `e-mail`,
/// `client's`, `docs.example.com/errors?code=x&lang=en`).
const JOINERS: &[char] = &[
    '_', '-', '.', '/', ':', '\'', '?', '=', '&', '#', '~', '%', '+', '@',
];
/// Marks a written word may open with (at most two are set aside).
const OPENING_MARKS: &[char] = &['(', '[', '"', '\''];
/// Marks a written word may end with (at most two are set aside).
const CLOSING_MARKS: &[char] = &['.', ',', ';', ':', '!', '?', ')', ']', '"', '\''];
/// Written words of more than [`SHORTEST_HIDDEN_WORD`] - 1 letters that OAuth servers use in
/// their error texts. Any other letter run that long is hidden.
const LONG_WORDS: &[&str] = &[
    "administrator",
    "applications",
    "authentication",
    "authorization",
    "configuration",
    "insufficient",
    "introspection",
    "organization",
    "registration",
    "subscription",
    "successfully",
    "unauthorized",
    "verification",
];

/// Free server text (`error_description`, `error_uri`, a problem report's title or detail,
/// an issuer named in a response), safe to show.
pub(crate) fn text(raw: &str) -> String {
    let visible = visible(raw);
    let shown: Vec<&str> = visible.split_whitespace().map(shown_word).collect();
    cap(&shown.join(" "), MAX_TEXT_CHARS)
}

/// Server text that is content, not a message (a photo's title, a date), shown as written:
/// control and invisible formatting characters become spaces, whitespace is collapsed, and at
/// most `max_chars` characters are kept (a cut ends in `…`). No word is hidden, so text that
/// might echo a request or a token goes through the error path instead.
pub fn shown_text(raw: &str, max_chars: usize) -> String {
    let visible = visible(raw);
    let words: Vec<&str> = visible.split_whitespace().collect();
    cap(&words.join(" "), max_chars)
}

/// Text this side chose (a configured issuer, or one derived from it), safe to show: cleaned
/// as [`shown_text`], at most [`MAX_TEXT_CHARS`] characters. No word is hidden: it holds no
/// secret, and a tenant's identifier in it must stay readable.
pub(crate) fn configured(raw: &str) -> String {
    shown_text(raw, MAX_TEXT_CHARS)
}

/// A name or e-mail address a server gives for the account (userinfo, an ID token), which a
/// window shows: cleaned as [`shown_text`], at most [`MAX_TEXT_CHARS`] characters; `None` when
/// nothing visible is left.
pub(crate) fn account_detail(raw: &str) -> Option<String> {
    Some(shown_text(raw, MAX_TEXT_CHARS)).filter(|shown| !shown.is_empty())
}

/// A server-chosen code (`error`, `token_type`), safe to show: each word hidden as in
/// [`text`], then only the characters codes are made of (RFC 6749 §5.2 allows a little more,
/// never needed in practice), without spaces, capped.
pub(crate) fn code(raw: &str) -> String {
    let kept: String = raw
        .split(|c: char| c.is_whitespace() || is_invisible(c))
        .map(|word| match shown_word(word) {
            HIDDEN => HIDDEN.to_owned(),
            word => word.chars().filter(|c| is_code_char(*c)).collect(),
        })
        .collect();
    cap(&kept, MAX_CODE_CHARS)
}

fn is_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

/// `raw` with its control and invisible characters turned into spaces.
fn visible(raw: &str) -> String {
    raw.chars()
        .map(|c| if is_invisible(c) { ' ' } else { c })
        .collect()
}

/// Control characters and the invisible ones that can reorder or hide text (bidirectional
/// marks and overrides, zero-width characters, soft hyphens, byte order mark).
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

fn shown_word(word: &str) -> &str {
    if looks_written(word) { word } else { HIDDEN }
}

/// A word that may be shown: short, or made only of written parts. Up to two opening and two
/// closing marks are set aside, and an `http(s)://` prefix. The rest is parts joined by single
/// [`JOINERS`] (outside an address, at most one joiner for every two other characters, so
/// that `a.1.b.2` is not a word; an address's host may be an IP address); braces, as in an issuer
/// template's `{tenantid}`, are passed over. Each part is letters followed by at most five
/// digits, and at most one part of a word is a single letter and at most one an acronym
/// (two to four capitals).
fn looks_written(word: &str) -> bool {
    if word.chars().count() < SHORTEST_HIDDEN_WORD {
        return true;
    }
    let core = strip_marks(word);
    let body = ["https://", "http://"]
        .iter()
        .find_map(|scheme| core.strip_prefix(scheme))
        .unwrap_or(core);
    let parts: Vec<&str> = body.split(JOINERS).collect();
    // Outside addresses (whose hosts may be IP addresses), joiners stay between words.
    let joiners = parts.len() - 1;
    if body.len() == core.len() && joiners * 3 > body.chars().count() {
        return false;
    }
    let mut shape = WordShape::default();
    parts.iter().all(|part| {
        let part: String = part.chars().filter(|c| !matches!(c, '{' | '}')).collect();
        !part.is_empty() && shape.admits(&part)
    })
}

/// `word` without up to two opening and two closing marks.
fn strip_marks(word: &str) -> &str {
    let mut core = word;
    for _ in 0..2 {
        core = core.strip_prefix(OPENING_MARKS).unwrap_or(core);
        core = core.strip_suffix(CLOSING_MARKS).unwrap_or(core);
    }
    core
}

/// What the parts of one word seen so far were: a word may have one single letter and one
/// acronym, not a string of them.
#[derive(Default)]
struct WordShape {
    single_letters: usize,
    acronyms: usize,
}

impl WordShape {
    /// One part of a word: letters, then at most five digits.
    fn admits(&mut self, part: &str) -> bool {
        let letters_end = part
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(part.len());
        let (letters, digits) = part.split_at(letters_end);
        digits.len() <= 5
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (letters.is_empty() || self.admits_letters(letters))
    }

    fn admits_letters(&mut self, letters: &str) -> bool {
        // Tokens are written in ASCII (RFC 6749 Appendix A): other letters are a language's.
        // The ASCII letters beside them must still be short and lower-case after the first.
        if !letters.is_ascii() {
            return letters
                .split(|c: char| !c.is_ascii())
                .enumerate()
                .all(|(run, ascii)| {
                    ascii.len() < SHORTEST_HIDDEN_WORD
                        && ascii
                            .bytes()
                            .enumerate()
                            .all(|(at, b)| b.is_ascii_lowercase() || (run == 0 && at == 0))
                });
        }
        let length = letters.len();
        if length == 1 {
            self.single_letters += 1;
            return self.single_letters <= 1;
        }
        if letters.bytes().all(|b| b.is_ascii_uppercase()) {
            self.acronyms += 1;
            return length <= 4 && self.acronyms <= 1;
        }
        if !letters.bytes().skip(1).all(|b| b.is_ascii_lowercase()) {
            return false;
        }
        if length >= SHORTEST_HIDDEN_WORD {
            return LONG_WORDS
                .iter()
                .any(|known| known.eq_ignore_ascii_case(letters));
        }
        length < 3 || letters.eq_ignore_ascii_case("www") || is_pronounceable(letters)
    }
}

/// Has a vowel, and never more than three consonants or three vowels in a row.
fn is_pronounceable(letters: &str) -> bool {
    let (mut vowels, mut consonants, mut any_vowel) = (0, 0, false);
    for b in letters.bytes() {
        if matches!(
            b.to_ascii_lowercase(),
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
        ) {
            (vowels, consonants, any_vowel) = (vowels + 1, 0, true);
        } else {
            (vowels, consonants) = (0, consonants + 1);
        }
        if vowels > 3 || consonants > 3 {
            return false;
        }
    }
    any_vowel
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
        for address in [
            "https://docs.example.com/errors/invalid_grant",
            "(https://developers.google.com/identity/protocols/oauth2).",
            "https://docs.example.com/errors?code=invalid_grant&lang=en-US",
            "http://127.0.0.1:8080/oauth/token",
            "http://127.0.0.2:9",
            "https://login.example.com/{tenantid}/v2.0",
        ] {
            assert_eq!(text(address), address);
        }
        assert_eq!(
            text("The authorization code expired: temporarily_unavailable, interaction_required."),
            "The authorization code expired: temporarily_unavailable, interaction_required."
        );
        assert_eq!(code("invalid_grant"), "invalid_grant");
        assert_eq!(code("temporarily_unavailable"), "temporarily_unavailable");
        assert_eq!(code("Bearer"), "Bearer");
    }

    #[test]
    fn random_looking_words_are_hidden_whole() {
        assert_eq!(
            text("refresh token tGzv3JOkF0XG5Qx2TlKWIA was revoked"),
            "refresh token [hidden] was revoked"
        );
        assert_eq!(
            text("access_token=2YotnFZFEjr1zCsicMWpAA&token_type=bearer"),
            "[hidden]"
        );
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl";
        assert_eq!(text(&format!("id token {jwt}")), "id token [hidden]");
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(text(hex), "[hidden]");
        assert_eq!(code("tGzv3JOkF0XG5Qx2TlKWIA"), "[hidden]");
    }

    #[test]
    fn separators_inside_a_token_do_not_split_it() {
        // The shape of a Microsoft consumer refresh token: `!`, `*` and `$` inside.
        let microsoft = "M.C507_BAY.0.U.-CsI3lnk!*$Q9wOuV2bT!Xd*kP$";
        assert_eq!(
            text(&format!("refresh token {microsoft} expired")),
            "refresh token [hidden] expired"
        );
        assert_eq!(text("a:b,c@d!e*f$g:h,i@j!k*l$m"), "[hidden]");
        assert_eq!(code(microsoft), "[hidden]");
    }

    #[test]
    fn lower_case_tokens_are_hidden() {
        assert_eq!(
            text("token qhvsuvyocrahwxjtpe was revoked"),
            "token [hidden] was revoked"
        );
        assert_eq!(code("qhvsuvyocrahwxjtpe"), "[hidden]");
        assert_eq!(text("qhvsuvyocrahwxjtpeÀ"), "[hidden]");
        assert_eq!(
            text("Ungültige Anmeldung übermittelt"),
            "Ungültige Anmeldung übermittelt"
        );
    }

    #[test]
    fn control_and_invisible_characters_are_removed() {
        assert_eq!(
            text("line one\r\nline\u{7}two\u{202E}\u{AD}three"),
            "line one line two three"
        );
        assert_eq!(code("invalid_grant\n\u{7}"), "invalid_grant");
        assert_eq!(code("bad code!<script>"), "bad[hidden]");
        assert_eq!(code("bad <b>"), "badb");
    }

    #[test]
    fn shown_text_keeps_every_visible_word_and_is_capped() {
        assert_eq!(
            shown_text(" IMG_20240101_123456.jpg\u{202E}\u{00AD}\n\tSea view ", 200),
            "IMG_20240101_123456.jpg Sea view"
        );
        assert_eq!(shown_text("\u{200B}\u{0007}", 200), "");
        assert_eq!(shown_text("été à la mer", 4), "été …");
    }

    #[test]
    fn account_details_are_cleaned_and_none_when_nothing_is_visible() {
        assert_eq!(
            account_detail("\u{202E}Alex\n\tRivera\u{200B}").as_deref(),
            Some("Alex Rivera")
        );
        assert_eq!(account_detail("\u{200B}\u{0007} "), None);
        let long = account_detail(&"a".repeat(1000)).unwrap();
        assert_eq!(long.chars().count(), MAX_TEXT_CHARS + 1);
    }

    #[test]
    fn text_is_capped() {
        let long = "word ".repeat(1000);
        let shown = text(&long);
        assert_eq!(shown.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(code(&"ab".repeat(1000)), "[hidden]");
        assert_eq!(
            code(&"ab ".repeat(1000)).chars().count(),
            MAX_CODE_CHARS + 1
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// A random secret: any visible ASCII (every separator), lower-case letters only,
        /// base64url, hex, or the shape of a Microsoft refresh token.
        fn secret() -> impl Strategy<Value = String> {
            prop_oneof![
                "[!-~]{20,64}",
                "[a-z]{16,64}",
                "[A-Za-z0-9_-]{20,64}",
                "[0-9a-f]{20,64}",
                "M\\.C5[0-9]{2}_BAY\\.0\\.U\\.-[A-Za-z0-9!*$]{40,60}",
            ]
        }

        /// What may stand next to a secret: nothing, whitespace, an invisible character or
        /// a separator.
        fn separator() -> impl Strategy<Value = String> {
            prop_oneof![
                Just(String::new()),
                "[ \t\n\u{200B}!*$:,@=&;/\"'()<>\\[\\]{}]"
            ]
        }

        /// Every run of 12 characters of `secret`.
        fn windows(secret: &str) -> Vec<String> {
            let chars: Vec<char> = secret.chars().collect();
            chars.windows(12).map(|w| w.iter().collect()).collect()
        }

        fn is_shown_char(c: char) -> bool {
            !c.is_control() && !is_invisible(c)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn no_12_characters_of_a_secret_are_shown(
                before in ".{0,40}",
                secret in secret(),
                separators in (separator(), separator()),
                after in ".{0,40}",
            ) {
                let raw = format!("{before}{}{secret}{}{after}", separators.0, separators.1);
                let shown = text(&raw);
                let shown_code = code(&raw);
                for window in windows(&secret) {
                    prop_assert!(!shown.contains(&window), "{:?} shows {:?}", shown, window);
                    prop_assert!(!shown_code.contains(&window), "{:?} shows {:?}", shown_code, window);
                }
            }

            #[test]
            fn any_text_is_capped_visible_and_made_of_its_own_words(
                chars in proptest::collection::vec(any::<char>(), 0..600),
                bytes in proptest::collection::vec(any::<u8>(), 0..1200),
            ) {
                for raw in [chars.into_iter().collect::<String>(), String::from_utf8_lossy(&bytes).into_owned()] {
                    let shown = text(&raw);
                    prop_assert!(shown.chars().count() <= MAX_TEXT_CHARS + 1);
                    prop_assert!(shown.chars().all(is_shown_char), "{:?}", shown);
                    prop_assert_eq!(shown.trim(), shown.as_str());
                    // Nothing is invented: every whole word shown was a word of the input.
                    let whole = shown.strip_suffix('…').map_or(shown.as_str(), |cut| cut.rsplit_once(' ').map_or("", |(whole, _)| whole));
                    for word in whole.split(' ').filter(|w| !w.is_empty() && *w != HIDDEN) {
                        prop_assert!(raw.contains(word), "{:?} is not in the input", word);
                    }
                    let shown_code = code(&raw);
                    prop_assert!(shown_code.chars().count() <= MAX_CODE_CHARS + 1);
                    prop_assert!(
                        shown_code.chars().all(|c| is_code_char(c) || matches!(c, '[' | ']' | '…')),
                        "{:?}", shown_code
                    );
                }
            }
        }
    }
}
