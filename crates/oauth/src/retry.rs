//! When a request that failed for a passing reason is tried again: the statuses that may pass,
//! the `Retry-After` header, and the bounded backoff of resource requests.
//!
//! Only resource requests ([`Session::authorized_get`](crate::Session::authorized_get), a GET
//! that changes nothing) are retried by this crate. Token requests are not: a code is single
//! use and a refresh token may have been rotated by an answer that never arrived, so sending
//! either again could spend the code or revoke the grant. Their errors carry the server's
//! `Retry-After` instead ([`Error::retry_after`](crate::Error::retry_after)), for the app to
//! offer a retry.

use std::time::{Duration, SystemTime};

/// How a resource request is retried after an answer with a passing status (5xx or 429).
///
/// The wait before retry `n` (counting from 0) is `first_backoff × 2ⁿ`, at most `max_wait`,
/// and never shorter than the server's `Retry-After`. A `Retry-After` longer than `max_wait`
/// ends the retries at once: asking again sooner than the server said would not help, and the
/// error carries the hint for the app to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2, so at most 3 requests).
    pub max_retries: u32,
    /// The wait before the first retry, doubled before each further one (default 500 ms).
    pub first_backoff: Duration,
    /// The longest wait before a retry (default 10 s).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            first_backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// How long to wait before trying again, after `retries_done` retries ended in an answer
    /// with `status` and `retry_after`; `None` when the answer stands.
    pub(crate) fn wait_before_retry(
        &self,
        retries_done: u32,
        status: u16,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if !is_passing_status(status) || retries_done >= self.max_retries {
            return None;
        }
        let backoff = self
            .first_backoff
            .saturating_mul(2u32.saturating_pow(retries_done))
            .min(self.max_wait);
        match retry_after {
            Some(asked) if asked > self.max_wait => None,
            Some(asked) => Some(asked.max(backoff)),
            None => Some(backoff),
        }
    }
}

/// A status that says "not now" rather than "no": a server error (5xx) or too many
/// requests (429).
pub(crate) fn is_passing_status(status: u16) -> bool {
    status >= 500 || status == 429
}

