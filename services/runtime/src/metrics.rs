//! Prometheus metrics: one registry per process, the RPC families every gRPC
//! server records, and a reader for tests. Label sets are bounded (service,
//! method, route, status), never ids.

use std::{
    hash::Hash,
    sync::{Arc, RwLock},
};

use prometheus_client::{
    collector::Collector,
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        histogram::{Histogram, exponential_buckets},
    },
    registry::{Metric, Registry},
};

/// The content type of the OpenMetrics text format.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A process's metrics registry; cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics {
    registry: Arc<RwLock<Registry>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a metric (do it at start-up).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.with_registry(|registry| registry.register(name, help, metric));
    }

    /// Registers a collector, asked for its values at every scrape.
    pub fn register_collector(&self, collector: impl Collector) {
        self.with_registry(|registry| registry.register_collector(Box::new(collector)));
    }

    fn with_registry(&self, change: impl FnOnce(&mut Registry)) {
        match self.registry.write() {
            Ok(mut registry) => change(&mut registry),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
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

/// Buckets for request latencies: 1 ms to about 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// A histogram family with [`latency_histogram`] buckets.
type LatencyFamily<L> = Family<L, Histogram, fn() -> Histogram>;

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

/// Requests answered, by labels `L`: a count (rate and errors) and a latency
/// histogram.
#[derive(Clone, Debug)]
pub struct RequestMetrics<L> {
    requests: Family<L, Counter>,
    duration: LatencyFamily<L>,
}

impl<L: EncodeLabelSet + Clone + Hash + Eq + std::fmt::Debug + Send + Sync + 'static> RequestMetrics<L> {
    /// Both families, registered in `metrics` as `(name, help)` each.
    pub fn register(metrics: &Metrics, requests: (&str, &str), duration: (&str, &str)) -> Self {
        let this = Self { requests: Family::default(), duration: Family::new_with_constructor(latency_histogram) };
        metrics.register(requests.0, requests.1, this.requests.clone());
        metrics.register(duration.0, duration.1, this.duration.clone());
        this
    }

    /// Records one answered request.
    pub fn record(&self, labels: &L, seconds: f64) {
        self.requests.get_or_create(labels).inc();
        self.duration.get_or_create(labels).observe(seconds);
    }
}

/// The RPCs a server answered.
pub type RpcMetrics = RequestMetrics<RpcLabels>;

impl RpcMetrics {
    /// `rpc_server_requests` and `rpc_server_duration_seconds`, registered in `metrics`.
    pub fn rpc(metrics: &Metrics) -> Self {
        Self::register(
            metrics,
            ("rpc_server_requests", "RPCs served, by final status code"),
            ("rpc_server_duration_seconds", "Time from request to final status"),
        )
    }
}

/// A counter family with one label whose values are fixed strings (so the
/// label set stays bounded by construction), e.g. orders by `status`.
#[derive(Clone, Debug)]
pub struct LabelledCounter {
    label: &'static str,
    family: Family<[(&'static str, &'static str); 1], Counter>,
}

impl LabelledCounter {
    /// A family counting by `label`; nothing shows until it is registered.
    pub fn new(label: &'static str) -> Self {
        Self { label, family: Family::default() }
    }

    /// Shows the family in `metrics` as `<name>_total`.
    pub fn register(&self, metrics: &Metrics, name: &str, help: &str) {
        metrics.register(name, help, self.family.clone());
    }

    /// Counts one for `value`.
    pub fn inc(&self, value: &'static str) {
        self.family.get_or_create(&[(self.label, value)]).inc();
    }
}

/// The value of a sample in an OpenMetrics text, e.g.
/// `sample(text, "rpc_server_requests_total", &[("method", "GetCart")])`;
/// samples matching all the given labels are summed. For tests only (the
/// `test-support` feature): nothing in a service reads its own exposition.
#[cfg(any(test, feature = "test-support"))]
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
        let rpcs = RpcMetrics::rpc(&metrics);
        let labels = RpcLabels { service: "s.v1.S".into(), method: "Get".into(), code: "OK".into() };
        rpcs.record(&labels, 0.01);
        rpcs.record(&labels, 0.02);
        let text = metrics.encode();
        assert_eq!(sample(&text, "rpc_server_requests_total", &[("method", "Get"), ("code", "OK")]), 2.0);
        assert_eq!(sample(&text, "rpc_server_duration_seconds_count", &[("method", "Get")]), 2.0);
        assert_eq!(sample(&text, "rpc_server_requests_total", &[("method", "Other")]), 0.0);
    }

    #[test]
    fn labelled_counters_count_per_value() {
        let metrics = Metrics::new();
        let outcomes = LabelledCounter::new("status");
        outcomes.register(&metrics, "orders_status_changes", "Orders that reached each status");
        outcomes.inc("paid");
        outcomes.inc("paid");
        outcomes.inc("rejected");
        let text = metrics.encode();
        assert_eq!(sample(&text, "orders_status_changes_total", &[("status", "paid")]), 2.0);
        assert_eq!(sample(&text, "orders_status_changes_total", &[("status", "rejected")]), 1.0);
        assert_eq!(sample(&text, "orders_status_changes_total", &[]), 3.0);
    }
}
