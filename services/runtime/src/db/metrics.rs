//! The pool's gauges, read at every scrape: connections in use and idle,
//! callers waiting for one, and the most the pool will open.

use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric},
    metrics::gauge::ConstGauge,
};

use super::Db;

/// Reports a [`Db`]'s pool; register it with
/// [`Metrics::register_collector`](crate::metrics::Metrics::register_collector).
#[derive(Debug)]
pub struct PoolGauges(pub Db);

fn gauge(value: usize) -> ConstGauge {
    ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX))
}

impl Collector for PoolGauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let status = self.0.status();
        let connections = gauge(0);
        let mut family = encoder.encode_descriptor(
            "db_pool_connections",
            "Open database connections, by state",
            None,
            connections.metric_type(),
        )?;
        let in_use = status.size.saturating_sub(status.available);
        for (state, count) in [("in_use", in_use), ("idle", status.available)] {
            gauge(count).encode(family.encode_family(&[("state", state)])?)?;
        }
        for (name, help, count) in [
            ("db_pool_waiting", "Callers waiting for a database connection", status.waiting),
            ("db_pool_max_connections", "Most connections the pool opens", status.max_size),
        ] {
            let value = gauge(count);
            value.encode(encoder.encode_descriptor(name, help, None, value.metric_type())?)?;
        }
        Ok(())
    }
}
