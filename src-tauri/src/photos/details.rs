//! What a listing says about a photo besides its renditions: when it was taken
//! ([`TakenAt`]), its size in pixels and its size in bytes. Every value is the server's text,
//! read strictly: a value out of shape, out of range or of the wrong JSON type is no value
//! (the photo is still listed, without it), never an error for the whole page and never a
//! panic.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize};

/// The earliest year a photo can have been taken in: the oldest surviving photograph is from
/// 1826. Earlier years are placeholders (Graph's `0001-01-01`, EXIF's `0000:00:00`).
const EARLIEST_YEAR: u16 = 1826;
/// How far past today (UTC) a date taken may lie: a date without a time zone is the local
/// time where the photo was taken, up to 14 hours ahead of UTC.
const LATEST_AHEAD: Duration = Duration::from_secs(24 * 60 * 60);
/// The longest date text read (`2024-05-01T10:00:00.1234567+01:00` is 33 bytes).
const MAX_DATE_BYTES: usize = 40;
/// The widest or tallest photo believed, in pixels (panoramas run to tens of thousands).
const MAX_PIXELS_PER_SIDE: u32 = 1_000_000;
/// The largest file believed, in bytes (1 TiB).
const MAX_BYTES: u64 = 1 << 40;

/// When a photo was taken, as the window is told it: an ISO 8601 date and time to the second,
/// `YYYY-MM-DDTHH:MM:SS`, then `Z` or `±HH:MM` when the service gave the time zone, or nothing
/// for a local time (EXIF's), which the window takes as the time where it is shown. Always a
/// real calendar date, from 1826 to tomorrow (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct TakenAt(String);

/// Whether a time zone must, may or must not follow the time.
#[derive(Clone, Copy)]
enum Zone {
    Required,
    Optional,
    None,
}

impl TakenAt {
    /// An RFC 3339 date-time (`2024-05-01T10:00:00Z`, `2024-05-01T10:00:00.000+02:00`), as
    /// Microsoft Graph and the Google Drive API write them.
    pub fn rfc3339(text: &str) -> Option<Self> {
        Self::parse(text, b'-', b"Tt", Zone::Required)
    }

    /// An EXIF date and time (`2019:03:14 10:00:00`, a local time), as Drive's
    /// `imageMediaMetadata.time` gives it.
    pub fn exif(text: &str) -> Option<Self> {
        Self::parse(text, b':', b" ", Zone::None)
    }

    /// An ISO 8601 date-time with or without its time zone (`2024-05-01T10:00:00Z`,
    /// `2024-05-01T10:00:00`): what PhotoLink's own list format accepts, and what a `TakenAt`
    /// writes.
    pub fn iso8601(text: &str) -> Option<Self> {
        Self::parse(text, b'-', b"Tt", Zone::Optional)
    }

    /// The date as ISO 8601 text (see the type's docs).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `text` when it is exactly a date, `time_separators` and a time of this form (dates
    /// separated by `date_separator`), dated from [`EARLIEST_YEAR`] to tomorrow.
    fn parse(text: &str, date_separator: u8, time_separators: &[u8], zone: Zone) -> Option<Self> {
        Self::parse_until(
            text,
            date_separator,
            time_separators,
            zone,
            latest_date(SystemTime::now()),
        )
    }

