//! The app's side of the Google Photos Picker ([`picking`](super::picking)): the gallery of the
//! photos chosen, what the window says about them, and **Choose photos…**, which runs the flow
//! with the system browser and the system clock, keeps what was chosen with its thumbnails,
//! and tells the window how far it has come.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use photolink_oauth::{Error as OAuthError, Session};
use serde::Serialize;
use tauri::http::Request;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};
use tauri_plugin_opener::OpenerExt;
use tauri_plugin_sign_in::{BrowserNotOpened, SignInExt};

use super::cache::PhotoCache;
use super::library::{PhotoLibrary, PhotoPage, is_refusal};
use super::picking::{self, PickingError, Progress, Selection, SystemClock};
use super::settings::PhotoApi;
use super::{Photos, scheme};
use crate::error::AppError;
use crate::messages;

/// Whether photos are being chosen now (one choice at a time).
#[derive(Default)]
pub struct Choosing {
    busy: AtomicBool,
}

/// What the window shows about the photos chosen: whether the account's photos come from the
/// Picker at all, and if so the sentences that explain it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChosenState {
    pub picker: bool,
    pub chosen: usize,
    /// What the Picker means, and what choosing (again) does.
    pub explanation: Option<String>,
    /// Set once the base URLs of the photos chosen have expired.
    pub expired: Option<String>,
    /// Until then, in how many seconds they do (to ask again then).
    pub expires_in_seconds: Option<u64>,
}

/// How far choosing has come, with the sentence the window shows for it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChoosingProgress {
    #[serde(flatten)]
    pub progress: Progress,
    pub message: String,
}

/// The photos chosen as the gallery's one page (the Picker has no list without a session).
pub async fn chosen_page(
    cache: &PhotoCache,
    library: &PhotoLibrary,
    session: &Arc<Session>,
) -> Result<PhotoPage, AppError> {
    let listing = library.listing();
    let selection = match cache.disk_for(session).await {
        Some(disk) => Selection::load(disk).await,
        None => Selection::default(),
    };
    library.show_page(selection.into_page(), false, listing)
}

/// What the window shows about the photos chosen.
pub async fn state(app: &AppHandle) -> Result<ChosenState, AppError> {
    let provider = app
        .sign_in()
        .provider()
        .ok_or(AppError::OAuth(OAuthError::NotConnected))?;
    if Photos::settings(&provider)?.api != PhotoApi::GooglePhotosPicker {
        return Ok(ChosenState {
            picker: false,
            chosen: 0,
            explanation: None,
            expired: None,
            expires_in_seconds: None,
        });
    }
    let photos = app.state::<Photos>();
    let disk = photos.cache.disk_for(&provider.session).await;
    let mut selection = match &disk {
        Some(disk) => Selection::load(disk.clone()).await,
        None => Selection::default(),
    };
    let chosen = selection.photos.len();
    let mut expires_in = selection.expires_in(SystemTime::now());
    if chosen > 0 && expires_in > 0 && links_refused(&*photos.library(&provider)?, &selection).await
    {
        tracing::info!("Google Photos refused the links to the photos chosen; they have ended");
        selection.links_ended();
        expires_in = 0;
        if let Some(disk) = disk {
            // Not saved (which `save` logs): the next look asks Google again.
            let _ = selection.save(disk).await;
        }
    }
    Ok(ChosenState {
        picker: true,
        chosen,
        explanation: Some(messages::picker_explanation(chosen)),
        expired: (chosen > 0 && expires_in == 0).then(messages::picker_links_expired),
        expires_in_seconds: (chosen > 0 && expires_in > 0).then_some(expires_in),
    })
}

/// Whether Google refuses the base URL of the photo chosen last (as it does once they have
/// expired): the links can end before their 60 minutes are up by this computer's clock (a
/// clock that is off, access taken back). No answer at all says nothing of them.
async fn links_refused(library: &PhotoLibrary, selection: &Selection) -> bool {
    let Some(newest) = selection.photos.first() else {
        return false;
    };
    matches!(library.get(&newest.thumbnail).await, Err(error) if is_refusal(&error))
}

