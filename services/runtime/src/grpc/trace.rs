//! Spans for gRPC calls, named and attributed per OpenTelemetry's RPC
//! semantic conventions.

use tracing::{Span, field::Empty};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::telemetry::extract_context;

/// `/pkg.Service/Method` -> (`pkg.Service`, `Method`).
fn split(path: &str) -> (&str, &str) {
    let path = path.trim_start_matches('/');
    path.split_once('/').unwrap_or((path, ""))
}

/// The server span of an incoming call, continuing the caller's trace.
pub(crate) fn server_span<B>(request: &http::Request<B>) -> Span {
    let (service, method) = split(request.uri().path());
    let span = tracing::info_span!(
        "grpc.server",
        otel.name = %request.uri().path().trim_start_matches('/'),
        otel.kind = "server",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        rpc.grpc.status_code = Empty,
    );
    if let Err(error) = span.set_parent(extract_context(request.headers())) {
        tracing::debug!(%error, "cannot continue the caller's trace");
    }
    span
}

/// The client span of an outgoing call.
pub(crate) fn client_span(path: &str) -> Span {
    let (service, method) = split(path);
    tracing::info_span!(
        "grpc.client",
        otel.name = %path.trim_start_matches('/'),
        otel.kind = "client",
        otel.status_code = Empty,
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        rpc.grpc.status_code = Empty,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_split_into_service_and_method() {
        assert_eq!(super::split("/shop.users.v1.UserService/Login"), ("shop.users.v1.UserService", "Login"));
        assert_eq!(super::split("/odd"), ("odd", ""));
    }
}
