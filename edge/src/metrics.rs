//! The edge's Prometheus metrics, served at `/metrics`: every HTTP request by
//! method, route template and status, with its latency. Labels stay bounded:
//! the route is the template (`/api/v1/products/{id}`), never the path, and
//! methods outside the standard set count as `_OTHER`.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::{Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family},
};
use shop_runtime::metrics::{LatencyFamily, Metrics, OPENMETRICS, latency_histogram};

use crate::state::AppState;

/// Labels of an HTTP request metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// `GET`, `POST`, ... or `_OTHER`.
    pub method: String,
    /// The matched route template, or `unmatched`.
    pub route: String,
    /// The response status code.
    pub status: u16,
}

/// The HTTP request families, registered in the edge's registry.
#[derive(Clone, Debug)]
pub struct HttpMetrics {
    registry: Metrics,
    requests: Family<HttpLabels, Counter>,
    duration: LatencyFamily<HttpLabels>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        let registry = Metrics::new();
        let requests = Family::<HttpLabels, Counter>::default();
        let duration: LatencyFamily<HttpLabels> = Family::new_with_constructor(latency_histogram);
        registry.register("http_server_requests", "HTTP requests answered, by route and status", requests.clone());
        registry.register(
            "http_server_request_duration_seconds",
            "Time from request to response head",
            duration.clone(),
        );
        Self { registry, requests, duration }
    }
}

impl HttpMetrics {
    fn record(&self, labels: &HttpLabels, seconds: f64) {
        self.requests.get_or_create(labels).inc();
        self.duration.get_or_create(labels).observe(seconds);
    }
}

/// Records every request that passes (as a layer inside the request span, so
/// that load shedding, timeouts and body limits are counted too).
pub async fn record(State(metrics): State<HttpMetrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let response = next.run(request).await;
    let labels = HttpLabels { method, route, status: response.status().as_u16() };
    metrics.record(&labels, started.elapsed().as_secs_f64());
    response
}

fn method_label(method: &Method) -> String {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    if KNOWN.contains(method) { method.as_str().to_owned() } else { "_OTHER".to_owned() }
}

/// `GET /metrics`: the OpenMetrics exposition.
pub async fn exposition(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, OPENMETRICS)], state.metrics.registry.encode())
}
