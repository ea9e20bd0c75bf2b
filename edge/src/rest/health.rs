//! `/healthz` (the process is alive) and `/readyz` (every downstream serves).

use std::{collections::BTreeMap, time::Duration};

use axum::{Json, extract::State, http::StatusCode};
use futures::future::join_all;
use serde::Serialize;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::state::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The health of the edge or of its downstreams.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok`, `ready` or `not_ready`.
    pub status: &'static str,
    /// Each downstream's grpc.health.v1 status.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<&'static str, String>,
}

/// Liveness: answers while the process can serve HTTP at all.
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", checks: BTreeMap::new() })
}

/// Readiness: 200 only when every downstream reports SERVING.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let checks = join_all(state.downstreams.iter().map(|downstream| async move {
        let mut client = HealthClient::new(downstream.channel.clone());
        let check = client.check(HealthCheckRequest { service: String::new() });
        let status = match tokio::time::timeout(CHECK_TIMEOUT, check).await {
            Ok(Ok(response)) => ServingStatus::try_from(response.into_inner().status)
                .map_or_else(|_| "UNKNOWN".to_owned(), |s| s.as_str_name().to_owned()),
            Ok(Err(status)) => format!("ERROR ({:?})", status.code()),
            Err(_) => "TIMEOUT".to_owned(),
        };
        (downstream.name, status)
    }))
    .await;
    let checks: BTreeMap<_, _> = checks.into_iter().collect();
    let ready = checks.values().all(|s| s == "SERVING");
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(Health { status: if ready { "ready" } else { "not_ready" }, checks }))
}
