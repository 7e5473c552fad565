//! The demo account's photos: metadata derived from the photo's position, so even a library of
//! 10,000 photos costs nothing until a page of it is listed, and a scene per photo. Whatever
//! its size, the library spans about six years of outings, newest first, as a person's camera
//! roll would.
//!
//! Twelve landscape designs with distinct palettes; photos beyond the twelfth reuse a design
//! with a different seed (other mountains, another sun position).

use crate::photo_api::scene::{Celestial, Lake, Layer, Relief, Rgb, Scene};

/// Full-size image dimensions.
pub(crate) const FULL_SIZE: (u32, u32) = (1200, 800);
/// Thumbnail dimensions (same 3:2 aspect ratio).
pub(crate) const THUMBNAIL_SIZE: (u32, u32) = (320, 213);

const TITLES: [&str; 12] = [
    "Alpine sunrise",
    "Moonlit lake",
    "Desert dusk",
    "Misty valley",
    "Northern lights",
    "Golden hour hills",
    "Glacier noon",
    "Lavender evening",
    "Autumn ridge",
    "Coastal morning",
    "Crimson sunset",
    "Starry summit",
];

/// A photo's listing data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PhotoInfo {
    pub id: String,
    pub title: String,
    pub taken_at: String,
}

/// The photos of the demo account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Library {
    count: usize,
}

impl Library {
    pub fn new(count: usize) -> Self {
        Self { count }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    /// Listing data of the photo at `index` (0-based).
    pub fn info(&self, index: usize) -> PhotoInfo {
        let design = index % TITLES.len();
        let round = index / TITLES.len();
        let title = if round == 0 {
            TITLES[design].to_owned()
        } else {
            format!("{} {}", TITLES[design], round + 1)
        };
        PhotoInfo {
            id: photo_id(index),
            title,
            taken_at: taken_at(index, self.count),
        }
    }

    /// The index of a photo id, if the library has that photo.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        let number: usize = id.strip_prefix('p')?.parse().ok()?;
        let index = number.checked_sub(1)?;
        (index < self.count && photo_id(index) == id).then_some(index)
    }
}

fn photo_id(index: usize) -> String {
    format!("p{:05}", index + 1)
}

/// When the newest photo was taken: 2026-11-28T15:42:00Z, in seconds since 1970.
const NEWEST_TAKEN: i64 = days_since_epoch(2026, 11, 28) * DAY + 15 * 3600 + 42 * 60;
/// How far back the oldest outing lies, whatever the library's size: 2,100 days (about five
/// years and nine months, so that a small library's few outings fall in different months).
const SPAN: i64 = 2_100 * DAY;
/// Photos taken on one outing, a few minutes apart.
const OUTING: usize = 4;
const DAY: i64 = 24 * 3600;

/// When the photo at `index` of `count` was taken. The library is a series of outings of
/// [`OUTING`] photos, evenly spread over [`SPAN`] back from [`NEWEST_TAKEN`], each outing at a
/// varied time of day, its photos a few minutes apart; every photo is older than the one before
/// it (the list is served newest first) while outings are more than an hour apart, that is for
/// libraries of up to about 200,000 photos.
fn taken_at(index: usize, count: usize) -> String {
    let (outing, within) = ((index / OUTING) as i64, (index % OUTING) as i64);
    let outings = count.div_ceil(OUTING) as i64;
    let step = SPAN / (outings - 1).max(1);
    // Up to a day (or half a step) earlier, which keeps the outings in order.
    let earlier = (outing * 7_919 * 60) % (step / 2).clamp(1, DAY);
    let taken = NEWEST_TAKEN - outing * step - earlier - within * (7 * 60 + outing % 60);
    let (year, month, day) = civil_from_days(taken.div_euclid(DAY));
    let seconds = taken.rem_euclid(DAY);
    let (hour, minute) = (seconds / 3600, seconds % 3600 / 60);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:00Z")
}

