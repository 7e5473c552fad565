//! The demo provider and a client connected to it.

use std::sync::Arc;

use photolink_demo_provider::{Config, ProviderHandle};
use photolink_oauth::{
    ClientConfig, Error, MemoryTokenStore, OAuthClient, PendingAuthorization, Persistence,
    ResourceResponse, SavedSignIn, Session, TokenSet, TokenStore,
};

use url::Url;

use super::consent::{Decision, decide};
use super::mock::config;

/// A running provider with a session connected through the full authorization flow.
pub struct Connected {
    pub provider: ProviderHandle,
    pub client: OAuthClient,
    pub store: Arc<MemoryTokenStore>,
    pub session: Arc<Session>,
}

impl Connected {
    /// The tokens saved in the store.
    pub fn saved(&self) -> TokenSet {
        self.store.load().unwrap().expect("tokens are saved")
    }

    /// A new session over the same store, as after an app restart.
    pub fn restarted_session(&self) -> Arc<Session> {
        Arc::new(Session::new(self.client.clone(), self.store.clone()).unwrap())
    }

    /// URL of the photo list.
    pub fn photos_url(&self) -> String {
        self.provider.endpoints().photos.clone()
    }

    /// The photo list, fetched by the connected session.
    pub async fn get_photos(&self) -> Result<ResourceResponse, Error> {
        self.session.authorized_get(&self.photos_url()).await
    }

    /// Revokes the saved refresh token at the provider, which ends the grant; returns the
    /// tokens that were saved.
    pub async fn revoke_grant(&self) -> TokenSet {
        let tokens = self.saved();
        self.client
            .revoke_refresh_token(tokens.refresh_token.as_ref().unwrap())
            .await
            .unwrap();
        tokens
    }
}

pub async fn start(config: Config) -> ProviderHandle {
    photolink_demo_provider::start(config)
        .await
        .expect("the demo provider starts")
}

/// A client that discovered `provider`.
pub async fn client_for(provider: &ProviderHandle) -> OAuthClient {
    client_with(provider, config()).await
}

/// A client with `client_config` that discovered `provider`.
pub async fn client_with(provider: &ProviderHandle, client_config: ClientConfig) -> OAuthClient {
    OAuthClient::discover(client_config, provider.issuer_url())
        .await
        .expect("discovery works")
}

/// Runs the browser part of the flow; returns the slot and the callback URL.
pub async fn authorize(client: &OAuthClient, decision: Decision) -> (PendingAuthorization, String) {
    let pending = PendingAuthorization::new();
    let url = pending.begin(client).unwrap();
    let callback = decide(&url, decision).await;
    (pending, callback)
}

/// The sign-in `saved` as a new process finds it: through its stored (JSON) form, restored
/// into a new sign-in of `client`.
pub fn restored_in_a_new_process(client: &OAuthClient, saved: SavedSignIn) -> PendingAuthorization {
    let stored = serde_json::to_string(&saved).unwrap();
    let restored = PendingAuthorization::new();
    restored
        .restore(client, serde_json::from_str(&stored).unwrap())
        .unwrap();
    restored
}

/// Approves the sign-in `pending` started at `url` and exchanges its code with `client`.
pub async fn approve_and_exchange(
    client: &OAuthClient,
    pending: &PendingAuthorization,
    url: &Url,
) -> Result<TokenSet, Error> {
    let callback = decide(url, Decision::Approve).await;
    client
        .exchange_code(pending.complete(&callback).unwrap())
        .await
}

/// Approves the sign-in `pending` started at `url` and connects a new session of `client`,
/// over a store in memory, with its code; the tokens are saved.
pub async fn approve_and_connect(
    client: OAuthClient,
    pending: &PendingAuthorization,
    url: &Url,
) -> Session {
    let callback = decide(url, Decision::Approve).await;
    let session = Session::new(client, Arc::new(MemoryTokenStore::new())).unwrap();
    let persistence = session
        .connect(pending.complete(&callback).unwrap())
        .await
        .expect("the code exchange works");
    assert_eq!(persistence, Persistence::Saved);
    session
}

/// Approves a sign-in of `client` at the consent page and connects `session` with its code.
pub async fn sign_in(client: &OAuthClient, session: &Session) -> Result<Persistence, Error> {
    let (pending, callback) = authorize(client, Decision::Approve).await;
    session.connect(pending.complete(&callback).unwrap()).await
}

/// Starts a provider with `config` and connects a session to it.
pub async fn connected(provider_config: Config) -> Connected {
    connected_with(provider_config, config()).await
}

/// Starts a provider with `provider_config` and connects a session with `client_config` to it.
pub async fn connected_with(provider_config: Config, client_config: ClientConfig) -> Connected {
    let provider = start(provider_config).await;
    let client = client_with(&provider, client_config).await;
    let store = Arc::new(MemoryTokenStore::new());
    let session = Arc::new(Session::new(client.clone(), store.clone()).unwrap());
    let persistence = sign_in(&client, &session)
        .await
        .expect("the code exchange works");
    assert_eq!(persistence, Persistence::Saved);
    Connected {
        provider,
        client,
        store,
        session,
    }
}

/// Rewrites the saved tokens so the access token looks expired to the client.
pub fn expire_locally(connected: &Connected) {
    let mut tokens = connected.saved();
    tokens.expires_at = Some(tokens.received_at);
    connected.store.save(&tokens).unwrap();
}
