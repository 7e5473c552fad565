//! The authorization server: the consent page, codes and grants, tokens, client
//! authentication, DPoP, pushed requests, ID tokens, discovery and the JWK Set, revocation,
//! userinfo and the bearer check the protected resources share.

pub(crate) mod account;
pub(crate) mod authorize;
pub(crate) mod bearer;
pub(crate) mod client;
pub(crate) mod client_auth;
pub(crate) mod consent;
pub(crate) mod dpop;
pub(crate) mod grants;
pub(crate) mod id_token;
pub(crate) mod metadata;
pub(crate) mod oauth_error;
pub(crate) mod pages;
pub(crate) mod par;
pub(crate) mod proofs;
pub(crate) mod push;
pub(crate) mod revocation;
pub(crate) mod scope;
pub(crate) mod token;
pub(crate) mod userinfo;
