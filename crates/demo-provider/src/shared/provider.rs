//! The state of one running provider, which every request handler is given.

use std::sync::Arc;

use crate::authorization::consent::PendingConsents;
use crate::authorization::dpop::DpopVerifier;
use crate::authorization::grants::Grants;
use crate::authorization::id_token::IdTokenSigner;
use crate::authorization::par::PushedRequests;
use crate::photo_api::images::ImageStore;
use crate::photo_api::library::Library;
use crate::shared::config::{ExpiryField, IssParameter};
use crate::shared::endpoints::Endpoints;
use crate::test_machinery::machinery::{Counters, FaultSwitch};

/// State shared by every request handler.
pub(crate) type AppState = Arc<Provider>;

/// One running provider.
pub(crate) struct Provider {
    pub issuer: String,
    /// `http://127.0.0.1:PORT`, the origin of the consent page.
    pub own_origin: String,
    pub advertised_issuer: Option<String>,
    pub iss_parameter: IssParameter,
    pub expiry_field: ExpiryField,
    pub client_secret: Option<String>,
    /// The discovery documents advertise DPoP.
    pub offer_dpop: bool,
    /// Token and revocation requests must carry a DPoP proof.
    pub require_dpop: bool,
    pub dpop: DpopVerifier,
    pub endpoints: Endpoints,
    pub grants: Grants,
    pub consents: PendingConsents,
    pub faults: FaultSwitch,
    pub counters: Arc<Counters>,
    pub library: Library,
    pub images: ImageStore,
    /// Pushed authorization requests (RFC 9126).
    pub pushed: PushedRequests,
    /// Signs ID tokens for sign-ins with `openid`.
    pub id_tokens: IdTokenSigner,
}
