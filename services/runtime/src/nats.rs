//! Domain events on NATS JetStream, when `NATS_URL` is set: one stream per
//! producer (`<PREFIX>_EVENTS_<PRODUCER>`), subjects
//! `<prefix>.events.<producer>.<event type>`, each message the encoded
//! `shop.events.v1.Event` with its id as `Nats-Msg-Id`, so that the stream
//! drops a publication it already has. The prefix (`NATS_PREFIX`, "shop")
//! lets meshes share one NATS server without seeing each other's events.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use shop_proto::events::v1::{Event, event::Payload};

use crate::config::NatsConfig;

/// How long a stream remembers message ids to drop a repeated publication:
/// longer than a relay round that published but could not record it takes
/// to be retried.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(600);

/// Why NATS could not be used.
#[derive(Debug, thiserror::Error)]
#[error("NATS: {0}")]
pub struct NatsError(pub String);

impl NatsError {
    pub(crate) fn from_display(error: impl std::fmt::Display) -> Self {
        Self(error.to_string())
    }
}

/// The mesh's event streams on one NATS server. Cheap to clone.
#[derive(Clone, Debug)]
pub struct EventStreams {
    js: jetstream::Context,
    prefix: String,
    max_age: Duration,
}

impl EventStreams {
    /// Connects to `config`'s server, and keeps reconnecting (from the start
    /// too: a broker not up yet is waited for, not fatal). `name` is the
    /// connection's name in the server's monitoring.
    pub async fn connect(url: &str, config: &NatsConfig, name: &str) -> Result<Self, NatsError> {
        let client = async_nats::ConnectOptions::new()
            .name(name)
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(2))
            .connect(url)
            .await
            .map_err(NatsError::from_display)?;
        let max_age = Duration::from_secs(config.nats_max_age_hours.saturating_mul(3600));
        Ok(Self { js: jetstream::new(client), prefix: config.nats_prefix.clone(), max_age })
    }

    /// The JetStream context.
    pub fn context(&self) -> &jetstream::Context {
        &self.js
    }

    /// The stream holding `producer`'s events.
    pub fn stream_name(&self, producer: &str) -> String {
        format!("{}_EVENTS_{}", self.prefix.to_ascii_uppercase(), producer.to_ascii_uppercase())
    }

    /// The subject of `event`.
    pub fn subject(&self, event: &Event) -> String {
        let kind = match &event.payload {
            Some(Payload::UserRegistered(_)) => "user_registered",
            Some(Payload::OrderPlaced(_)) => "order_placed",
            Some(Payload::OrderStatusChanged(_)) => "order_status_changed",
            Some(Payload::PaymentSucceeded(_)) => "payment_succeeded",
            Some(Payload::PaymentRefunded(_)) => "payment_refunded",
            Some(Payload::StockLow(_)) => "stock_low",
            None => "unknown",
        };
        format!("{}.events.{}.{kind}", self.prefix, event.producer)
    }

    /// Makes sure `producer`'s stream exists (file storage; events older
    /// than `NATS_MAX_AGE_HOURS` are dropped).
    pub async fn ensure_stream(&self, producer: &str) -> Result<stream::Stream, NatsError> {
        let config = stream::Config {
            name: self.stream_name(producer),
            subjects: vec![format!("{}.events.{producer}.>", self.prefix)],
            duplicate_window: DUPLICATE_WINDOW,
            max_age: self.max_age,
            storage: stream::StorageType::File,
            ..Default::default()
        };
        self.js.get_or_create_stream(config).await.map_err(NatsError::from_display)
    }
}
