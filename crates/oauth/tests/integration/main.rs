//! Integration tests of the OAuth core over real HTTP on loopback: against the demo provider,
//! and against small scripted servers for answers the provider never gives.

mod support;

mod discovery;
mod dpop;
mod faults;
mod issuer_template;
mod openid;
mod provider_flow;
mod provider_session;
mod proxy;
mod pushed_authorization;
mod session_mock;
mod token_endpoint;
mod variations;
