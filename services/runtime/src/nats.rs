//! Domain events on NATS JetStream, when `NATS_URL` is set: one stream per
//! producer (`SHOP_EVENTS_<PRODUCER>`), subjects
//! `shop.events.<producer>.<event type>`, each message the encoded
//! `shop.events.v1.Event` with its id as `Nats-Msg-Id`, so that the stream
//! drops a publication it already has.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use shop_proto::events::v1::{Event, event::Payload};

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

/// A JetStream context on a connection to `url` that keeps reconnecting
/// (from the start too: a broker not up yet is waited for, not fatal).
pub async fn connect(url: &str, name: &str) -> Result<jetstream::Context, NatsError> {
    let client = async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(2))
        .connect(url)
        .await
        .map_err(NatsError::from_display)?;
    Ok(jetstream::new(client))
}

/// The stream holding `producer`'s events.
pub fn stream_name(producer: &str) -> String {
    format!("SHOP_EVENTS_{}", producer.to_ascii_uppercase())
}

/// The subject of `event`, said by `producer`.
pub fn subject(producer: &str, event: &Event) -> String {
    let kind = match &event.payload {
        Some(Payload::UserRegistered(_)) => "user_registered",
        Some(Payload::OrderPlaced(_)) => "order_placed",
        Some(Payload::OrderStatusChanged(_)) => "order_status_changed",
        Some(Payload::PaymentSucceeded(_)) => "payment_succeeded",
        Some(Payload::PaymentRefunded(_)) => "payment_refunded",
        Some(Payload::StockLow(_)) => "stock_low",
        None => "unknown",
    };
    format!("shop.events.{producer}.{kind}")
}

/// Makes sure `producer`'s stream exists (file storage, limits retention).
pub async fn ensure_stream(js: &jetstream::Context, producer: &str) -> Result<stream::Stream, NatsError> {
    let config = stream::Config {
        name: stream_name(producer),
        subjects: vec![format!("shop.events.{producer}.>")],
        duplicate_window: DUPLICATE_WINDOW,
        storage: stream::StorageType::File,
        ..Default::default()
    };
    js.get_or_create_stream(config).await.map_err(NatsError::from_display)
}
