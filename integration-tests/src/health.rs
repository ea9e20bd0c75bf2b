//! Asking a service's grpc.health.v1 what it reports.

use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

/// What the server behind `channel` reports for `service` (`""`: the server
/// as a whole): `SERVING`, `NOT_SERVING`, ... or the failed call's code.
pub async fn health_of(channel: Channel, service: &str) -> String {
    let request = HealthCheckRequest { service: service.to_owned() };
    match HealthClient::new(channel).check(request).await {
        Ok(response) => ServingStatus::try_from(response.into_inner().status)
            .map_or_else(|_| "UNKNOWN".to_owned(), |status| status.as_str_name().to_owned()),
        Err(status) => format!("ERROR ({:?})", status.code()),
    }
}
