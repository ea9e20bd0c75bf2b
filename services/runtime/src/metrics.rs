//! Prometheus metrics of one server: the registry, and the RPC families every
//! gRPC server records. Label sets are bounded: service, method and status
//! code, never ids.

use std::sync::{Arc, RwLock};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        histogram::{Histogram, exponential_buckets},
    },
    registry::{Metric, Registry},
};

/// Labels of an RPC metric.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RpcLabels {
    /// Fully qualified service, e.g. `shop.products.v1.ProductService`.
    pub service: String,
    /// Method, e.g. `BatchGetProducts`.
    pub method: String,
    /// Final gRPC status code name, e.g. `OK`, `NOT_FOUND`.
    pub code: String,
}

type HistogramFamily = Family<RpcLabels, Histogram, fn() -> Histogram>;

/// One server's metrics; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<RwLock<Registry>>,
    rpc_requests: Family<RpcLabels, Counter>,
    rpc_duration: HistogramFamily,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    /// A registry with the RPC families registered.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let rpc_requests = Family::<RpcLabels, Counter>::default();
        let rpc_duration: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register("rpc_server_requests", "RPCs served, by final status code", rpc_requests.clone());
        registry.register("rpc_server_duration_seconds", "Time from request to final status", rpc_duration.clone());
        Self { registry: Arc::new(RwLock::new(registry)), rpc_requests, rpc_duration }
    }

    /// Registers a service's own metric (do it at start-up).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        match self.registry.write() {
            Ok(mut registry) => registry.register(name, help, metric),
            Err(poisoned) => poisoned.into_inner().register(name, help, metric),
        }
    }

    /// Records one finished RPC.
    pub fn record_rpc(&self, labels: &RpcLabels, seconds: f64) {
        self.rpc_requests.get_or_create(labels).inc();
        self.rpc_duration.get_or_create(labels).observe(seconds);
    }

    /// The OpenMetrics text exposition of every registered metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        let registry = match self.registry.read() {
            Ok(registry) => registry,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Err(error) = encode(&mut text, &registry) {
            tracing::error!(%error, "metrics encoding failed");
        }
        text
    }
}

/// The value of a sample in an OpenMetrics text, e.g.
/// `sample(text, "rpc_server_requests_total", &[("method", "GetCart")])`;
/// samples matching all the given labels are summed.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(name) && line[name.len()..].starts_with(['{', ' ']))
        .filter(|line| labels.iter().all(|(key, value)| line.contains(&format!("{key}=\"{value}\""))))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_rpcs_show_in_the_exposition() {
        let metrics = Metrics::new();
        let labels = RpcLabels { service: "s.v1.S".into(), method: "Get".into(), code: "OK".into() };
        metrics.record_rpc(&labels, 0.01);
        metrics.record_rpc(&labels, 0.02);
        let text = metrics.encode();
        assert_eq!(sample(&text, "rpc_server_requests_total", &[("method", "Get"), ("code", "OK")]), 2.0);
        assert_eq!(sample(&text, "rpc_server_duration_seconds_count", &[("method", "Get")]), 2.0);
        assert_eq!(sample(&text, "rpc_server_requests_total", &[("method", "Other")]), 0.0);
    }
}
