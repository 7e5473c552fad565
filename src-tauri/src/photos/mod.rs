//! The account's photos: listing pages from the photo API, and serving the images to the window
//! through the `photo:` URI scheme.
//!
//! # The pieces
//!
//! | Module | What it is |
//! | --- | --- |
//! | [`source`] | The seam to a photo API: [`PhotoSource`] says how to ask for a page, how to read it, and how each rendition is fetched ([`Download`]). |
//! | [`photolink`] | The `photolink` source: PhotoLink's own `{"photos": [...], "next_page_token"}` list. |
//! | [`microsoft_graph`] | The `microsoft-graph` source: every photo under OneDrive's Camera Roll and Photos folders through Microsoft Graph, the walk's cursor in the page token, downloads by pre-authenticated URL. |
//! | [`google_drive`] | The `google-drive` source: the images in Google Drive through the Drive API v3. |
//! | [`details`] | What a listing says of a photo besides its renditions, read strictly: [`TakenAt`](details::TakenAt) (the date taken, as ISO 8601), pixel and byte sizes. |
//! | [`api_root`] | [`ApiRoot`](api_root::ApiRoot): a photo API's root; the sources build their addresses under it and check the ones the service hands back. |
//! | [`library`] | [`PhotoLibrary`]: makes every request for a source (the Bearer token only to the photos endpoint's origin) and gives the window its view of each photo. |
//! | [`index`] | The id index: the opaque ids the window uses, and how each photo's renditions are fetched. |
//! | [`scheme`] | The `photo:` scheme: answers `photo://localhost/{id}/{thumbnail\|image}`. |
//! | [`cache`] | [`PhotoCache`]: images in memory for the session, thumbnails and list pages on disk per account, the saved list when offline. |
//!
//! # How a photo reaches the window
//!
//! 1. The window calls the `photos` command; [`list`] asks the provider's [`PhotoLibrary`],
//!    which fetches a page with the Bearer token, has the source read it, and indexes each
//!    photo under an opaque id. The [`PhotoCache`] saves the page; when the provider cannot be
//!    reached, it answers with the saved page instead, marked `offline`.
//! 2. The window shows `photo://localhost/{id}/thumbnail` in an `<img>`.
//! 3. [`serve`] hands the request to the scheme, which has the library fetch the rendition:
//!    with the Bearer token from the photo API's origin, or without any credentials from a
//!    pre-authenticated URL. The token never reaches the window. An image found in the
//!    [`PhotoCache`] (memory, then disk) is served from there; one fetched is kept there.

mod api_root;
mod cache;
mod details;
mod google_drive;
mod index;
mod library;
mod microsoft_graph;
mod photolink;
mod scheme;
mod source;
#[cfg(test)]
mod tests;

use photolink_oauth::Error as OAuthError;
use tauri::http::Request;
use tauri::{AppHandle, Manager, UriSchemeResponder};

use crate::connection;
use crate::error::AppError;
use crate::state::AppState;

pub use cache::PhotoCache;
pub use library::{PhotoLibrary, PhotoPage};
pub use scheme::SCHEME;

/// Lists one page of the connected account's photos.
pub async fn list(app: &AppHandle, page_token: Option<String>) -> Result<PhotoPage, AppError> {
    let state = app.state::<AppState>();
    let provider = state
        .provider()
        .ok_or(AppError::OAuth(OAuthError::NotConnected))?;
    let listed = state
        .cache
        .list(&provider.photos, &provider.session, page_token.as_deref())
        .await;
    if let Err(error) = &listed {
        connection::connection_failed(app, error);
    }
    listed
}

/// Serves one `photo:` request asynchronously.
pub fn serve(app: &AppHandle, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let provider = state.provider();
        let library = provider.as_ref().map(|provider| &provider.photos);
        let (response, failure) = scheme::answer(library, &state.cache, &request).await;
        if let Some(error) = failure {
            connection::connection_failed(&app, &error);
        }
        // A refresh made for this image may have saved tokens, or failed to.
        state.connection.connection_used();
        responder.respond(response);
    });
}
