//! The admin HTTP port of a service: `/metrics` for Prometheus, `/healthz`
//! for liveness probes. Kept off the gRPC port so it can stay private.

use axum::{Router, extract::State, http::header, response::IntoResponse, routing::get};
use tokio::net::TcpListener;

use crate::{
    metrics::{Metrics, OPENMETRICS},
    shutdown::Shutdown,
};

/// The admin routes over `metrics`.
pub fn router(metrics: Metrics) -> Router {
    Router::new().route("/metrics", get(exposition)).route("/healthz", get(|| async { "ok" })).with_state(metrics)
}

async fn exposition(State(metrics): State<Metrics>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, OPENMETRICS)], metrics.encode())
}

/// Serves the admin routes on `listener` until `shutdown`.
pub async fn serve(listener: TcpListener, metrics: Metrics, shutdown: Shutdown) -> std::io::Result<()> {
    axum::serve(listener, router(metrics)).with_graceful_shutdown(async move { shutdown.wait().await }).await
}