/// **Choose photos…**: runs the flow, tells `progress` how far it has come, and keeps the
/// photos chosen (and their thumbnails). The sentence saying what was added, or why nothing
/// was.
pub async fn choose(
    app: &AppHandle,
    progress: Channel<ChoosingProgress>,
) -> Result<String, String> {
    let choosing = app.state::<Choosing>();
    if choosing.busy.swap(true, Ordering::SeqCst) {
        return Err(messages::PICKER_BUSY.into());
    }
    let chosen = match choose_now(app, &progress).await {
        Ok(said) => Ok(said),
        Err(Failure::Said(said)) => Err(said),
        Err(Failure::Error(error)) => {
            tracing::warn!(%error, "photos could not be chosen");
            if let (AppError::OAuth(failure), Some(provider)) = (&error, app.sign_in().provider()) {
                app.sign_in().connection_failed(&provider, failure).await;
            }
            Err(messages::app(&error, &app.sign_in().provider_name()))
        }
    };
    choosing.busy.store(false, Ordering::SeqCst);
    // A refresh made for these requests may have saved tokens, or failed to.
    app.sign_in().connection_used();
    chosen
}

/// Why choosing ended without photos: a sentence for the window already, or an error that
/// says it (and, for a dead grant, ends the connection).
enum Failure {
    Said(String),
    Error(AppError),
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        Self::Error(error)
    }
}

async fn choose_now(
    app: &AppHandle,
    progress: &Channel<ChoosingProgress>,
) -> Result<String, Failure> {
    let provider = app
        .sign_in()
        .provider()
        .ok_or(AppError::OAuth(OAuthError::NotConnected))?;
    let settings = Photos::settings(&provider)?;
    let photos = app.state::<Photos>();
    let library = photos.library(&provider)?;
    let open = |url: &url::Url| {
        tracing::info!(
            host = url.host_str().unwrap_or_default(),
            "opening the Google Photos picker in the browser"
        );
        app.opener()
            .open_url(url.as_str(), None::<&str>)
            .map_err(|error| BrowserNotOpened(Box::new(error)))
    };
    let report = |step: Progress| {
        let message = match &step {
            Progress::Waiting { timeout_seconds } => messages::picker_waiting(*timeout_seconds),
            Progress::Reading => messages::PICKER_READING.into(),
        };
        // The window may have gone; choosing goes on regardless.
        let _ = progress.send(ChoosingProgress {
            progress: step,
            message,
        });
    };
    let chosen = picking::choose(&library, &settings.endpoint, open, &SystemClock, report)
        .await
        .map_err(|error| match error {
            PickingError::Ended => Failure::Said(messages::PICKER_ENDED.into()),
            PickingError::Browser(error) => {
                tracing::warn!(%error, "could not open the browser");
                Failure::Said(messages::PICKER_NO_BROWSER.into())
            }
            PickingError::Failed(error) => Failure::Error(error),
        })?;
    let disk = photos
        .cache
        .disk_for(&provider.session)
        .await
        .ok_or(AppError::ChosenNotKept)?;
    let ids: Vec<_> = chosen.iter().map(|photo| photo.id.clone()).collect();
    let mut selection = Selection::load(disk.clone()).await;
    let added = selection.add(chosen, SystemTime::now());
    selection.save(disk).await?;
    keep_thumbnails(&photos.cache, &library, &provider.session, &ids).await;
    Ok(messages::picker_added(ids.len(), added))
}

/// Loads the thumbnails of the photos `ids` as the gallery would, which keeps them in the
/// account's cache folder: they still show once the base URLs have expired.
async fn keep_thumbnails(
    cache: &PhotoCache,
    library: &PhotoLibrary,
    session: &Arc<Session>,
    ids: &[String],
) {
    let Ok(page) = chosen_page(cache, library, session).await else {
        return;
    };
    for photo in page.photos.iter().filter(|photo| {
        library
            .provider_id(&photo.id)
            .is_some_and(|id| ids.contains(&id))
    }) {
        let Ok(request) = Request::get(&photo.thumbnail).body(Vec::new()) else {
            continue;
        };
        let (response, failure) = scheme::answer(Some(library), cache, &request).await;
        if let Some(error) = failure.filter(|_| !response.status().is_success()) {
            tracing::info!(%error, "a thumbnail of a photo chosen was not kept");
        }
    }
}
