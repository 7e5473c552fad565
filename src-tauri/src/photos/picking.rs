//! Choosing photos in Google Photos for the `google-photos-picker` source, as Google documents
//! the flow ([get started](https://developers.google.com/photos/picker/guides/get-started-picker),
//! [sessions](https://developers.google.com/photos/picker/guides/sessions)), and the photos
//! chosen, kept for the account.
//!
//! # The flow ([`choose`])
//!
//! 1. [`sessions.create`](https://developers.google.com/photos/picker/reference/rest/v1/sessions/create):
//!    `POST {root}/sessions` with `{}` answers a
//!    [`PickingSession`](https://developers.google.com/photos/picker/reference/rest/v1/sessions#PickingSession):
//!    `{"id", "pickerUri", "pollingConfig": {"pollInterval", "timeoutIn"}, "expireTime",
//!    "mediaItemsSet"}`, `expireTime` an RFC 3339 time, the two durations written as
//!    [Duration](https://protobuf.dev/reference/protobuf/google.protobuf/#duration) strings
//!    (`"5s"`, `"1.5s"`; read by [`duration`]).
//! 2. The `pickerUri`, with `/autoclose` appended (Google's documented way to have the picker
//!    close itself after **Done**), opens in the system browser: the person picks there,
//!    signed in to Google, and PhotoLink never sees the rest of the library. The address must
//!    be `https` (or `http` on a loopback IP literal, for the fixture); it is never sent the
//!    token.
//! 3. [`sessions.get`](https://developers.google.com/photos/picker/reference/rest/v1/sessions/get)
//!    every `pollInterval` (kept within [`MIN_POLL_INTERVAL`]..=[`MAX_POLL_INTERVAL`]) until
//!    `mediaItemsSet`, or until `timeoutIn` has passed since the session was created (kept
//!    within [`MAX_TIMEOUT`]) or its `expireTime` has come, whichever is first
//!    ([`PickingSession::allowed`]): the window shows that time, and its end ends the flow; so
//!    does a session Google no longer knows (404 `NOT_FOUND`: past its `expireTime`).
//! 4. The picked items, every page of
//!    [`mediaItems.list`](https://developers.google.com/photos/picker/reference/rest/v1/mediaItems/list)
//!    ([`PhotoLibrary::fetch_whole`]), as the
//!    [`google_photos_picker`](super::google_photos_picker) source reads them.
//! 5. [`sessions.delete`](https://developers.google.com/photos/picker/reference/rest/v1/sessions/delete),
//!    whatever happened after the session was created: Google asks apps to delete each session
//!    when done.
//!
//! Every request goes through the [`PhotoLibrary`], to the photos endpoint's origin only.
//!
//! # What is kept ([`Selection`])
//!
//! The photos chosen (their ids, titles, sizes, dates and base URLs) are saved in the
//! account's photo cache folder, as its list, and their thumbnails beside them; Disconnect
//! removes both. A session's list ends with the session, and base URLs last 60 minutes
//! ([`BASE_URL_LIFETIME`]; sooner when Google refuses them, which `choosing` asks), so after
//! that the gallery shows the saved thumbnails and says that full images need choosing again.
//! **Choosing again adds** the photos chosen to those kept, newest choice first; a photo
//! chosen again moves to the front with fresh base URLs.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use photolink_oauth::Error as OAuthError;
use serde::{Deserialize, Serialize};
use tauri_plugin_sign_in::BrowserNotOpened;
use url::Url;

use super::cache::{CachedBody, DiskCache, DiskKey};
use super::details;
use super::google_photos_picker::GooglePhotosPicker;
use super::library::{ApiCall, PhotoLibrary};
use super::source::{SourcePage, SourcePhoto};
use crate::error::AppError;
use crate::sync::blocking;

/// The shortest wait between two polls, whatever the service says.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(250);
/// The longest wait between two polls.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(60);
/// The longest a person is given to pick.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);
/// How long base URLs work after they were listed, as Google documents.
pub const BASE_URL_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// Where the selection is kept in the account's cache folder: as its list.
const SELECTION_KEY: DiskKey = DiskKey::ListPage(None);
const SELECTION_MEDIA_TYPE: &str = "application/json";
/// What is appended to the `pickerUri` so that the picker closes after Done.
const AUTOCLOSE: &str = "/autoclose";

/// A `PickingSession`, as PhotoLink reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickingSession {
    pub id: String,
    pub picker_uri: Url,
    pub poll_interval: Duration,
    pub timeout: Duration,
    /// When the session ends (`expireTime`), if the answer said.
    pub expire_time: Option<SystemTime>,
    pub media_items_set: bool,
}