    /// [`parse`](Self::parse), with dates after `latest` (year, month, day) refused.
    fn parse_until(
        text: &str,
        date_separator: u8,
        time_separators: &[u8],
        zone: Zone,
        latest: (u16, u8, u8),
    ) -> Option<Self> {
        if text.len() > MAX_DATE_BYTES {
            return None;
        }
        let mut reader = Reader(text.as_bytes());
        let year = reader.number(4)?;
        reader.expect(&[date_separator])?;
        let month = reader.number(2)?;
        reader.expect(&[date_separator])?;
        let day = reader.number(2)?;
        reader.expect(time_separators)?;
        let hour = reader.number(2)?;
        reader.expect(b":")?;
        let minute = reader.number(2)?;
        reader.expect(b":")?;
        let second = reader.number(2)?;
        if reader.expect(b".").is_some() {
            let digits = reader.digits();
            if !(1..=9).contains(&digits) {
                return None;
            }
        }
        let offset = match reader.0.first() {
            None => String::new(),
            Some(b'Z' | b'z') => {
                reader.0 = &reader.0[1..];
                "Z".into()
            }
            Some(sign @ (b'+' | b'-')) => {
                let sign = char::from(*sign);
                reader.0 = &reader.0[1..];
                let hours = reader.number(2)?;
                reader.expect(b":")?;
                let minutes = reader.number(2)?;
                if hours > 23 || minutes > 59 {
                    return None;
                }
                format!("{sign}{hours:02}:{minutes:02}")
            }
            Some(_) => return None,
        };
        let zone_fits = match zone {
            Zone::Required => !offset.is_empty(),
            Zone::Optional => true,
            Zone::None => offset.is_empty(),
        };
        let date_fits = (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day)
            && year >= EARLIEST_YEAR
            && (year, month as u8, day as u8) <= latest;
        // A leap second (60) is written as the second before it, which every reader takes.
        let time_fits = hour <= 23 && minute <= 59 && second <= 60;
        (reader.0.is_empty() && zone_fits && date_fits && time_fits).then(|| {
            let second = second.min(59);
            Self(format!(
                "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{offset}"
            ))
        })
    }
}

/// An RFC 3339 date-time at any date from 1970 on, as a point in time: a time something
/// ends, which may lie ahead (the Picker's `expireTime`). `None` when out of shape.
pub fn rfc3339_time(text: &str) -> Option<SystemTime> {
    let read = TakenAt::parse_until(text, b'-', b"Tt", Zone::Required, (9999, 12, 31))?;
    let field = |range: std::ops::Range<usize>| -> Option<i64> { read.0.get(range)?.parse().ok() };
    let days = days_from_civil(field(0..4)?, field(5..7)?, field(8..10)?);
    let mut seconds = days * 86_400 + field(11..13)? * 3_600 + field(14..16)? * 60 + field(17..19)?;
    // `±HH:MM` after the time: the local time is that far ahead of UTC (`Z`: none).
    if let (Some(sign @ ("+" | "-")), Some(hours), Some(minutes)) =
        (read.0.get(19..20), field(20..22), field(23..25))
    {
        let offset = hours * 3_600 + minutes * 60;
        seconds += if sign == "+" { -offset } else { offset };
    }
    let seconds = u64::try_from(seconds).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Days from 1970-01-01 to the proleptic Gregorian date `year`-`month`-`day` (Howard
/// Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

impl From<TakenAt> for String {
    fn from(taken: TakenAt) -> Self {
        taken.0
    }
}

/// The bytes of a date still to be read.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    /// Exactly `digits` ASCII digits, as a number.
    fn number(&mut self, digits: usize) -> Option<u16> {
        let taken = self.0.get(..digits)?;
        if !taken.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.0 = &self.0[digits..];
        Some(
            taken
                .iter()
                .fold(0, |number, digit| number * 10 + u16::from(digit - b'0')),
        )
    }

    /// One byte among `allowed`.
    fn expect(&mut self, allowed: &[u8]) -> Option<()> {
        let (first, rest) = self.0.split_first()?;
        allowed.contains(first).then(|| self.0 = rest)
    }

    /// Skips the ASCII digits that follow; how many there were.
    fn digits(&mut self) -> usize {
        let count = self
            .0
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        self.0 = &self.0[count..];
        count
    }
}

fn days_in_month(year: u16, month: u16) -> u16 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The latest date taken believed at `now`: the UTC date [`LATEST_AHEAD`] later, as
/// (year, month, day). Read from the HTTP date of that moment (`Tue, 08 Dec 2026 17:30:00
/// GMT`, RFC 9110's fixed form), which spares a calendar here.
fn latest_date(now: SystemTime) -> (u16, u8, u8) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let http_date = httpdate::fmt_http_date(now + LATEST_AHEAD);
    let mut fields = http_date.split(' ').skip(1);
    let day = fields.next().and_then(|day| day.parse().ok());
    let month = fields
        .next()
        .and_then(|month| MONTHS.iter().position(|name| *name == month));
    let year = fields.next().and_then(|year| year.parse().ok());
    match (year, month, day) {
        (Some(year), Some(month), Some(day)) => (year, month as u8 + 1, day),
        // Not reached (httpdate writes that form for every time it accepts): refuse nothing.
        _ => (u16::MAX, 12, 31),
    }
}

