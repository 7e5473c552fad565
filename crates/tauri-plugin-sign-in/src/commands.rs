//! The window's commands: thin calls into [`SignIn`]. None takes or returns a secret.

use tauri::{AppHandle, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::SignInExt;
use crate::error::{CommandError, Error};
use crate::messages;
use crate::status::{Status, Tone};

/// The current status; the window calls it on load, then follows `connection-changed`.
#[tauri::command]
pub fn status<R: Runtime>(app: AppHandle<R>) -> Status {
    app.sign_in().status()
}

/// Starts connecting: opens the provider's sign-in page in the system browser.
#[tauri::command]
pub async fn connect<R: Runtime>(app: AppHandle<R>) -> Result<(), CommandError> {
    app.sign_in().accounts.connect().await;
    Ok(())
}

/// "Try again" in the error view: repeats the step that failed (start-up or connect).
#[tauri::command]
pub async fn retry<R: Runtime>(app: AppHandle<R>) -> Result<(), CommandError> {
    app.sign_in().accounts.retry().await;
    Ok(())
}

/// Gives up the sign-in that waits for the browser.
#[tauri::command]
pub async fn cancel<R: Runtime>(app: AppHandle<R>) -> Result<(), CommandError> {
    app.sign_in().accounts.cancel().await;
    Ok(())
}

/// Opens the sign-in page in the browser again.
#[tauri::command]
pub fn open_browser_again<R: Runtime>(app: AppHandle<R>) -> Result<(), CommandError> {
    let sign_in = app.sign_in();
    sign_in
        .accounts
        .chosen()
        .open_browser_again()
        .map_err(|error| sign_in.command_error(&error))
}

/// Copies the sign-in page's address to the clipboard, for pasting into another browser.
#[tauri::command]
pub fn copy_link<R: Runtime>(app: AppHandle<R>) -> Result<(), CommandError> {
    let sign_in = app.sign_in();
    let chosen = sign_in.accounts.chosen();
    let copied = chosen.waiting_url().and_then(|url| {
        app.clipboard()
            .write_text(url.as_str())
            .map_err(Error::Clipboard)
    });
    match copied {
        Ok(()) => {
            chosen.notify(Tone::Info, messages::LINK_COPIED);
            Ok(())
        }
        Err(error) => Err(sign_in.command_error(&error)),
    }
}

/// Disconnects the chosen account: revokes its tokens at the provider and removes them from the keyring.
#[tauri::command]
pub async fn disconnect<R: Runtime>(app: AppHandle<R>) -> Result<(), CommandError> {
    app.sign_in().accounts.disconnect().await;
    Ok(())
}

/// Adds an account at the provider whose key is `provider` (the settings' first when not
/// given): a sign-in for another one in the browser, beside those linked.
#[tauri::command]
pub async fn add_account<R: Runtime>(
    app: AppHandle<R>,
    provider: Option<String>,
) -> Result<(), CommandError> {
    let sign_in = app.sign_in();
    sign_in
        .accounts
        .add(provider)
        .await
        .map_err(|error| sign_in.command_error(&error))
}

/// Chooses the account `id` of the list: the window shows its status and gallery.
#[tauri::command]
pub fn choose_account<R: Runtime>(app: AppHandle<R>, id: u32) -> Result<(), CommandError> {
    let sign_in = app.sign_in();
    match sign_in.accounts.choose(id) {
        true => Ok(()),
        false => Err(sign_in.command_error(&Error::NoSuchAccount)),
    }
}
