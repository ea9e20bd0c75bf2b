//! The edge's Prometheus metrics, served at `/metrics` on the admin port (never
//! on the public listener): every HTTP request by
//! method, route template and status, with its latency. Labels stay bounded:
//! the route is the template (`/api/v1/products/{id}`), never the path, and
//! methods outside the standard set count as `_OTHER`. The response cache
//! counts its hits, misses and invalidations.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::Method,
    middleware::Next,
    response::Response,
};
use prometheus_client::encoding::EncodeLabelSet;
use shop_runtime::metrics::{LabelledCounter, Metrics, RequestMetrics};

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

/// The edge's registry, with the HTTP request families in it.
#[derive(Clone, Debug)]
pub struct HttpMetrics {
    registry: Metrics,
    requests: RequestMetrics<HttpLabels>,
    cache: LabelledCounter,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        let registry = Metrics::new();
        let requests = RequestMetrics::register(
            &registry,
            ("http_server_requests", "HTTP requests answered, by route and status"),
            ("http_server_request_duration_seconds", "Time from request to response head"),
        );
        let cache = LabelledCounter::new("outcome");
        cache.register(
            &registry,
            "http_response_cache",
            "Catalog reads answered from the response cache (hit) or not (miss), and its invalidations by writes",
        );
        Self { registry, requests, cache }
    }
}

impl HttpMetrics {
    /// The registry, which the admin port serves.
    pub fn registry(&self) -> Metrics {
        self.registry.clone()
    }

    /// The response cache's counter, by `outcome`: `hit`, `miss`, `invalidation`.
    pub fn cache_outcomes(&self) -> LabelledCounter {
        self.cache.clone()
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
    metrics.requests.record(&labels, started.elapsed().as_secs_f64());
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
