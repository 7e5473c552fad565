//! The account's photos: listing pages from the photo API, and serving the images to the window
//! through the `photo:` URI scheme.
//!
//! # The pieces
//!
//! | Module | What it is |
//! | --- | --- |
//! | [`settings`] | PhotoLink's own fields in `provider.toml`: the photo API and where it is. |
//! | [`source`] | The seam to a photo API: [`PhotoSource`] says how to ask for a page, how to read it, and how each rendition is fetched ([`Download`]). |
//! | [`photolink`] | The `photolink` source: PhotoLink's own `{"photos": [...], "next_page_token"}` list. |
//! | [`microsoft_graph`] | The `microsoft-graph` source: every photo under OneDrive's Camera Roll and Photos folders through Microsoft Graph: their `delta` on a personal OneDrive, else a folder walk with its cursor in the page token; downloads by pre-authenticated URL. |
//! | [`google_drive`] | The `google-drive` source: the images in Google Drive through the Drive API v3. |
//! | [`delta`] | [`SavedLibrary`](delta::SavedLibrary): for a source that says what changed (OneDrive's `delta`), the whole library's metadata newest first, kept up to date by its changes and saved in the account's cache folder. |
//! | [`google_photos_picker`] | The `google-photos-picker` source: the photos a person chose in Google Photos, through the Picker API, listed from a picking session. |
//! | [`picking`] | Choosing photos in Google Photos: the Picker's session, opened in the browser, polled, listed and deleted; the photos chosen, kept for the account. |
//! | [`choosing`] | The app's side of the Picker: the gallery of the photos chosen, what the window says about them, and **Choose photos…**. |
//! | [`details`] | What a listing says of a photo besides its renditions, read strictly: [`TakenAt`](details::TakenAt) (the date taken, as ISO 8601), pixel and byte sizes. |
//! | [`api_root`] | [`ApiRoot`](api_root::ApiRoot): a photo API's root; the sources build their addresses under it and check the ones the service hands back. |
//! | [`library`] | [`PhotoLibrary`]: makes every request for a source (the Bearer token only to the photos endpoint's origin) and gives the window its view of each photo. |
//! | [`index`] | The id index: the opaque ids the window uses, and how each photo's renditions are fetched. |
//! | [`scheme`] | The `photo:` scheme: answers `photo://localhost/{id}/{thumbnail\|image}`. |
//! | [`cache`] | [`PhotoCache`]: images in memory for the session, thumbnails and list pages on disk per account, the saved list when offline. |
//! | [`original`] | Saving a photo's original to a file the person chose, piece by piece, with no partial file left behind; the suggested file name. |
//!
//! # How a photo reaches the window
//!
//! 1. The window calls the `photos` command; [`list`] asks the account's [`PhotoLibrary`],
//!    which fetches a page with the Bearer token, has the source read it, and indexes each
//!    photo under an opaque id. (For a source that says what changed, the first page brings
//!    the library saved in the cache up to date first, and the pages are cut from it:
//!    [`delta`].) The [`PhotoCache`] saves the page; when the provider cannot be
//!    reached, it answers with the saved page instead, marked `offline`.
//! 2. The window shows `photo://localhost/{id}/thumbnail` in an `<img>`.
//! 3. [`serve`] hands the request to the scheme, which has the library fetch the rendition:
//!    with the Bearer token from the photo API's origin, or without any credentials from a
//!    pre-authenticated URL. The token never reaches the window. An image found in the
//!    [`PhotoCache`] (memory, then disk) is served from there; one fetched is kept there.
//!
//! # How an original is saved
//!
//! **Save original…** in the viewer calls the `save_original` command; [`save_original`] opens
//! the system's save dialog (the window itself may not open one, nor name a path), starting in
//! the Pictures folder with a safe name suggested from the photo's title. The [`PhotoLibrary`]
//! downloads the full image by the same rules as the `photo:` scheme, and [`original::save`]
//! writes it beside the chosen file, which it replaces only once complete, telling the window
//! how far it has come over a channel; `cancel_save` stops it, leaving nothing behind.

mod api_root;
mod cache;
mod choosing;
mod delta;
mod details;
mod google_drive;
mod google_photos_picker;
mod index;
mod library;
mod microsoft_graph;
mod original;
mod photolink;
mod picking;
mod scheme;
pub mod settings;
mod source;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use photolink_oauth::{Error as OAuthError, Session};
use tauri::http::Request;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, UriSchemeResponder};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_sign_in::{Provider, SignInExt};
use url::Url;