/// A `PickingSession` as written.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionResource {
    #[serde(default, deserialize_with = "details::text")]
    id: Option<String>,
    #[serde(default, deserialize_with = "details::text")]
    picker_uri: Option<String>,
    #[serde(default)]
    polling_config: Option<PollingConfig>,
    #[serde(default, deserialize_with = "details::text")]
    expire_time: Option<String>,
    #[serde(default)]
    media_items_set: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PollingConfig {
    #[serde(default, deserialize_with = "details::text")]
    poll_interval: Option<String>,
    #[serde(default, deserialize_with = "details::text")]
    timeout_in: Option<String>,
}

/// A poll interval when the service gives none (Google's examples poll every few seconds).
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// A timeout when the service gives none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

impl PickingSession {
    /// The session in `answer`; an answer without an id or a usable `pickerUri` is an error.
    fn read(answer: &photolink_oauth::ResourceResponse) -> Result<Self, AppError> {
        let resource: SessionResource = answer.json()?;
        let unusable = AppError::UnusableAnswer;
        let id = resource
            .id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| unusable("a picking session without an id"))?;
        let picker_uri = resource
            .picker_uri
            .and_then(|uri| Url::parse(&uri).ok())
            .filter(opens_in_the_browser)
            .ok_or_else(|| unusable("a picking session without a picker address"))?;
        let polling = resource.polling_config;
        let given = |read: fn(&PollingConfig) -> Option<&String>| {
            polling
                .as_ref()
                .and_then(read)
                .and_then(|text| duration(text))
        };
        Ok(Self {
            id,
            picker_uri,
            poll_interval: given(|config| config.poll_interval.as_ref())
                .unwrap_or(DEFAULT_POLL_INTERVAL)
                .clamp(MIN_POLL_INTERVAL, MAX_POLL_INTERVAL),
            timeout: given(|config| config.timeout_in.as_ref())
                .unwrap_or(DEFAULT_TIMEOUT)
                .min(MAX_TIMEOUT),
            expire_time: resource
                .expire_time
                .as_deref()
                .and_then(details::rfc3339_time),
            media_items_set: resource.media_items_set.unwrap_or(false),
        })
    }

    /// How long the person has to pick, from `now`: until `timeoutIn` has passed or the session
    /// has expired, whichever is first (zero when it has already expired).
    pub fn allowed(&self, now: SystemTime) -> Duration {
        let until_expiry = self
            .expire_time
            .map(|end| end.duration_since(now).unwrap_or(Duration::ZERO));
        until_expiry.map_or(self.timeout, |left| left.min(self.timeout))
    }

    /// The address the browser opens: the `pickerUri` with `/autoclose` after its path.
    pub fn autoclose_uri(&self) -> Url {
        let mut url = self.picker_uri.clone();
        let path = format!("{}{AUTOCLOSE}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }
}

/// Whether `url` may be handed to the system browser: `https`, or `http` on a loopback IP
/// literal.
fn opens_in_the_browser(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        },
        _ => false,
    }
}

/// A protobuf Duration as JSON writes it: seconds, with up to nine decimals, then `s`
/// (`"5s"`, `"1.5s"`, `"3.000000001s"`). Negative, out of shape or past a day: `None`.
pub fn duration(text: &str) -> Option<Duration> {
    let number = text.strip_suffix('s')?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 5 || !digits(whole) || !digits(fraction) {
        return None;
    }
    if fraction.len() > 9 || (number.contains('.') && fraction.is_empty()) {
        return None;
    }
    let seconds: u64 = whole.parse().ok()?;
    let nanos: u32 = format!("{fraction:0<9}").parse().ok()?;
    Some(Duration::new(seconds, nanos)).filter(|d| *d <= Duration::from_secs(24 * 60 * 60))
}

/// Time, as the flow waits on it: the system's, or a test's.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
}

/// The system's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}

/// How far choosing has come, for the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "camelCase")]
pub enum Progress {
    /// The picker is open in the browser; choosing ends after `timeout_seconds`.
    #[serde(rename_all = "camelCase")]
    Waiting { timeout_seconds: u64 },
    /// The person pressed Done: the chosen photos are being read.
    Reading,
}

