//! The edge: GraphQL and REST for clients, gRPC to the services behind it.
//! It owns no data; every call carries the client's token, the trace context
//! and the request's remaining deadline downstream.

pub mod auth;
mod browser;
pub mod cache;
pub mod config;
pub mod error;
pub mod graphql;
pub mod json;
mod layers;
pub mod metrics;
pub mod model;
pub mod rest;
pub mod state;

use anyhow::Context as _;
use axum::{Router, routing::get};
use shop_runtime::{Shutdown, admin, component::Component, config::TelemetryConfig, listen, shutdown::drain_within};
use tokio::net::TcpListener;

pub use config::Config;
pub use state::AppState;

/// The edge as a process of the mesh (see `shop_runtime::component`).
#[derive(Clone, Copy, Debug)]
pub struct Edge;

impl Component for Edge {
    type Config = Config;
    const NAME: &'static str = "edge";

    fn telemetry(config: &Config) -> &TelemetryConfig {
        &config.telemetry
    }

    fn run(config: Config, shutdown: Shutdown) -> impl Future<Output = anyhow::Result<()>> + Send {
        run(config, shutdown)
    }
}

/// How long in-flight HTTP requests get to finish after shutdown starts.
const DRAIN_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Every route, with the edge's layers.
pub fn app(state: AppState) -> Router {
    let (limits, metrics) = (state.limits.clone(), state.metrics.clone());
    let router = Router::new()
        .merge(rest::router(&state.limits.catalog_currency))
        .merge(graphql::router(graphql::executor(state.clone())))
        .merge(browser::routes())
        .route("/healthz", get(rest::healthz))
        .route("/readyz", get(rest::readyz))
        .fallback(rest::not_found)
        .with_state(state);
    // Innermost: a cached answer still gets the request id, trace id, CORS
    // headers and metrics of every other.
    let router = match cache::ResponseCache::new(limits.response_cache_ttl(), metrics.cache_outcomes()) {
        Some(cache) => router.layer(axum::middleware::from_fn_with_state(cache, cache::serve)),
        None => router,
    };
    layers::apply(router, &limits, metrics)
}

/// Serves `app` on `listener` until `shutdown`, then drains for a while.
pub async fn serve(listener: TcpListener, app: Router, shutdown: Shutdown) -> std::io::Result<()> {
    let stop = shutdown.clone();
    // Each request knows its peer: the client address passed on to services.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move { stop.wait().await });
    drain_within(&shutdown, DRAIN_LIMIT, server.into_future()).await.unwrap_or(Ok(()))
}

/// Builds the state from `config`, binds and serves until `shutdown`.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let verifier = config.auth.verifier().context("loading the token verification key")?;
    let state = AppState::new(&config.upstreams, &config.client, verifier, config.http.clone())
        .context("configuring upstreams")?;
    let listener = listen::take_or_bind(listen::HTTP, config.listen_addr)
        .await
        .with_context(|| format!("binding {}", config.listen_addr))?;
    let admin = match config.admin_listen_addr {
        Some(addr) => Some(listen::take_or_bind(listen::ADMIN, addr).await.with_context(|| format!("binding {addr}"))?),
        None => None,
    };
    let admin_addr = admin.as_ref().map(TcpListener::local_addr).transpose()?;
    tracing::info!(addr = %listener.local_addr()?, admin = ?admin_addr, "edge listening");
    // The admin port (metrics) is kept off the public listener, as every
    // service's is: what the edge counts is not published to its clients.
    let admin = admin.map(|listener| tokio::spawn(admin::serve(listener, state.metrics.registry(), shutdown.clone())));
    serve(listener, app(state), shutdown).await?;
    if let Some(admin) = admin {
        admin.await.context("the admin port's task")??;
    }
    tracing::info!("edge stopped");
    Ok(())
}