use crate::error::{AppError, SaveError};
use crate::sync::lock;

pub use cache::PhotoCache;
pub use choosing::{Choosing, ChoosingProgress, ChosenState, choose, state as chosen_state};
pub use library::{PhotoLibrary, PhotoPage};
pub use original::Progress as SaveProgress;
pub use scheme::SCHEME;
use settings::{PhotoApi, PhotoSettings};

/// The photos of the connected account (managed by Tauri; reach it with
/// `app.state::<Photos>()`).
pub struct Photos {
    /// Thumbnails and the photo list of the connected account, in memory and on disk.
    cache: PhotoCache,
    /// The photo API with the session of the account shown, once set up: another account
    /// shown gets a library of its own (its own ids).
    library: Mutex<Option<(Arc<Session>, Arc<PhotoLibrary>)>>,
}

impl Photos {
    pub fn in_cache_folder(app: &AppHandle) -> Self {
        Self {
            cache: PhotoCache::in_cache_folder(app),
            library: Mutex::new(None),
        }
    }

    /// The photo API of `provider`: from PhotoLink's fields of its settings file, or the
    /// embedded demo provider's own.
    fn library(&self, provider: &Provider) -> Result<Arc<PhotoLibrary>, AppError> {
        let mut current = lock(&self.library);
        match &*current {
            Some((session, library)) if Arc::ptr_eq(session, &provider.session) => {
                return Ok(library.clone());
            }
            Some((_, shown_before)) => {
                shown_before.forget();
                self.cache.switch_account();
            }
            None => {}
        }
        let settings = Self::settings(provider)?;
        let library = Arc::new(PhotoLibrary::for_api(
            provider.session.clone(),
            settings.api,
            settings.endpoint,
        ));
        *current = Some((provider.session.clone(), library.clone()));
        Ok(library)
    }

    /// Where `provider`'s photos are: PhotoLink's fields of its settings file, or the embedded
    /// demo provider's own.
    fn settings(provider: &Provider) -> Result<PhotoSettings, AppError> {
        Ok(
            match (provider.app.get::<PhotoSettings>(), &provider.embedded) {
                (Some(settings), _) => settings.clone(),
                (None, Some(embedded)) => PhotoSettings {
                    api: PhotoApi::PhotoLink,
                    endpoint: Url::parse(&embedded.endpoints().photos)
                        .map_err(|_| AppError::NoPhotoApi)?,
                },
                (None, None) => return Err(AppError::NoPhotoApi),
            },
        )
    }
}

/// The account `account` (its id in the sign-in's list) changed or went away: drops its
/// photos, here and on disk. The other accounts' photos stay.
pub fn forget_account(app: &AppHandle, account: u32) {
    let Some(photos) = app.try_state::<Photos>() else {
        return;
    };
    let Some(provider) = app.sign_in().account_provider(account) else {
        return;
    };
    if let Some((session, library)) = &*lock(&photos.library)
        && Arc::ptr_eq(session, &provider.session)
    {
        library.forget();
    }
    photos.cache.forget_account_of(&provider.session);
}

/// Lists one page of the connected account's photos.
pub async fn list(app: &AppHandle, page_token: Option<String>) -> Result<PhotoPage, AppError> {
    let provider = app
        .sign_in()
        .provider()
        .ok_or(AppError::OAuth(OAuthError::NotConnected))?;
    let photos = app.state::<Photos>();
    let picker = Photos::settings(&provider).is_ok_and(|s| s.api == PhotoApi::GooglePhotosPicker);
    let listed = match photos.library(&provider) {
        // The Picker lists nothing without a session: the gallery is the photos chosen.
        Ok(library) if picker => {
            choosing::chosen_page(&photos.cache, &library, &provider.session).await
        }
        Ok(library) => {
            photos
                .cache
                .list(&library, &provider.session, page_token.as_deref())
                .await
        }
        Err(error) => Err(error),
    };
    if let Err(AppError::OAuth(error)) = &listed {
        app.sign_in().connection_failed(&provider, error).await;
    }
    listed
}

/// Serves one `photo:` request asynchronously.
pub fn serve(app: &AppHandle, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let sign_in = app.sign_in();
        let photos = app.state::<Photos>();
        let provider = sign_in.provider();
        let library = provider
            .as_ref()
            .and_then(|provider| photos.library(provider).ok());
        let (response, failure) = scheme::answer(library.as_deref(), &photos.cache, &request).await;
        if let (Some(AppError::OAuth(error)), Some(provider)) = (failure, &provider) {
            sign_in.connection_failed(provider, &error).await;
        }
        // A refresh made for this image may have saved tokens, or failed to.
        sign_in.connection_used();
        responder.respond(response);
    });
}