/// How choosing ended, when no photos came of it.
#[derive(Debug, thiserror::Error)]
pub enum PickingError {
    /// The person did not finish within the session's `timeoutIn` or before its
    /// `expireTime`, or the session ended before (Google answered that it is not found).
    #[error("the picking session ended before the photos were picked")]
    Ended,
    /// The browser could not be opened.
    #[error(transparent)]
    Browser(BrowserNotOpened),
    #[error(transparent)]
    Failed(#[from] AppError),
}

/// Runs the flow (see the module docs) against the Picker API at `root` through `library`:
/// the photos chosen, in the order chosen. `open` hands an address to the system browser.
pub async fn choose(
    library: &PhotoLibrary,
    root: &Url,
    open: impl FnOnce(&Url) -> Result<(), BrowserNotOpened>,
    clock: &impl Clock,
    progress: impl Fn(Progress),
) -> Result<Vec<SourcePhoto>, PickingError> {
    let api = super::api_root::ApiRoot::new(root.clone());
    let created_at = clock.now();
    let created = library
        .call_api(
            ApiCall::PostJson(&serde_json::json!({})),
            &api.url_under(&["sessions"]),
        )
        .await?;
    let session = PickingSession::read(&created)?;
    let allowed = session.allowed(SystemTime::now());
    let session_url = api.url_under(&["sessions", &session.id]);
    let chosen = follow(
        library,
        &session,
        &session_url,
        created_at + allowed,
        open,
        clock,
        progress,
    )
    .await;
    // Deleted whatever happened: Google asks for it, and the list is read by now.
    if let Err(error) = library.call_api(ApiCall::Delete, &session_url).await {
        tracing::info!(%error, "a picking session could not be deleted; it expires on its own");
    }
    chosen
}

/// Steps 2 to 4 of the flow, for `session`, which ends at `ends_at`.
async fn follow(
    library: &PhotoLibrary,
    session: &PickingSession,
    session_url: &Url,
    ends_at: Instant,
    open: impl FnOnce(&Url) -> Result<(), BrowserNotOpened>,
    clock: &impl Clock,
    progress: impl Fn(Progress),
) -> Result<Vec<SourcePhoto>, PickingError> {
    let allowed = ends_at.saturating_duration_since(clock.now());
    // Expired already (a clock far off, or a slow answer): nothing to open.
    if allowed.is_zero() {
        return Err(PickingError::Ended);
    }
    progress(Progress::Waiting {
        timeout_seconds: allowed.as_secs(),
    });
    open(&session.autoclose_uri()).map_err(PickingError::Browser)?;
    let mut current = session.clone();
    while !current.media_items_set {
        let left = ends_at.saturating_duration_since(clock.now());
        if left.is_zero() {
            return Err(PickingError::Ended);
        }
        clock.sleep(current.poll_interval.min(left)).await;
        let answer = match library.call_api(ApiCall::Get, session_url).await {
            Err(AppError::OAuth(OAuthError::UnexpectedResponse { status: 404, .. })) => {
                return Err(PickingError::Ended);
            }
            answer => answer?,
        };
        current = PickingSession::read(&answer)?;
    }
    progress(Progress::Reading);
    let pages = library
        .fetch_whole(&GooglePhotosPicker::first_page(&session.id))
        .await?;
    Ok(pages.into_iter().flat_map(|page| page.photos).collect())
}

/// The photos chosen for the account, as saved.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Selection {
    pub photos: Vec<SourcePhoto>,
    /// When the base URLs of the photos last chosen were listed, in seconds since 1970.
    pub listed_at: u64,
}

impl Selection {
    /// Adds `chosen`, listed at `now`, in front of the photos kept (see the module docs);
    /// how many photos were new.
    pub fn add(&mut self, chosen: Vec<SourcePhoto>, now: SystemTime) -> usize {
        let before = self.photos.len();
        self.photos
            .retain(|kept| !chosen.iter().any(|photo| photo.id == kept.id));
        let again = before - self.photos.len();
        let added = chosen.len().saturating_sub(again);
        let mut photos = chosen;
        photos.append(&mut self.photos);
        self.photos = photos;
        self.listed_at = seconds(now);
        added
    }

    /// The base URLs listed last have ended before their time (Google refused them).
    pub fn links_ended(&mut self) {
        self.listed_at = 0;
    }

    /// How many seconds after `now` the base URLs listed last expire (0: they have).
    pub fn expires_in(&self, now: SystemTime) -> u64 {
        let since = seconds(now).saturating_sub(self.listed_at);
        BASE_URL_LIFETIME.as_secs().saturating_sub(since)
    }

    /// The selection as the one page of the account's list.
    pub fn into_page(self) -> SourcePage {
        SourcePage {
            photos: self.photos,
            next_page_token: None,
            newest_first: false,
        }
    }

    /// The selection saved in the account's cache folder `disk`; empty when none was saved
    /// (or what was saved is unreadable, which is logged).
    pub async fn load(disk: Arc<DiskCache>) -> Self {
        let Some(body) = blocking(move || disk.get(&SELECTION_KEY)).await else {
            return Self::default();
        };
        serde_json::from_slice(&body.bytes).unwrap_or_else(|error| {
            tracing::warn!(%error, "the photos chosen, as saved, are unreadable");
            Self::default()
        })
    }

    /// Saves the selection in the account's cache folder `disk`.
    pub async fn save(&self, disk: Arc<DiskCache>) -> Result<(), AppError> {
        let json = serde_json::to_vec(self).map_err(|error| {
            tracing::warn!(%error, "the photos chosen could not be written down");
            AppError::ChosenNotKept
        })?;
        let body = CachedBody::new(SELECTION_MEDIA_TYPE, json);
        blocking(move || disk.put(&SELECTION_KEY, &body))
            .await
            .map_err(|error| {
                tracing::warn!(%error, "the photos chosen were not saved");
                AppError::ChosenNotKept
            })
    }
}

fn seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
