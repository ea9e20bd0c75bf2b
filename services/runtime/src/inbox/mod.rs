//! The consuming side of domain events. A consumer implements [`Handler`]:
//! it records each event it is given, deduplicating on the event id, in
//! one transaction with what the event makes it do. The transport is the
//! producers' feeds ([`follow_feed`], the broker-free default) or NATS
//! JetStream ([`follow_stream`]); the handler cannot tell them apart but for
//! the [`Checkpoint`] it stores with the event.

mod backoff;
mod feed;
mod nats;

use std::{future::Future, time::Duration};

use shop_proto::events::v1::Event;
use tracing::Instrument;

use crate::Shutdown;

pub use backoff::Backoff;
pub use feed::follow_feed;
pub use nats::follow_stream;

/// Where a delivery leaves the consumer in its producer's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checkpoint {
    /// The event's position in the producer's feed: the handler stores it
    /// in the same transaction as what the event makes it record, and a new
    /// subscription resumes after the one stored. (An event that records
    /// nothing may leave it to a later event: it is harmless to repeat.)
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

/// How one connection to a transport ended.
struct Run {
    /// Events handled during it.
    handled: usize,
    /// Why it ended.
    ended: String,
}

/// Follows `producer`'s events over `transport` until `shutdown`: `run` is
/// one connection's worth. The next connection waits a little, longer after
/// each run in a row that handled nothing.
async fn keep_following<F, Fut>(producer: &'static str, transport: &'static str, shutdown: Shutdown, mut run: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Run>,
{
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    while !shutdown.is_triggered() {
        let span = tracing::info_span!("follow events", producer, transport);
        let Run { handled, ended } = run().instrument(span).await;
        if handled > 0 {
            backoff.reset();
        }
        if !shutdown.is_triggered() {
            tracing::warn!(producer, transport, handled, %ended, "event delivery interrupted; resuming");
        }
        tokio::select! {
            () = shutdown.wait() => return,
            () = tokio::time::sleep(backoff.next_wait()) => {}
        }
    }
}