/// Days from 1970-01-01 to a date (proleptic Gregorian; H. Hinnant's algorithm).
const fn days_since_epoch(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The scene of the photo at `index`.
pub(crate) fn scene(index: usize) -> Scene {
    let seed = (index as u32).wrapping_mul(2_654_435_761).wrapping_add(17);
    let shift = (index / TITLES.len()) as f32;
    // Later rounds move the sun or moon along the sky.
    let sky_x = |x: f32| (x + 0.23 * shift).rem_euclid(0.7) + 0.15;
    let peaks = |base, height, frequency, color, snow| Layer {
        relief: Relief::Peaks,
        base,
        height,
        frequency,
        color,
        snow,
        foreground: false,
    };
    let hills = |base, height, frequency, color| Layer {
        relief: Relief::Hills,
        base,
        height,
        frequency,
        color,
        snow: false,
        foreground: false,
    };
    let shore = |base, color| Layer {
        relief: Relief::Hills,
        base,
        height: 0.06,
        frequency: 3.0,
        color,
        snow: false,
        foreground: true,
    };
    let sun = |x, y, radius, color| Celestial {
        x: sky_x(x),
        y,
        radius,
        color,
        glow: 1.0,
        is_moon: false,
    };
    let moon = |x, y, radius| Celestial {
        x: sky_x(x),
        y,
        radius,
        color: rgb(0xf4f1e4),
        glow: 0.45,
        is_moon: true,
    };
    let base = Scene {
        seed,
        sky: [rgb(0x000000); 3],
        celestial: None,
        star_density: 0.0,
        aurora: None,
        clouds: None,
        layers: Vec::new(),
        lake: None,
        haze: rgb(0xffffff),
    };
    match index % TITLES.len() {
        0 => Scene {
            sky: [rgb(0x3d4f8f), rgb(0xe98a9a), rgb(0xffc98b)],
            celestial: Some(sun(0.68, 0.3, 0.06, rgb(0xfff1c9))),
            clouds: Some(rgb(0xffd3c0)),
            layers: vec![
                peaks(0.62, 0.34, 2.2, rgb(0x8c7fb8), true),
                peaks(0.72, 0.22, 3.1, rgb(0x5b5a96), false),
                hills(0.86, 0.12, 2.0, rgb(0x2f355f)),
            ],
            haze: rgb(0xffc3a8),
            ..base
        },
        1 => Scene {
            sky: [rgb(0x070b1f), rgb(0x16224a), rgb(0x2d4170)],
            celestial: Some(moon(0.3, 0.34, 0.05)),
            star_density: 900.0,
            layers: vec![
                peaks(0.58, 0.22, 2.5, rgb(0x34487a), true),
                hills(0.62, 0.08, 4.0, rgb(0x1c2747)),
                shore(0.97, rgb(0x0a0f1f)),
            ],
            lake: Some(Lake {
                level: 0.62,
                tint: rgb(0x0d1a36),
            }),
            haze: rgb(0x3a4e80),
            ..base
        },
        2 => Scene {
            sky: [rgb(0x4a2a6b), rgb(0xd9607a), rgb(0xffb26b)],
            celestial: Some(sun(0.45, 0.6, 0.1, rgb(0xffe0a0))),
            layers: vec![
                hills(0.68, 0.1, 1.6, rgb(0xc96f4a)),
                hills(0.8, 0.12, 1.3, rgb(0xa8553a)),
                hills(0.93, 0.1, 1.1, rgb(0x7a3b2c)),
            ],
            haze: rgb(0xffb38a),
            ..base
        },
        3 => Scene {
            sky: [rgb(0xaab8c2), rgb(0xcdd6d6), rgb(0xe6ebe4)],
            celestial: Some(sun(0.25, 0.3, 0.05, rgb(0xfffbea))),
            layers: vec![
                hills(0.5, 0.16, 2.2, rgb(0xa9b9b0)),
                hills(0.62, 0.16, 2.6, rgb(0x7f9a8a)),
                hills(0.76, 0.14, 3.0, rgb(0x587a66)),
                hills(0.92, 0.12, 3.4, rgb(0x34503f)),
            ],
            haze: rgb(0xe4ebe6),
            ..base
        },
        4 => Scene {
            sky: [rgb(0x03101a), rgb(0x0b2a3a), rgb(0x174a58)],
            star_density: 700.0,
            aurora: Some(rgb(0x47e6a0)),
            layers: vec![
                peaks(0.72, 0.26, 2.0, rgb(0x2a5564), true),
                hills(0.86, 0.1, 3.0, rgb(0x0c2630)),
            ],
            haze: rgb(0x1d5a66),
            ..base
        },
        5 => Scene {
            sky: [rgb(0x6fa3d8), rgb(0xf2c27a), rgb(0xffdf9e)],
            celestial: Some(sun(0.78, 0.55, 0.075, rgb(0xfff4d0))),
            clouds: Some(rgb(0xfff0d8)),
            layers: vec![
                hills(0.64, 0.1, 1.8, rgb(0x9bb36a)),
                hills(0.76, 0.12, 2.2, rgb(0x6f9a4a)),
                hills(0.9, 0.12, 2.6, rgb(0x4a7536)),
            ],
            haze: rgb(0xffe2a8),
            ..base
        },
        6 => Scene {
            sky: [rgb(0x1f6fd1), rgb(0x62a8ea), rgb(0xbfe2f7)],
            celestial: Some(sun(0.8, 0.14, 0.05, rgb(0xffffff))),
            clouds: Some(rgb(0xffffff)),
            layers: vec![
                peaks(0.55, 0.32, 2.4, rgb(0x7a93ad), true),
                peaks(0.6, 0.16, 3.5, rgb(0x55708c), true),
                shore(0.98, rgb(0x3c4a3e)),
            ],
            lake: Some(Lake {
                level: 0.6,
                tint: rgb(0x2aa3a8),
            }),
            haze: rgb(0xd6ecf7),
            ..base
        },
        7 => Scene {
            sky: [rgb(0x3b3470), rgb(0x9a7fc4), rgb(0xe8c3d8)],
            celestial: Some(moon(0.72, 0.3, 0.045)),
            star_density: 120.0,
            layers: vec![
                peaks(0.66, 0.26, 2.0, rgb(0x7b6aa8), false),
                peaks(0.76, 0.18, 2.8, rgb(0x564a84), false),
                hills(0.9, 0.1, 2.4, rgb(0x352d5c)),
            ],
            haze: rgb(0xe0c0dc),
            ..base
        },
        8 => Scene {
            sky: [rgb(0x8fb8d8), rgb(0xd9e2e6), rgb(0xf5e6cf)],
            celestial: Some(sun(0.2, 0.26, 0.05, rgb(0xfff6dc))),
            layers: vec![
                peaks(0.6, 0.22, 2.6, rgb(0xb7794a), false),
                hills(0.74, 0.14, 3.2, rgb(0xc4552c)),
                hills(0.88, 0.12, 2.8, rgb(0x8e3b22)),
            ],
            haze: rgb(0xf2e2cc),
            ..base
        },
        9 => Scene {
            sky: [rgb(0x7fb0d9), rgb(0xbfd9e8), rgb(0xf6e7d2)],
            celestial: Some(sun(0.62, 0.3, 0.06, rgb(0xfff5de))),
            clouds: Some(rgb(0xffffff)),
            layers: vec![
                peaks(0.5, 0.2, 1.2, rgb(0x6f8a7a), false),
                shore(0.95, rgb(0x4d5a48)),
            ],
            lake: Some(Lake {
                level: 0.5,
                tint: rgb(0x3f7fa6),
            }),
            haze: rgb(0xe9eef0),
            ..base
        },
        10 => Scene {
            sky: [rgb(0x2a0f2e), rgb(0xb3263a), rgb(0xff8a3d)],
            celestial: Some(sun(0.5, 0.54, 0.085, rgb(0xffd27a))),
            layers: vec![
                peaks(0.56, 0.24, 2.2, rgb(0x3a1424), false),
                hills(0.6, 0.06, 4.0, rgb(0x22091a)),
                shore(0.97, rgb(0x14050e)),
            ],
            lake: Some(Lake {
                level: 0.6,
                tint: rgb(0x4a1020),
            }),
            haze: rgb(0xff7a50),
            ..base
        },
        _ => Scene {
            sky: [rgb(0x0a0614), rgb(0x261a48), rgb(0x5a3a78)],
            celestial: Some(moon(0.2, 0.18, 0.035)),
            star_density: 1600.0,
            layers: vec![
                peaks(0.74, 0.44, 1.6, rgb(0x4a3f7a), true),
                peaks(0.9, 0.22, 2.6, rgb(0x231c45), false),
            ],
            haze: rgb(0x4a3470),
            ..base
        },
    }
}

fn rgb(hex: u32) -> Rgb {
    let channel = |shift: u32| ((hex >> shift) & 0xff) as f32 / 255.0;
    [channel(16), channel(8), channel(0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_others() {
        let library = Library::new(10_000);
        assert_eq!(library.info(0).id, "p00001");
        assert_eq!(library.index_of("p00001"), Some(0));
        assert_eq!(library.index_of("p10000"), Some(9_999));
        for bad in ["p10001", "p00000", "p1", "00001", "p-0001", "p+0001", ""] {
            assert_eq!(library.index_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn titles_and_dates() {
        let library = Library::new(30);
        assert_eq!(library.info(0).title, "Alpine sunrise");
        assert_eq!(library.info(12).title, "Alpine sunrise 2");
    }

    #[test]
    fn dates_go_back_about_six_years_in_outings_newest_first_whatever_the_size() {
        for count in [1, 12, 60, 10_000] {
            let library = Library::new(count);
            let dates: Vec<_> = (0..count)
                .map(|index| library.info(index).taken_at)
                .collect();
            assert_eq!(dates[0], "2026-11-28T15:42:00Z", "{count}");
            assert!(
                dates.windows(2).all(|pair| pair[0] > pair[1]),
                "{count} photos are not newest first"
            );
            let oldest = dates.last().unwrap();
            if count > OUTING {
                assert!(oldest.as_str() >= "2021-02-26", "{count}: {oldest}");
                assert!(oldest.as_str() < "2021-03-02", "{count}: {oldest}");
            }
        }
        let twelve = Library::new(12);
        let days: Vec<_> = (0..12)
            .map(|index| twelve.info(index).taken_at[..10].to_owned())
            .collect();
        assert_eq!(
            days,
            [["2026-11-28"; 4], ["2024-01-13"; 4], ["2021-02-26"; 4]].concat(),
            "the embedded account's photos are three outings, years apart"
        );
    }

    #[test]
    fn calendar_round_trips() {
        for days in [-1000, 0, 59, 60, 365, 10_957, 20_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_since_epoch(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }
}
