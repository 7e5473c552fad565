//! What the hooks of the test machinery name, compiled either way: the endpoint group a fault
//! belongs to, and what the provider counts.

/// The endpoint group a fault belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultTarget {
    Token,
    Photos,
    Discovery,
    Jwks,
    PushedAuthorization,
    Userinfo,
}

/// What the provider counts; each is the [`Stats`](crate::Stats) member of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    ConsentPages,
    Approvals,
    Denials,
    TokenRequests,
    TokenErrors,
    AuthorizationCodeGrants,
    RefreshGrants,
    CodeReuseDetected,
    RefreshReuseDetected,
    RevocationRequests,
    GrantsRevoked,
    UserinfoRequests,
    PushedAuthorizationRequests,
    JwksRequests,
    IdTokensIssued,
    PhotoListRequests,
    ImageRequests,
    ThumbnailRequests,
    UnauthorizedRequests,
    DpopProofsAccepted,
    DpopProofsRefused,
    DpopNoncesDemanded,
}

impl Count {
    /// How many there are.
    #[cfg(feature = "test-machinery")]
    pub(crate) const KINDS: usize = Self::DpopNoncesDemanded as usize + 1;
}
