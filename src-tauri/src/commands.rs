//! The window's commands. None takes or returns a secret.

use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::connection;
use crate::error::AppError;
use crate::photos::{self, PhotoPage};
use crate::state::AppState;
use crate::status::{Status, Tone};

/// The current status; the window calls it on load, then follows `connection-changed`.
#[tauri::command]
pub fn status(state: State<'_, AppState>) -> Status {
    state.status()
}

/// Starts connecting: opens the provider's sign-in page in the system browser.
#[tauri::command]
pub async fn connect(app: AppHandle) {
    connection::connect(&app).await;
}

/// Gives up the sign-in that waits for the browser.
#[tauri::command]
pub fn cancel(app: AppHandle) {
    connection::cancel(&app);
}

/// Opens the sign-in page in the browser again.
#[tauri::command]
pub fn open_browser_again(app: AppHandle) -> Result<(), AppError> {
    connection::open_browser_again(&app)
}

/// Copies the sign-in page's address to the clipboard, for pasting into another browser.
#[tauri::command]
pub fn copy_link(app: AppHandle, state: State<'_, AppState>) -> Result<(), AppError> {
    let url = connection::waiting_url(&app)?;
    app.clipboard()
        .write_text(url.as_str())
        .map_err(|e| AppError::Clipboard(e.to_string()))?;
    state.notify(
        &app,
        Tone::Info,
        "Link copied. Paste it into your browser's address bar.",
    );
    Ok(())
}

/// Disconnects: revokes the tokens at the provider and removes them from the keyring.
#[tauri::command]
pub async fn disconnect(app: AppHandle) {
    connection::disconnect(&app).await;
}

/// One page of photos; pass the previous page's `next_page_token` for the next one.
#[tauri::command]
pub async fn photos(app: AppHandle, page_token: Option<String>) -> Result<PhotoPage, AppError> {
    photos::list(&app, page_token).await
}