/// A JSON value read leniently: a whole number or a decimal string, else nothing.
#[derive(Deserialize)]
#[serde(untagged)]
enum Lenient {
    Whole(u64),
    Text(String),
    Other(serde::de::IgnoredAny),
}

impl Lenient {
    fn whole(self) -> Option<u64> {
        match self {
            Self::Whole(number) => Some(number),
            // Google's APIs write 64-bit integers as decimal strings.
            Self::Text(text) if (1..=20).contains(&text.len()) => text
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| text.parse().ok())?,
            _ => None,
        }
    }
}

/// A width or height in pixels (`#[serde(default, deserialize_with = "pixels")]`): a JSON
/// whole number from 1 to a million, else nothing.
pub fn pixels<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    let value = Option::<Lenient>::deserialize(deserializer)?;
    Ok(match value {
        Some(Lenient::Whole(pixels)) => Some(pixels),
        _ => None,
    }
    .filter(|pixels| (1..=u64::from(MAX_PIXELS_PER_SIDE)).contains(pixels))
    .map(|pixels| pixels as u32))
}

/// A file's size in bytes (`#[serde(default, deserialize_with = "bytes")]`): a whole number,
/// or the decimal string Google writes, from 1 to 1 TiB, else nothing.
pub fn bytes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let value = Option::<Lenient>::deserialize(deserializer)?;
    Ok(value
        .and_then(Lenient::whole)
        .filter(|bytes| (1..=MAX_BYTES).contains(bytes)))
}

/// Text (`#[serde(default, deserialize_with = "text")]`): a JSON string, else nothing.
pub fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Lenient>::deserialize(deserializer)? {
        Some(Lenient::Text(text)) => Some(text),
        _ => None,
    })
}

