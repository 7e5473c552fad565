//! The account's photos: listing pages from the photo API, and serving the images to the window
//! through the `photo:` URI scheme.
//!
//! # The pieces
//!
//! | Module | What it is |
//! | --- | --- |
//! | [`api`] | The photo API client: one page of the list, and where each photo's renditions are. |
//! | [`index`] | The id index: the opaque ids the window uses, and the photo API URLs behind them. |
//! | [`scheme`] | The `photo:` scheme: answers `photo://localhost/{id}/{thumbnail\|image}`. |
//!
//! # How a photo reaches the window
//!
//! 1. The window calls the `photos` command; [`list`] fetches a page with the Bearer token and
//!    indexes each photo under an opaque id.
//! 2. The window shows `photo://localhost/{id}/thumbnail` in an `<img>`.
//! 3. [`serve`] looks the id up and fetches the image from the photo API. The Bearer token is
//!    sent only to the photo API's origin and never reaches the window.

mod api;
mod cache;
mod index;
mod scheme;

use photolink_oauth::Error as OAuthError;
use tauri::http::Request;
use tauri::{AppHandle, Manager, UriSchemeResponder};

use crate::connection;
use crate::error::AppError;
use crate::state::AppState;

pub use api::PhotoPage;
pub use cache::PhotoCache;
pub use index::PhotoIndex;
pub use scheme::SCHEME;

/// Lists one page of the connected account's photos.
pub async fn list(app: &AppHandle, page_token: Option<String>) -> Result<PhotoPage, AppError> {
    let state = app.state::<AppState>();
    let provider = state
        .provider()
        .ok_or(AppError::OAuth(OAuthError::NotConnected))?;
    let listed = api::list_page(
        &provider.session,
        &provider.photos_endpoint,
        &state.photos,
        page_token,
    )
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
        let session = provider.as_ref().map(|provider| &*provider.session);
        let (response, failure) = scheme::answer(&state.photos, session, &request).await;
        if let Some(error) = failure {
            connection::connection_failed(&app, &error);
        }
        // A refresh made for this image may have saved tokens, or failed to.
        state.connection.connection_used();
        responder.respond(response);
    });
}
