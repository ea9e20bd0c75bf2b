//! `/healthz` (the process is alive) and `/readyz` (every downstream serves).

use std::collections::BTreeMap;

use axum::{Json, extract::State, http::StatusCode};
use futures::future::join_all;
use serde::Serialize;

use crate::state::AppState;

/// The health of the edge or of its downstreams.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok`, `ready` or `not_ready`.
    pub status: &'static str,
    /// Each downstream's grpc.health.v1 status, or why it has none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<&'static str, String>,
}

/// Liveness: answers while the process can serve HTTP at all.
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", checks: BTreeMap::new() })
}

/// Readiness: 200 only when every downstream reports SERVING for its own
/// service, which it does only while its database and the services it calls
/// are healthy too.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let results = join_all(state.downstreams.iter().map(|downstream| downstream.check())).await;
    let ready = results.iter().all(Result::is_ok);
    let checks: BTreeMap<_, _> = state
        .downstreams
        .iter()
        .zip(results)
        .map(|(downstream, result)| {
            (downstream.name(), result.map_or_else(|why| why.to_string(), |()| "SERVING".into()))
        })
        .collect();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(Health { status: if ready { "ready" } else { "not_ready" }, checks }))
}
