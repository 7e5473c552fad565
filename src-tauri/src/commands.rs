//! PhotoLink's own commands: the photos, saving an original, and choosing photos in Google Photos. The sign-in's commands are the sign-in plugin's. None
//! takes or returns a secret.

use serde::Serialize;
use tauri::AppHandle;
use tauri::State;
use tauri::ipc::Channel;
use tauri_plugin_sign_in::SignInExt;

use crate::error::AppError;
use crate::messages;
use crate::photos::{self, ChoosingProgress, ChosenState, PhotoPage, SaveProgress, Saving};

/// A command's failure as the window receives it: the plain sentence for the [`AppError`],
/// naming the provider in use. The error itself stays technical, for the log.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct CommandError(String);

impl CommandError {
    /// A sentence from [`messages`] already.
    fn sentence(sentence: String) -> Self {
        Self(sentence)
    }

    fn new(app: &AppHandle, error: &AppError) -> Self {
        tracing::warn!(%error, "a command failed");
        Self(messages::app(error, &app.sign_in().provider_name()))
    }
}

/// One page of photos; pass the previous page's `next_page_token` for the next one. When the
/// provider cannot be reached, the page saved for this account, with `offline: true`. Listing may
/// refresh the tokens, so the keyring warning is brought up to date afterwards.
#[tauri::command]
pub async fn photos(app: AppHandle, page_token: Option<String>) -> Result<PhotoPage, CommandError> {
    let page = photos::list(&app, page_token).await;
    app.sign_in().connection_used();
    page.map_err(|error| CommandError::new(&app, &error))
}

/// "Save original…": opens the system's save dialog (in the Pictures folder, `title` made
/// into a safe file name suggested) and saves the original of the photo `id` there, telling
/// `on_progress` how far it has come. What to tell the person when it was saved, `None` when
/// they closed the dialog. The window names no path: only the person does, in the dialog.
#[tauri::command]
pub async fn save_original(
    app: AppHandle,
    id: String,
    title: String,
    on_progress: Channel<SaveProgress>,
) -> Result<Option<String>, CommandError> {
    match photos::save_original(&app, id, title, on_progress).await {
        Ok(saved) => Ok(saved.map(|file_name| messages::original_saved(&file_name))),
        Err(error) => Err(CommandError::new(&app, &AppError::Save(Box::new(error)))),
    }
}

/// Cancels the save of an original in progress; the partial file is removed.
#[tauri::command]
pub fn cancel_save(saving: State<'_, Saving>) {
    saving.cancel();
}

/// What the window shows about the photos chosen in Google Photos (when the account's photos
/// come from the Picker): how many, what choosing means, and whether their full images have
/// expired.
#[tauri::command]
pub async fn chosen_photos(app: AppHandle) -> Result<ChosenState, CommandError> {
    photos::chosen_state(&app)
        .await
        .map_err(|error| CommandError::new(&app, &error))
}

/// **Choose photos…**: opens Google Photos' picker in the browser, waits for the person to
/// press Done (telling `on_progress`, with the time allowed), and keeps the photos chosen.
/// What to tell the person: how many photos were added, or why none were.
#[tauri::command]
pub async fn choose_photos(
    app: AppHandle,
    on_progress: Channel<ChoosingProgress>,
) -> Result<String, CommandError> {
    photos::choose(&app, on_progress)
        .await
        .map_err(CommandError::sentence)
}
