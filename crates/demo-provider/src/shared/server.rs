//! Starting the HTTP server: shared state and routes.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Router, middleware};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::authorization::consent::PendingConsents;
use crate::authorization::dpop::DpopVerifier;
use crate::authorization::grants::Grants;
use crate::authorization::id_token::IdTokenSigner;
use crate::authorization::par::PushedRequests;
use crate::authorization::{authorize, metadata, push, revocation, token, userinfo};
use crate::photo_api::images::ImageStore;
use crate::photo_api::library::Library;
use crate::photo_api::photos;
use crate::shared::config::Config;
use crate::shared::endpoints::Endpoints;
use crate::shared::handle::ProviderHandle;
use crate::shared::host::{self, OwnAuthorities};
use crate::shared::provider::{AppState, Provider};
use crate::test_machinery::machinery::{Counters, FaultSwitch};
use crate::{ConfigProblem, Error};

/// Binds 127.0.0.1, loads saved grants and serves until the handle is shut down or dropped.
pub async fn start(config: Config) -> Result<ProviderHandle, Error> {
    validate_issuer_path(&config.issuer_path)?;
    refuse_unbuilt_test_machinery(&config, cfg!(feature = "test-machinery"))?;
    config.limits.validate()?;
    let counters = Arc::new(Counters::new(config.limits.presented_refresh_tokens));
    let grants = Grants::open(
        config.state_file.clone(),
        config.access_token_ttl,
        config.authorization_code_ttl,
        config.limits,
        counters.clone(),
    )?;
    let id_tokens = IdTokenSigner::open(config.state_file.as_deref())?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
        .await
        .map_err(Error::Bind)?;
    let address: SocketAddr = listener.local_addr().map_err(Error::Bind)?;
    let issuer = format!("http://{address}{}", config.issuer_path);
    let provider: AppState = Arc::new(Provider {
        endpoints: Endpoints::under(&issuer),
        issuer,
        own_origin: format!("http://{address}"),
        advertised_issuer: config.advertised_issuer.clone(),
        iss_parameter: config.iss_parameter.clone(),
        expiry_field: config.expiry_field,
        client_secret: config.client_secret.clone(),
        offer_dpop: config.offer_dpop || config.require_dpop,
        require_dpop: config.require_dpop,
        dpop: DpopVerifier::new(config.dpop_nonce, config.limits.dpop_proofs),
        grants,
        consents: PendingConsents::new(config.limits.pending_consents),
        faults: FaultSwitch::new(counters.clone()),
        counters,
        library: Library::new(config.photo_count),
        images: ImageStore::default(),
        pushed: PushedRequests::new(
            config.par_request_lifetime,
            config.limits.pending_consents,
            config.require_par,
        ),
        id_tokens,
    });
    let router = routes(&config, provider.clone());
    #[cfg(feature = "test-machinery")]
    let router = crate::test_machinery::test_controls::add_test_routes(router, &config, &provider);
    let router = router.layer(middleware::from_fn_with_state(
        Arc::new(OwnAuthorities::of(address)),
        host::require_own_host,
    ));
    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serving = axum::serve(listener, router).with_graceful_shutdown(async {
            let _ = shutdown_rx.await;
        });
        if let Err(error) = serving.await {
            tracing::error!(%error, "demo provider stopped with an error");
        }
    });
    tracing::info!(issuer = %provider.issuer, "demo provider listening");
    Ok(ProviderHandle::new(address, provider, shutdown_tx, task))
}

fn routes(config: &Config, app: AppState) -> Router {
    let prefix = &config.issuer_path;
    let well_known = config.well_known;
    let mut router = Router::new();
    if well_known.serves_oauth() {
        router = router.route(
            &format!("/.well-known/oauth-authorization-server{prefix}"),
            get(metadata::document),
        );
    }
    if well_known.serves_openid() {
        router = router.route(
            &format!("{prefix}/.well-known/openid-configuration"),
            get(metadata::document),
        );
    }
    router
        .route(
            &format!("{prefix}/authorize"),
            get(authorize::show_consent).post(authorize::decide),
        )
        .route(&format!("{prefix}/token"), post(token::token))
        .route(&format!("{prefix}/par"), post(push::push))
        .route(&format!("{prefix}/jwks"), get(metadata::jwks))
        .route(&format!("{prefix}/revoke"), post(revocation::revoke))
        .route(&format!("{prefix}/userinfo"), get(userinfo::userinfo))
        .route(&format!("{prefix}/photos"), get(photos::list))
        .route(
            &format!("{prefix}/photos/{{id}}/image"),
            get(photos::full_image),
        )
        .route(
            &format!("{prefix}/photos/{{id}}/thumbnail"),
            get(photos::thumbnail),
        )
        .with_state(app)
}

/// Without the `test-machinery` feature (`built` false) the test routes are not compiled:
/// asking for them is a mistake to report, not a wish to ignore.
fn refuse_unbuilt_test_machinery(config: &Config, built: bool) -> Result<(), Error> {
    let asked_for = [
        ("test_controls", config.test_controls),
        ("record_exchanges", config.record_exchanges),
    ];
    match asked_for.iter().find(|(_, on)| *on) {
        Some((setting, _)) if !built => Err(Error::InvalidConfig(ConfigProblem::NotBuilt(setting))),
        _ => Ok(()),
    }
}

/// The issuer path must be empty or look like `/a/b`: no trailing slash, query or fragment.
fn validate_issuer_path(path: &str) -> Result<(), Error> {
    let valid = path.is_empty()
        || (path.starts_with('/')
            && path[1..].split('/').all(|segment| {
                !segment.is_empty()
                    && segment.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
                    })
            }));
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidConfig(ConfigProblem::IssuerPath))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_without_the_test_machinery_refuses_its_settings() {
        let refusal = |config: Config| match refuse_unbuilt_test_machinery(&config, false) {
            Err(Error::InvalidConfig(problem)) => problem.to_string(),
            other => panic!("expected InvalidConfig, got {other:?}"),
        };
        assert_eq!(
            refusal(Config {
                test_controls: true,
                ..Config::default()
            }),
            "test_controls needs a provider built with the test-machinery feature"
        );
        assert_eq!(
            refusal(Config {
                record_exchanges: true,
                ..Config::default()
            }),
            "record_exchanges needs a provider built with the test-machinery feature"
        );
        assert!(matches!(
            refuse_unbuilt_test_machinery(&Config::default(), false),
            Ok(())
        ));
        let everything = Config {
            test_controls: true,
            record_exchanges: true,
            ..Config::default()
        };
        assert!(matches!(
            refuse_unbuilt_test_machinery(&everything, true),
            Ok(())
        ));
    }
}
