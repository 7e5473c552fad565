//! Connecting, finishing a sign-in from its callback, restoring and disconnecting: every change
//! of the connection goes through here.

use std::sync::Arc;

use photolink_oauth::{AuthorizationErrorCode, Error as OAuthError, SessionStatus};
use tauri::{AppHandle, Manager};
use tauri_plugin_opener::OpenerExt;

use crate::error::AppError;
use crate::provider::Provider;
use crate::state::AppState;
use crate::status::{Connection, Tone};

/// At start-up: sets the provider up and restores a saved connection without the browser.
pub async fn start_up(app: AppHandle) {
    let state = app.state::<AppState>();
    match provider(&app).await {
        Ok(provider) => {
            let connection = if provider.session.status() == SessionStatus::Connected {
                connected(&provider).await
            } else {
                Connection::Disconnected
            };
            state.set_connection(&app, connection);
            report_keyring_problem(&app, &provider);
        }
        Err(error) => show_error(&app, &error),
    }
}

/// Starts a sign-in: builds the authorization URL and opens it in the system browser.
pub async fn connect(app: &AppHandle) {
    let state = app.state::<AppState>();
    state.clear_notice(app);
    let provider = match provider(app).await {
        Ok(provider) => provider,
        Err(error) => return show_error(app, &error),
    };
    let url = match state.pending.begin(provider.session.client()) {
        Ok(url) => url,
        Err(error) => return show_error(app, &error.into()),
    };
    state.set_authorize_url(Some(url.clone()));
    state.set_connection(app, Connection::Waiting);
    open_in_browser(app, &url);
}

/// Opens the sign-in page again.
pub fn open_browser_again(app: &AppHandle) -> Result<(), AppError> {
    let url = waiting_url(app)?;
    open_in_browser(app, &url);
    Ok(())
}

/// The sign-in page's address, while waiting for the browser. It holds no secret: `state` and
/// the PKCE challenge are useless without the verifier, which never leaves the backend.
pub fn waiting_url(app: &AppHandle) -> Result<url::Url, AppError> {
    let state = app.state::<AppState>();
    match (state.connection(), state.authorize_url()) {
        (Connection::Waiting, Some(url)) => Ok(url),
        _ => Err(AppError::NotWaiting),
    }
}

/// Gives up the sign-in in progress; a callback for it arriving later is ignored.
pub fn cancel(app: &AppHandle) {
    let state = app.state::<AppState>();
    if state.connection() == Connection::Waiting {
        state.pending.cancel();
        state.set_authorize_url(None);
        state.set_connection(app, Connection::Disconnected);
    }
}

/// Finishes the sign-in with the callback URL the OS handed over. A URL that does not belong to
/// the sign-in in progress only produces a notice and leaves that sign-in waiting.
pub async fn finish(app: &AppHandle, callback_url: &str) {
    let state = app.state::<AppState>();
    let provider = match provider(app).await {
        Ok(provider) => provider,
        Err(error) => return show_error(app, &error),
    };
    let was_waiting = state.pending.is_in_progress();
    let response = match state.pending.complete(callback_url) {
        Ok(response) => response,
        Err(error) if !was_waiting || state.pending.is_in_progress() => {
            tracing::warn!(reason = %error, "ignored a sign-in link");
            let message = if was_waiting {
                "PhotoLink ignored a sign-in link that does not belong to this sign-in. It is still waiting for your browser."
            } else {
                "PhotoLink ignored a sign-in link because no sign-in is in progress."
            };
            return state.notify(app, Tone::Info, message);
        }
        Err(error) => {
            state.set_authorize_url(None);
            return show_sign_in_error(app, &provider, error);
        }
    };
    state.set_authorize_url(None);
    state.set_connection(app, Connection::Exchanging);
    match provider.session.connect(response).await {
        Ok(()) => {
            tracing::info!("account connected");
            let connection = connected(&provider).await;
            state.set_connection(app, connection);
            report_keyring_problem(app, &provider);
        }
        Err(error) => show_sign_in_error(app, &provider, error),
    }
}

/// Revokes the tokens at the provider and forgets them here. Ends disconnected even when
/// revocation fails; that is reported in plain words.
pub async fn disconnect(app: &AppHandle) {
    let state = app.state::<AppState>();
    let Some(provider) = state.provider() else {
        return state.set_connection(app, Connection::Disconnected);
    };
    let revoked = provider.session.disconnect().await;
    state.photos.clear();
    state.set_connection(app, Connection::Disconnected);
    match revoked {
        Ok(()) => tracing::info!("account disconnected"),
        Err(error) => {
            tracing::warn!(%error, "disconnected, but revocation failed");
            state.notify(app, Tone::Warning, error.to_string());
        }
    }
    report_keyring_problem(app, &provider);
}

