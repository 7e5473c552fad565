//! PhotoLink's own command: the photos. The sign-in's commands are the sign-in plugin's. None
//! takes or returns a secret.

use serde::Serialize;
use tauri::AppHandle;
use tauri_plugin_sign_in::SignInExt;

use crate::error::AppError;
use crate::messages;
use crate::photos::{self, PhotoPage};

/// A command's failure as the window receives it: the plain sentence for the [`AppError`],
/// naming the provider in use. The error itself stays technical, for the log.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct CommandError(String);

impl CommandError {
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
