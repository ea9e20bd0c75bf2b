//! What the notifications service counts: events consumed, mails sent,
//! failed and dead-lettered by kind, and how far behind each producer it is.

use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::{family::Family, gauge::Gauge};
use shop_runtime::metrics::{LabelledCounter, Metrics};

/// This service's own metrics. Cheap to clone.
#[derive(Clone, Debug)]
pub struct NotificationMetrics {
    /// Events handled (not repeats), by producer.
    pub consumed: LabelledCounter,
    /// Mails sent, by kind.
    pub sent: LabelledCounter,
    /// Failed send attempts, by kind.
    pub failed: LabelledCounter,
    /// Mails given up on, by kind.
    pub dead_lettered: LabelledCounter,
    /// Seconds between an event's change and its handling here, last seen, by producer.
    pub lag: Family<[(&'static str, &'static str); 1], Gauge<f64, AtomicU64>>,
}

impl NotificationMetrics {
    /// Unregistered metrics.
    pub fn new() -> Self {
        Self {
            consumed: LabelledCounter::new("producer"),
            sent: LabelledCounter::new("kind"),
            failed: LabelledCounter::new("kind"),
            dead_lettered: LabelledCounter::new("kind"),
            lag: Family::default(),
        }
    }

    /// Adds them to a server's registry.
    pub fn register(&self, metrics: &Metrics) {
        self.consumed.register(
            metrics,
            "notifications_events_consumed",
            "Domain events handled, by producer (repeats not counted)",
        );
        self.sent.register(metrics, "notifications_mails_sent", "Mails sent, by kind");
        self.failed.register(metrics, "notifications_mail_failures", "Failed send attempts, by kind");
        self.dead_lettered.register(
            metrics,
            "notifications_dead_letters",
            "Mails moved to the dead-letter table, by kind",
        );
        metrics.register(
            "notifications_consumer_lag_seconds",
            "Seconds from a producer's change to its handling here, for the last event handled",
            self.lag.clone(),
        );
    }

    /// Records the lag behind `producer`.
    pub fn set_lag(&self, producer: &'static str, seconds: f64) {
        self.lag.get_or_create(&[("producer", producer)]).set(seconds);
    }
}

impl Default for NotificationMetrics {
    fn default() -> Self {
        Self::new()
    }
}