/// A saved date (`#[serde(default, deserialize_with = "saved_taken_at")]`), as a
/// [`TakenAt`] wrote it; any other text (a list saved by an earlier PhotoLink, a damaged
/// one) is no date.
pub fn saved_taken_at<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<TakenAt>, D::Error> {
    Ok(text(deserializer)?.and_then(|text| TakenAt::iso8601(&text)))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;

    #[test]
    fn an_rfc3339_time_is_read_as_a_point_in_time_at_any_date_from_1970() {
        let at = |seconds: u64| Some(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds));
        for (text, expected) in [
            ("1970-01-01T00:00:00Z", at(0)),
            ("1970-03-01T00:00:00Z", at(59 * 86_400)),
            ("2026-12-07T21:00:00Z", at(1_796_677_200)),
            ("2026-12-07T23:00:00+02:00", at(1_796_677_200)),
            ("2026-12-07T20:30:00.5-00:30", at(1_796_677_200)),
            ("2099-01-01T00:00:00Z", at(4_070_908_800)),
            ("2000-02-29T12:00:00z", at(951_825_600)),
            ("1969-12-31T23:59:59Z", None),
            ("2026-12-07T21:00:00", None),
            ("2026-02-30T21:00:00Z", None),
            ("soon", None),
        ] {
            assert_eq!(rfc3339_time(text), expected, "{text}");
        }
    }

    const LATEST: (u16, u8, u8) = (2026, 12, 8);

    fn rfc3339(text: &str) -> Option<String> {
        TakenAt::parse_until(text, b'-', b"Tt", Zone::Required, LATEST).map(String::from)
    }

    fn iso8601(text: &str) -> Option<String> {
        TakenAt::parse_until(text, b'-', b"Tt", Zone::Optional, LATEST).map(String::from)
    }

    fn exif(text: &str) -> Option<String> {
        TakenAt::parse_until(text, b':', b" ", Zone::None, LATEST).map(String::from)
    }

    #[test]
    fn documented_forms_are_read_to_the_second() {
        type Read = fn(&str) -> Option<String>;
        let cases: [(Read, &str, &str); 6] = [
            // Graph's takenDateTime / createdDateTime and Drive's createdTime (RFC 3339).
            (rfc3339, "2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
            (rfc3339, "2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00Z"),
            // A leap second is the second before it.
            (
                rfc3339,
                "2016-12-31t23:59:60.5+01:30",
                "2016-12-31T23:59:59+01:30",
            ),
            // Drive's imageMediaMetadata.time (EXIF DateTime, local).
            (exif, "2019:03:14 10:00:00", "2019-03-14T10:00:00"),
            // PhotoLink's own format: with or without the zone.
            (iso8601, "2024-02-29T08:15:00", "2024-02-29T08:15:00"),
            (
                iso8601,
                "2024-02-29T08:15:00-05:00",
                "2024-02-29T08:15:00-05:00",
            ),
        ];
        for (read, text, written) in cases {
            assert_eq!(read(text).as_deref(), Some(written), "{text}");
        }
    }

    #[test]
    fn nonsense_dates_are_no_dates() {
        for text in [
            "0001-01-01T00:00:00Z", // Graph's "no date"
            "1825-12-31T23:59:59Z",
            "2023-02-29T10:00:00Z",
            "1900-02-29T10:00:00Z",
            "2024-04-31T10:00:00Z",
            "2024-13-01T10:00:00Z",
            "2024-00-10T10:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T10:60:00Z",
            "2024-05-01T10:00:61Z",
            "2024-05-01T10:00:00+24:00",
            "2024-05-01T10:00:00.Z",
            "2024-05-01T10:00:00.1234567890Z",
            "2024-05-01T10:00:00", // RFC 3339 needs the zone
            "2024-05-01T10:00Z",
            "2024-05-01 10:00:00Z",
            "2024-05-01T10:00:00Z ",
            " 2024-05-01T10:00:00Z",
            "+2024-05-01T10:00:00Z",
            "２０２４-05-01T10:00:00Z",
            "2026-12-09T00:00:00Z", // after the latest date
            "9999-12-31T23:59:59Z",
            "",
            "yesterday",
        ] {
            assert_eq!(rfc3339(text), None, "{text}");
        }
        assert_eq!(
            rfc3339("2026-12-08T23:59:59Z").as_deref(),
            Some("2026-12-08T23:59:59Z")
        );
        for text in [
            "0000:00:00 00:00:00",
            "2019-03-14T10:00:00",
            "2019:03:14 10:00:00Z",
            "2019:02:30 10:00:00",
        ] {
            assert_eq!(exif(text), None, "{text}");
        }
    }

    #[test]
    fn the_latest_date_is_tomorrow_in_utc() {
        // 2026-12-07T17:30:00Z.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_664_600);
        assert_eq!(latest_date(now), (2026, 12, 8));
        let new_years_eve = SystemTime::UNIX_EPOCH + Duration::from_secs(1_798_761_600 - 1);
        assert_eq!(latest_date(new_years_eve), (2027, 1, 1));
    }

    #[derive(Debug, Deserialize)]
    struct Sizes {
        #[serde(default, deserialize_with = "pixels")]
        width: Option<u32>,
        #[serde(default, deserialize_with = "bytes")]
        size: Option<u64>,
        #[serde(default, deserialize_with = "text")]
        time: Option<String>,
    }

    fn sizes(json: &str) -> (Option<u32>, Option<u64>, Option<String>) {
        let sizes: Sizes = serde_json::from_str(json).unwrap();
        (sizes.width, sizes.size, sizes.time)
    }

    #[test]
    fn sizes_are_whole_numbers_in_range_and_anything_else_is_no_size() {
        assert_eq!(
            sizes(r#"{"width":4000,"size":3500000}"#),
            (Some(4000), Some(3_500_000), None)
        );
        assert_eq!(
            sizes(r#"{"size":"3500000"}"#).1,
            Some(3_500_000),
            "Drive's int64 string"
        );
        assert_eq!(sizes("{}"), (None, None, None));
        for width in [
            "0", "-1", "1.5", "1000001", "\"4000\"", "null", "[]", "{}", "true",
        ] {
            let json = format!(r#"{{"width":{width}}}"#);
            assert_eq!(sizes(&json).0, None, "{json}");
        }
        for size in [
            "0",
            "-5",
            "2.0",
            "\"\"",
            "\"+5\"",
            "\" 5\"",
            "\"5e3\"",
            "\"99999999999999999999\"",
            "\"999999999999999999999\"",
            "1099511627777",
            "null",
        ] {
            let json = format!(r#"{{"size":{size}}}"#);
            assert_eq!(sizes(&json).1, None, "{json}");
        }
        assert_eq!(sizes(r#"{"time":5}"#).2, None);
        assert_eq!(sizes(r#"{"time":"x"}"#).2.as_deref(), Some("x"));
    }

    #[test]
    fn a_saved_date_is_read_back_and_a_damaged_one_is_no_date() {
        #[derive(Deserialize)]
        struct Saved {
            #[serde(default, deserialize_with = "saved_taken_at")]
            taken_at: Option<TakenAt>,
        }
        let saved = |json: &str| {
            serde_json::from_str::<Saved>(json)
                .unwrap()
                .taken_at
                .map(String::from)
        };
        let date = TakenAt::exif("2019:03:14 10:00:00").unwrap();
        let json = serde_json::json!({ "taken_at": date }).to_string();
        assert_eq!(saved(&json).as_deref(), Some("2019-03-14T10:00:00"));
        assert_eq!(saved(r#"{"taken_at":"sometime"}"#), None);
        assert_eq!(saved(r#"{"taken_at":12}"#), None);
        assert_eq!(saved("{}"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_text_is_a_real_date_in_range_or_no_date(
            text in prop_oneof![".{0,40}", "[0-9:T. Zz+-]{10,36}"],
        ) {
            for date in [rfc3339(&text), iso8601(&text), exif(&text)].into_iter().flatten() {
                prop_assert_eq!(iso8601(&date), Some(date.clone()), "a written date reads back");
            }
        }

        #[test]
        fn every_real_date_in_range_is_read_and_written_back(
            year in EARLIEST_YEAR..=2026,
            month in 1u16..=12,
            day in 1u16..=31,
            (hour, minute, second) in (0u16..24, 0u16..60, 0u16..60),
            zone in proptest::sample::select(vec!["Z", "+05:30", "-00:00", ""]),
        ) {
            let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{zone}");
            let real = day <= days_in_month(year, month) && (year, month as u8, day as u8) <= LATEST;
            prop_assert_eq!(iso8601(&text), real.then(|| text.clone()));
            prop_assert_eq!(rfc3339(&text).is_some(), real && !zone.is_empty());
            let exif_text = format!("{year:04}:{month:02}:{day:02} {hour:02}:{minute:02}:{second:02}");
            prop_assert_eq!(exif(&exif_text).is_some(), real);
        }
    }
}