/// Reacts to a failure while using the connection (e.g. listing photos): a dead grant means
/// the person has to connect again.
pub fn connection_failed(app: &AppHandle, error: &AppError) {
    if matches!(error, AppError::OAuth(OAuthError::ReconnectNeeded)) {
        app.state::<AppState>().photos.clear();
        show_error(app, error);
    }
}

/// The provider, set up on first use.
async fn provider(app: &AppHandle) -> Result<Arc<Provider>, AppError> {
    app.state::<AppState>()
        .provider_or_setup(|| Provider::set_up(app))
        .await
}

/// The connected status, with the account's name from userinfo when the provider offers it.
async fn connected(provider: &Provider) -> Connection {
    let session = &provider.session;
    let scopes = session.granted_scopes();
    let (account, email) = match session.userinfo().await {
        Ok(info) => match (
            info.name.filter(|n| !n.is_empty()),
            info.email.filter(|e| !e.is_empty()),
        ) {
            (Some(name), email) => (name, email),
            (None, Some(email)) => (email, None),
            (None, None) => (provider.summary.name.clone(), None),
        },
        Err(OAuthError::ReconnectNeeded) => {
            return Connection::Error {
                message: OAuthError::ReconnectNeeded.to_string(),
                retryable: true,
            };
        }
        Err(error) => {
            tracing::info!(%error, "no account details; showing the provider's name");
            (provider.summary.name.clone(), None)
        }
    };
    Connection::Connected {
        account,
        email,
        scopes,
    }
}

fn show_sign_in_error(app: &AppHandle, provider: &Provider, error: OAuthError) {
    tracing::warn!(%error, "sign-in failed");
    let connection = sign_in_failure(&provider.summary.name, error);
    app.state::<AppState>().set_connection(app, connection);
}

/// The error status for a sign-in that failed; a refusal names the provider.
fn sign_in_failure(provider_name: &str, error: OAuthError) -> Connection {
    let message = match &error {
        OAuthError::Authorization {
            code: AuthorizationErrorCode::AccessDenied,
            ..
        } => {
            format!("You declined access at {provider_name}.")
        }
        _ => error.to_string(),
    };
    Connection::Error {
        message,
        retryable: AppError::from(error).is_retryable(),
    }
}

fn show_error(app: &AppHandle, error: &AppError) {
    tracing::warn!(%error, "connection error");
    let connection = Connection::Error {
        message: error.to_string(),
        retryable: error.is_retryable(),
    };
    app.state::<AppState>().set_connection(app, connection);
}

fn report_keyring_problem(app: &AppHandle, provider: &Provider) {
    if let Some(problem) = provider.store.take_problem() {
        app.state::<AppState>().notify(app, Tone::Warning, problem);
    }
}

fn open_in_browser(app: &AppHandle, url: &url::Url) {
    tracing::info!(
        host = url.host_str().unwrap_or_default(),
        "opening the sign-in page in the browser"
    );
    if let Err(error) = app.opener().open_url(url.as_str(), None::<&str>) {
        tracing::warn!(%error, "could not open the browser");
        app.state::<AppState>().notify(
            app,
            Tone::Warning,
            "PhotoLink could not open your browser. Use Copy link and paste the address into your browser.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied() -> OAuthError {
        OAuthError::Authorization {
            code: AuthorizationErrorCode::AccessDenied,
            description: Some("The user said no".into()),
            uri: None,
        }
    }

    #[test]
    fn a_refusal_names_the_provider_in_plain_words() {
        let Connection::Error { message, retryable } = sign_in_failure("Demo Photos", denied())
        else {
            panic!("not an error status");
        };
        assert_eq!(message, "You declined access at Demo Photos.");
        assert!(retryable);
    }

    #[test]
    fn other_failures_keep_the_cores_sentence() {
        let Connection::Error { message, retryable } =
            sign_in_failure("Demo Photos", OAuthError::AuthorizationExpired)
        else {
            panic!("not an error status");
        };
        assert!(message.contains("expired"), "{message}");
        assert!(retryable);
        let Connection::Error { retryable, .. } =
            sign_in_failure("Demo Photos", OAuthError::InvalidConfig("no S256".into()))
        else {
            panic!("not an error status");
        };
        assert!(!retryable, "only a settings change helps");
    }
}
