//! The window's commands: thin calls into the connection. None takes or returns a secret.

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::error::AppError;
use crate::messages;
use crate::photos::{self, PhotoPage, SaveProgress, Saving};
use crate::state::AppState;
use crate::status::{Status, Tone};

/// A command's failure as the window receives it: the plain sentence for the [`AppError`],
/// naming the provider in use. The error itself stays technical, for the log.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct CommandError(String);

impl CommandError {
    fn new(state: &AppState, error: &AppError) -> Self {
        tracing::warn!(%error, "a command failed");
        Self(state.connection.explain(error))
    }
}

/// The current status; the window calls it on load, then follows `connection-changed`.
#[tauri::command]
pub fn status(state: State<'_, AppState>) -> Status {
    tracing::info!(target: "photolink_bench", "status-sent"); // timing mark, see lib.rs
    state.connection.status()
}

/// Starts connecting: opens the provider's sign-in page in the system browser.
#[tauri::command]
pub async fn connect(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.connection.connect().await;
    Ok(())
}

/// "Try again" in the error view: repeats the step that failed (start-up or connect).
#[tauri::command]
pub async fn retry(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.connection.retry().await;
    Ok(())
}

/// Gives up the sign-in that waits for the browser.
#[tauri::command]
pub async fn cancel(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.connection.cancel().await;
    Ok(())
}

/// Opens the sign-in page in the browser again.
#[tauri::command]
pub fn open_browser_again(state: State<'_, AppState>) -> Result<(), CommandError> {
    state
        .connection
        .open_browser_again()
        .map_err(|error| CommandError::new(&state, &error))
}

/// Copies the sign-in page's address to the clipboard, for pasting into another browser.
#[tauri::command]
pub fn copy_link(app: AppHandle, state: State<'_, AppState>) -> Result<(), CommandError> {
    let copied = state.connection.waiting_url().and_then(|url| {
        app.clipboard()
            .write_text(url.as_str())
            .map_err(|e| AppError::Clipboard(e.to_string()))
    });
    match copied {
        Ok(()) => {
            state.connection.notify(Tone::Info, messages::LINK_COPIED);
            Ok(())
        }
        Err(error) => Err(CommandError::new(&state, &error)),
    }
}

/// Disconnects: revokes the tokens at the provider and removes them from the keyring.
#[tauri::command]
pub async fn disconnect(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.connection.disconnect().await;
    Ok(())
}

/// One page of photos; pass the previous page's `next_page_token` for the next one. When the
/// provider cannot be reached, the page saved for this account, with `offline: true`. Listing may
/// refresh the tokens, so the keyring warning is brought up to date afterwards.
#[tauri::command]
pub async fn photos(
    app: AppHandle,
    state: State<'_, AppState>,
    page_token: Option<String>,
) -> Result<PhotoPage, CommandError> {
    let page = photos::list(&app, page_token).await;
    state.connection.connection_used();
    page.map_err(|error| CommandError::new(&state, &error))
}

/// "Save original…": opens the system's save dialog (in the Pictures folder, `title` made
/// into a safe file name suggested) and saves the original of the photo `id` there, telling
/// `on_progress` how far it has come. What to tell the person when it was saved, `None` when
/// they closed the dialog. The window names no path: only the person does, in the dialog.
#[tauri::command]
pub async fn save_original(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    title: String,
    on_progress: Channel<SaveProgress>,
) -> Result<Option<String>, CommandError> {
    match photos::save_original(&app, id, title, on_progress).await {
        Ok(saved) => Ok(saved.map(|file_name| messages::original_saved(&file_name))),
        Err(error) => Err(CommandError::new(&state, &AppError::Save(Box::new(error)))),
    }
}

/// Cancels the save of an original in progress; the partial file is removed.
#[tauri::command]
pub fn cancel_save(saving: State<'_, Saving>) {
    saving.cancel();
}
