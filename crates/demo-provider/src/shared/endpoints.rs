//! Where the provider's endpoints are, derived from the issuer.

/// Absolute URLs of the provider's endpoints. All live under the issuer URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `{issuer}/authorize`: consent page (GET) and decision (POST).
    pub authorization: String,
    /// `{issuer}/token`.
    pub token: String,
    /// `{issuer}/revoke` (RFC 7009).
    pub revocation: String,
    /// `{issuer}/userinfo`: `{"sub","name","email"}` for a Bearer token with `profile`.
    pub userinfo: String,
    /// `{issuer}/photos`: the paged photo list for a Bearer token with `photos:read`.
    pub photos: String,
    /// `{issuer}/par`: pushed authorization requests (RFC 9126).
    pub pushed_authorization: String,
    /// `{issuer}/jwks`: the JWK Set that verifies ID tokens.
    pub jwks: String,
}

impl Endpoints {
    pub(crate) fn under(issuer: &str) -> Self {
        Self {
            authorization: format!("{issuer}/authorize"),
            token: format!("{issuer}/token"),
            revocation: format!("{issuer}/revoke"),
            userinfo: format!("{issuer}/userinfo"),
            photos: format!("{issuer}/photos"),
            pushed_authorization: format!("{issuer}/par"),
            jwks: format!("{issuer}/jwks"),
        }
    }
}
