//! The consuming side of domain events. A consumer implements [`Handler`]:
//! it records each event it is given, deduplicating on the event id, in
//! one transaction with what the event makes it do. The transport is the
//! producers' feeds ([`follow_feed`], the broker-free default) or NATS
//! JetStream ([`follow_stream`]); the handler cannot tell them apart but for
//! the [`Checkpoint`] it stores with the event.

mod backoff;
mod feed;
mod nats;

use std::future::Future;

use shop_proto::events::v1::Event;

pub use backoff::Backoff;
pub use feed::follow_feed;
pub use nats::follow_stream;

/// Where a delivery leaves the consumer in its producer's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checkpoint {
    /// The event's position in the producer's feed: the handler stores it
    /// in the same transaction as the event, and resumes after it.
    Position(i64),
    /// The broker keeps the consumer's place: it is acknowledged once the
    /// handler has committed.
    Broker,
}

/// One event, as a transport delivers it.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The producer whose events it is among (users, products, orders, payments).
    pub producer: &'static str,
    /// The event.
    pub event: Event,
    /// Where it leaves the consumer.
    pub checkpoint: Checkpoint,
}

/// What a consumer does with the events it is given.
pub trait Handler: Clone + Send + Sync + 'static {
    /// Why handling failed; the event is delivered again later.
    type Error: std::fmt::Display + Send;

    /// Records `delivery` once: a redelivered event (the same id) changes
    /// nothing but, for a feed, the stored position.
    fn handle(&self, delivery: Delivery) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The feed position stored for `producer` (0 before the first event).
    fn position(&self, producer: &'static str) -> impl Future<Output = Result<i64, Self::Error>> + Send;
}
