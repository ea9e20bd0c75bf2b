//! The tower layers every HTTP request passes: request id, tracing (W3C
//! context in), CORS, load shedding, the deadline passed on to gRPC, a hard
//! timeout and a body limit; whatever error one of them (or axum) answers
//! with becomes `application/problem+json` like every other error.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use axum::{
    BoxError, Router,
    error_handling::HandleErrorLayer,
    extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use shop_runtime::{
    grpc::{client_address, deadline},
    telemetry::{ACCESS_LOG, extract_context, trace_id_of},
};
use tower::ServiceBuilder;
use tower_http::{
    cors::{AllowOrigin, Any, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use tracing::{Span, field::Empty};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::{config::HttpLimits, error::ApiError, metrics::HttpMetrics};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// The response header that carries the request's trace id.
const TRACE_ID: HeaderName = HeaderName::from_static("x-trace-id");

/// Wraps `router` in the edge's layers.
pub fn apply(router: Router, limits: &HttpLimits, metrics: HttpMetrics) -> Router {
    let timeout = limits.request_timeout();
    let scope = RequestScope { timeout, trusted_proxy_hops: limits.trusted_proxy_hops };
    router
        .layer(middleware::from_fn_with_state(scope, within_scope))
        .layer(middleware::from_fn(no_nul_in_path))
        .layer(DefaultBodyLimit::max(limits.body_limit_bytes))
        .layer(RequestBodyLimitLayer::new(limits.body_limit_bytes))
        // The deadline makes downstream calls fail in time; this is the backstop
        // for work that hangs in the edge itself.
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, timeout + Duration::from_secs(1)))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(overloaded))
                .load_shed()
                .layer(tower::limit::GlobalConcurrencyLimitLayer::new(limits.concurrency_limit)),
        )
        .layer(middleware::map_response(bare_errors_as_problems))
        .layer(cors(&limits.cors_allowed_origins))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(middleware::map_response(with_trace_id))
        .layer(middleware::from_fn_with_state(metrics, crate::metrics::record))
        .layer(TraceLayer::new_for_http().make_span_with(request_span).on_response(record_status))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// A path that decodes to U+0000 (`%00`) names nothing any service can hold.
async fn no_nul_in_path(request: Request, next: Next) -> Response {
    if request.uri().path().contains("%00") {
        return ApiError::invalid_field("path", crate::json::NO_NUL).into_response();
    }
    next.run(request).await
}

/// What every request's scope is opened with.
#[derive(Clone, Copy, Debug)]
struct RequestScope {
    timeout: Duration,
    trusted_proxy_hops: usize,
}

/// Opens the request's deadline scope, and its client's: gRPC calls made
/// inside them carry `grpc-timeout` with what is left, and the client's
/// address (for the services' abuse limits).
async fn within_scope(State(scope): State<RequestScope>, request: Request, next: Next) -> Response {
    let client = client_of(&request, scope.trusted_proxy_hops);
    let work = deadline::within(scope.timeout, next.run(request));
    match client {
        Some(address) => client_address::scope(address, work).await,
        None => work.await,
    }
}

/// The client's address: the peer, or, behind `trusted_hops` proxies that
/// each append the address they saw to `X-Forwarded-For`, the entry the
/// outermost of them appended (entries further left are the client's word).
fn client_of(request: &Request, trusted_hops: usize) -> Option<IpAddr> {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    if trusted_hops == 0 {
        return peer;
    }
    let forwarded = request.headers().get_all(X_FORWARDED_FOR).iter().filter_map(|value| value.to_str().ok());
    let entries: Vec<&str> = forwarded.flat_map(|list| list.split(',')).map(str::trim).collect();
    let appended_by_outermost = entries.len().checked_sub(trusted_hops).and_then(|i| entries.get(i));
    appended_by_outermost.and_then(|entry| entry.parse().ok()).or(peer)
}

fn request_span(request: &Request) -> Span {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
    let request_id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let span = tracing::info_span!(
        "http.server",
        otel.name = %format!("{} {route}", request.method()),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %request.method(),
        http.route = %route,
        url.path = %request.uri().path(),
        http.response.status_code = Empty,
        graphql.operation.name = Empty,
        request_id = %request_id,
    );
    if let Err(error) = span.set_parent(extract_context(request.headers())) {
        tracing::debug!(%error, "cannot continue the client's trace");
    }
    span
}

/// Tells the client the request's trace id (`x-trace-id`), to paste into a
/// trace viewer; runs inside the request's span.
async fn with_trace_id(mut response: Response) -> Response {
    if let Some(value) = trace_id_of(&Span::current()).and_then(|id| HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(TRACE_ID, value);
    }
    response
}

fn record_status(response: &Response, latency: Duration, span: &Span) {
    span.record("http.response.status_code", response.status().as_u16());
    if response.status().is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    // An access-log line: the span already records both, so traces leave it out.
    tracing::info!(target: ACCESS_LOG, parent: span, status = response.status().as_u16(), latency_ms = latency.as_millis() as u64, "request finished");
}

async fn overloaded(error: BoxError) -> Response {
    if error.is::<tower::load_shed::error::Overloaded>() {
        ApiError::new(tonic::Code::Unavailable, "the edge is at capacity, retry later").into_response()
    } else {
        tracing::error!(%error, "middleware failure");
        ApiError::new(tonic::Code::Internal, "internal error").into_response()
    }
}

/// Rewrites error responses that are not JSON (the body limit's 413, the
/// timeout's 504, axum's 405, ...) as problems, keeping their other headers
/// (`allow`, say). A 4xx keeps its short text as the detail; a 5xx never does.
async fn bare_errors_as_problems(response: Response) -> Response {
    let status = response.status();
    let is_json =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let error = if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::body_too_large()
    } else if status.is_client_error() && !text.is_empty() {
        ApiError::http(status, text)
    } else {
        ApiError::http(status, status.canonical_reason().unwrap_or("error").to_ascii_lowercase())
    };
    let mut problem = error.into_response();
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    problem.headers_mut().extend(parts.headers);
    problem
}

fn cors(allowed: &str) -> CorsLayer {
    let origins = if allowed.trim() == "*" {
        AllowOrigin::from(Any)
    } else {
        AllowOrigin::list(allowed.split(',').filter_map(|o| HeaderValue::from_str(o.trim()).ok()))
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            REQUEST_ID,
            HeaderName::from_static("traceparent"),
            HeaderName::from_static("tracestate"),
            HeaderName::from_static("baggage"),
        ])
        .expose_headers([REQUEST_ID, TRACE_ID, crate::cache::X_CACHE])
        .max_age(Duration::from_secs(3600))
}