/// How long a `Retry-After` header (RFC 9110 §10.2.3) asks to wait, counted from `now`:
/// whole seconds, or an HTTP date (a date already past means no wait). `None` for a value
/// that is neither.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More seconds than a u64 holds is "a very long time", not an unreadable header.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    /// Sun, 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110.
    fn rfc_example_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    #[test]
    fn retry_after_in_seconds_is_read() {
        let now = SystemTime::now();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn retry_after_as_an_http_date_is_the_time_until_then() {
        let now = rfc_example_time() - Duration::from_secs(90);
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(date, now),
                Some(Duration::from_secs(90)),
                "{date}"
            );
        }
    }

    #[test]
    fn a_retry_after_date_in_the_past_means_no_wait() {
        let now = rfc_example_time() + Duration::from_secs(3600);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn an_unreadable_retry_after_is_ignored() {
        let now = SystemTime::now();
        for value in ["", "-5", "1.5", "soon", "5 s", "Sun, 06 Nov 1994", "+3"] {
            assert_eq!(parse_retry_after(value, now), None, "{value:?}");
        }
    }

    #[test]
    fn only_server_errors_and_too_many_requests_are_passing() {
        for status in [429, 500, 502, 503, 504, 599] {
            assert!(is_passing_status(status), "{status}");
        }
        for status in [200, 301, 400, 401, 403, 404, 408, 428] {
            assert!(!is_passing_status(status), "{status}");
        }
    }

    #[test]
    fn the_backoff_doubles_up_to_the_cap_and_the_retries_are_bounded() {
        let policy = RetryPolicy {
            max_retries: 4,
            first_backoff: Duration::from_secs(3),
            max_wait: Duration::from_secs(10),
        };
        let waits: Vec<_> = (0..5)
            .map(|retries_done| policy.wait_before_retry(retries_done, 503, None))
            .collect();
        let secs = Duration::from_secs;
        assert_eq!(
            waits,
            [
                Some(secs(3)),
                Some(secs(6)),
                Some(secs(10)),
                Some(secs(10)),
                None
            ]
        );
        assert_eq!(RetryPolicy::default().wait_before_retry(2, 500, None), None);
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap_and_beyond_it_ends_the_retries() {
        let policy = RetryPolicy::default();
        let secs = Duration::from_secs;
        assert_eq!(
            policy.wait_before_retry(0, 503, Some(secs(4))),
            Some(secs(4))
        );
        assert_eq!(
            policy.wait_before_retry(0, 429, Some(secs(10))),
            Some(secs(10))
        );
        assert_eq!(
            policy.wait_before_retry(0, 503, Some(Duration::ZERO)),
            Some(policy.first_backoff),
            "never sooner than the backoff"
        );
        assert_eq!(policy.wait_before_retry(0, 503, Some(secs(11))), None);
        assert_eq!(
            policy.wait_before_retry(0, 503, Some(Duration::from_secs(u64::MAX))),
            None
        );
    }

    #[test]
    fn answers_that_are_not_passing_are_never_retried() {
        let policy = RetryPolicy::default();
        for status in [200, 400, 401, 403, 404] {
            assert_eq!(policy.wait_before_retry(0, status, None), None, "{status}");
        }
        let none = RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        };
        assert_eq!(none.wait_before_retry(0, 503, None), None);
    }

    #[test]
    fn huge_settings_saturate_instead_of_overflowing() {
        let policy = RetryPolicy {
            max_retries: u32::MAX,
            first_backoff: Duration::MAX,
            max_wait: Duration::MAX,
        };
        assert_eq!(policy.wait_before_retry(40, 503, None), Some(Duration::MAX));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_header_text_is_read_or_ignored_without_panicking(
                value in prop_oneof![
                    ".{0,100}",
                    proptest::collection::vec(any::<u8>(), 0..100)
                        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
                    // Past every size a number or a date could have.
                    "[0-9 ]{0,5000}",
                ],
                now in any::<u64>(),
            ) {
                let now = UNIX_EPOCH + Duration::from_secs(now % 400_000_000_000);
                if let Some(wait) = parse_retry_after(&value, now) {
                    let trimmed = value.trim();
                    let seconds = !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit());
                    prop_assert!(seconds || httpdate::parse_http_date(trimmed).is_ok(), "{:?}", value);
                    if !seconds {
                        // A date is never further away than the latest date there is.
                        prop_assert!(wait <= Duration::from_secs(253_402_300_800));
                    }
                }
            }

            #[test]
            fn whole_seconds_are_read_exactly_and_saturate(
                seconds in any::<u64>(),
                zeros in 0usize..5,
                extra_digits in "[0-9]{0,40}",
                padding in "[ \t]{0,3}",
            ) {
                let now = SystemTime::now();
                let text = format!("{padding}{}{seconds}{padding}", "0".repeat(zeros));
                prop_assert_eq!(parse_retry_after(&text, now), Some(Duration::from_secs(seconds)));
                let longer = format!("{seconds}{extra_digits}");
                let expected = longer.parse::<u64>().unwrap_or(u64::MAX);
                prop_assert_eq!(parse_retry_after(&longer, now), Some(Duration::from_secs(expected)));
                for signed in [format!("-{seconds}"), format!("+{seconds}"), format!("{seconds}.5"), format!("{seconds} s")] {
                    prop_assert_eq!(parse_retry_after(&signed, now), None, "{}", signed);
                }
            }

            #[test]
            fn a_date_is_the_time_until_then_or_no_wait(
                at in 0u64..253_402_300_799,
                now in 0u64..253_402_300_799,
            ) {
                let (at, now) = (UNIX_EPOCH + Duration::from_secs(at), UNIX_EPOCH + Duration::from_secs(now));
                let expected = at.duration_since(now).unwrap_or_default();
                prop_assert_eq!(parse_retry_after(&httpdate::fmt_http_date(at), now), Some(expected));
            }
        }
    }
}