/// The save of an original in progress, if any (one at a time): the switch that cancels it.
#[derive(Default)]
pub struct Saving {
    current: Mutex<Option<original::CancelSwitch>>,
}

impl Saving {
    /// Cancels the save in progress, if any. A save still waiting for the person in the
    /// dialog is cancelled as soon as they choose.
    pub fn cancel(&self) {
        if let Some(switch) = lock(&self.current).as_ref() {
            switch.send_replace(true);
        }
    }
}

/// Saves the original of the photo `id` (titled `title` in the window) where the person
/// chooses in the system's save dialog, telling `progress` how far it has come. The name of
/// the file saved, `None` when the person closed the dialog without choosing.
pub async fn save_original(
    app: &AppHandle,
    id: String,
    title: String,
    progress: Channel<SaveProgress>,
) -> Result<Option<String>, SaveError> {
    let saving = app.state::<Saving>();
    let (switch, cancelled) = original::cancel_switch();
    {
        let mut current = lock(&saving.current);
        if current.is_some() {
            return Err(SaveError::Busy);
        }
        *current = Some(switch);
    }
    let provider = app.sign_in().provider();
    let saved = match &provider {
        Some(provider) => choose_and_save(app, provider, &id, &title, progress, cancelled).await,
        None => Err(SaveError::Provider(AppError::OAuth(
            OAuthError::NotConnected,
        ))),
    };
    *lock(&saving.current) = None;
    if let Err(error) = &saved {
        tracing::warn!(%error, "an original was not saved");
        if let (Some(AppError::OAuth(failure)), Some(provider)) =
            (error.connection_failure(), &provider)
        {
            app.sign_in().connection_failed(provider, failure).await;
        }
    }
    // A refresh made for this download may have saved tokens, or failed to.
    app.sign_in().connection_used();
    saved
}

async fn choose_and_save(
    app: &AppHandle,
    provider: &Provider,
    id: &str,
    title: &str,
    progress: Channel<SaveProgress>,
    cancelled: tokio::sync::watch::Receiver<bool>,
) -> Result<Option<String>, SaveError> {
    let photos = app.state::<Photos>();
    let library = photos.library(provider).map_err(SaveError::Provider)?;
    // The viewer has shown the full image, so its type is known from the cache (a title
    // without an extension then gets the right one).
    let shown = photos
        .cache
        .image(&library, id, index::Rendition::Image)
        .find()
        .await;
    let file_name =
        original::suggested_file_name(title, shown.as_ref().map(|body| body.media_type.as_str()));
    let Some(path) = choose_file(app, &file_name).await? else {
        return Ok(None);
    };
    let report = |step: SaveProgress| {
        // The window may have gone; the save goes on regardless.
        let _ = progress.send(step);
    };
    let bytes = original::save(&library, id, &path, report, cancelled).await?;
    tracing::info!(bytes, "saved an original");
    Ok(Some(
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
    ))
}

/// The file the person chooses in the system's save dialog, starting in the Pictures folder
/// with `file_name` suggested; `None` when they close it without choosing.
async fn choose_file(app: &AppHandle, file_name: &str) -> Result<Option<PathBuf>, SaveError> {
    let (chosen, choice) = tokio::sync::oneshot::channel();
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Save original")
        .set_file_name(file_name)
        .set_can_create_directories(true);
    if let Some(folder) = starting_folder(app) {
        dialog = dialog.set_directory(folder);
    }
    if let Some(window) = app.get_webview_window(crate::main_window::LABEL) {
        dialog = dialog.set_parent(&window);
    }
    dialog.save_file(move |path| {
        let _ = chosen.send(path);
    });
    let Some(path) = choice.await.map_err(|_| SaveError::DialogGone)? else {
        return Ok(None);
    };
    path.into_path()
        .map(Some)
        .map_err(|_| SaveError::DialogPath)
}

/// Where the save dialog starts: the Pictures folder, else Downloads, else the home folder,
/// whichever exists first (`None`: the dialog's own choice).
fn starting_folder(app: &AppHandle) -> Option<PathBuf> {
    let paths = app.path();
    [paths.picture_dir(), paths.download_dir(), paths.home_dir()]
        .into_iter()
        .flatten()
        .find(|folder| folder.is_dir())
}
