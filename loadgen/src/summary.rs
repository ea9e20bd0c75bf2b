//! The table printed at the end of a run: per request, its rate, latency
//! percentiles and failures by status.

use std::{collections::BTreeMap, fmt::Write as _};

use goose::metrics::{GooseMetrics, GooseRequestMetricAggregate};
use serde::Serialize;

/// One request's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Method and name, as goose keys it.
    pub request: String,
    /// How many were sent.
    pub count: usize,
    /// How many failed.
    pub failures: usize,
    /// Per second over the run.
    pub per_second: f64,
    /// Latency percentiles and maximum, milliseconds.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Failures by HTTP status (or "error" when there was none).
    pub errors: BTreeMap<String, usize>,
}

/// A run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// How long the load ran, seconds.
    pub seconds: usize,
    /// Most users at once.
    pub users: usize,
    /// One row per request, by name.
    pub rows: Vec<Row>,
}

impl Summary {
    /// The figures of a finished goose run.
    pub fn of(metrics: &GooseMetrics) -> Self {
        let seconds = metrics.duration.max(1);
        let mut rows: Vec<Row> = metrics.requests.iter().map(|(key, aggregate)| row(key, aggregate, seconds)).collect();
        rows.sort_by(|a, b| a.request.cmp(&b.request));
        Self { seconds, users: metrics.maximum_users, rows }
    }

    /// Failed requests, all rows together.
    pub fn failures(&self) -> usize {
        self.rows.iter().map(|r| r.failures).sum()
    }

    /// The row whose request name contains `name`.
    pub fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.request.contains(name))
    }

    /// A plain-text table under `title`.
    pub fn table(&self, title: &str) -> String {
        let mut out = format!("{title}: {} s, {} users\n", self.seconds, self.users);
        out.push_str(&header());
        for row in &self.rows {
            out.push_str(&row.line(&row.request));
        }
        out
    }
}

/// The table's column heads.
pub fn header() -> String {
    format!(
        "{:<56} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8}  {}\n",
        "request", "count", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "failures"
    )
}

impl Row {
    /// One line of the table, labelled `label`.
    pub fn line(&self, label: &str) -> String {
        let mut failures = String::new();
        for (status, count) in &self.errors {
            let _ = write!(failures, "{status}: {count} ");
        }
        if failures.is_empty() {
            failures.push('0');
        }
        format!(
            "{:<56} {:>8} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {}\n",
            label,
            self.count,
            self.per_second,
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.max_ms,
            failures.trim_end()
        )
    }
}

fn row(key: &str, aggregate: &GooseRequestMetricAggregate, seconds: usize) -> Row {
    let timing = &aggregate.raw_data;
    let ms = |us: u64| us as f64 / 1000.0;
    // Status 0 is "no HTTP status": a gRPC call, or a request that got no answer.
    let mut errors: BTreeMap<String, usize> = aggregate
        .status_code_counts
        .iter()
        .filter(|(status, _)| **status != 0 && !(200..300).contains(*status))
        .map(|(status, count)| (status.to_string(), *count))
        .collect();
    let counted: usize = errors.values().sum();
    if aggregate.fail_count > counted {
        // No answer, a gRPC error, or a 2xx that said no (an order not PAID, GraphQL errors).
        *errors.entry("other".to_owned()).or_default() += aggregate.fail_count - counted;
    }
    Row {
        request: key.to_owned(),
        count: timing.counter,
        failures: aggregate.fail_count,
        per_second: timing.counter as f64 / seconds as f64,
        p50_ms: ms(timing.percentile_us(0.5)),
        p90_ms: ms(timing.percentile_us(0.9)),
        p99_ms: ms(timing.percentile_us(0.99)),
        max_ms: ms(timing.maximum_time_us),
        errors,
    }
}
