//! The relay: gives committed events their place in the feed, in the order
//! they were written, and forgets them after the retention period.

use std::time::Duration;

use prost::Message as _;
use shop_proto::events::v1::Event;
use tokio::sync::watch;
use tracing::Span;

use shop_proto::events::v1::event_feed_service_server::EventFeedServiceServer;

use super::{EventFeed, broker::Broker, store};
use crate::{
    config::OutboxConfig,
    db::{Db, DbError},
    grpc::GrpcServer,
    nats::NatsError,
    telemetry::continue_trace,
    time,
};

/// Why a relay round failed; the next round tries again.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The outbox could not be read or written.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The broker did not take the events.
    #[error(transparent)]
    Broker(#[from] NatsError),
}

impl From<diesel::result::Error> for RelayError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

/// Events given a place per round, at most.
const BATCH: i64 = 256;
/// How often events past the retention period are forgotten.
const PRUNE_INTERVAL: Duration = Duration::from_secs(600);

/// A committed event without a place in the feed, as a relay round read it.
pub(super) struct Unplaced {
    /// Its place in the outbox.
    pub seq: i64,
    /// The encoded event.
    pub payload: Vec<u8>,
    /// The event, when it decodes.
    pub event: Option<Event>,
}

/// The span of relaying `event`, a child of the change that wrote it.
fn relay_span(event: &Event) -> Span {
    let span =
        tracing::info_span!("outbox relay", otel.kind = "producer", event_id = %event.id, producer = %event.producer);
    if let Some(trace) = &event.trace_context {
        continue_trace(&span, &trace.traceparent, &trace.tracestate);
    }
    span
}

/// One producer's outbox, its relay and its feed. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Outbox {
    db: Db,
    retention: Duration,
    relay_interval: Duration,
    broker: Option<Broker>,
    // The last position given in this process: wakes its feeds at once.
    published: watch::Sender<i64>,
}

impl Outbox {
    /// The outbox in `db` (migrated with [`super::MIGRATIONS`]).
    pub fn new(db: Db, config: &OutboxConfig) -> Self {
        let retention = Duration::from_secs(config.retention_hours.saturating_mul(3600));
        let relay_interval = Duration::from_millis(config.relay_interval_ms.max(1));
        let broker = Broker::new(&config.nats);
        Self { db, retention, relay_interval, broker, published: watch::Sender::new(0) }
    }

    /// `server`, also relaying and pruning this outbox in the background and
    /// serving its feed.
    pub fn serve_on(&self, server: GrpcServer) -> GrpcServer {
        server
            .every("outbox relay", self.relay_interval, self.clone(), |outbox| async move {
                outbox.relay_once().await.map(drop)
            })
            .every("outbox pruning", PRUNE_INTERVAL, self.clone(), |outbox| async move {
                outbox.prune_once().await.map(drop)
            })
            .add_service(EventFeedServiceServer::new(self.feed()))
    }

    /// One relay round: the committed events without a place in the feed get
    /// the next positions, in the order they were written. With a broker,
    /// they are published to it first, and only those it stored get their
    /// positions; while it is unreachable the outbox grows. Returns how many.
    pub async fn relay_once(&self) -> Result<usize, RelayError> {
        // Most rounds find nothing: this read says so without taking a writer's turn.
        let batch: Vec<Unplaced> = store::unpublished_events(&mut self.db.conn().await?, BATCH)
            .await?
            .into_iter()
            .map(|(seq, payload)| Unplaced { seq, event: Event::decode(payload.as_slice()).ok(), payload })
            .collect();
        if batch.is_empty() {
            return Ok(0);
        }
        // One span per event, in the trace of the change that wrote it: the
        // trace of a checkout shows its events leaving.
        let spans: Vec<Span> = batch.iter().filter_map(|unplaced| unplaced.event.as_ref()).map(relay_span).collect();
        // Published outside the transaction: a slow broker must not hold the
        // writers' lock. Published twice (another replica's relay raced this
        // one) is dropped by the stream, which knows the event ids.
        if let Some(broker) = &self.broker {
            broker.publish(&batch).await?;
        }
        let read: Vec<i64> = batch.iter().map(|unplaced| unplaced.seq).collect();
        let (last, given) = self
            .db
            .transaction(async |tx| {
                store::take_relay_turn(tx).await?;
                let mut last = store::last_position(tx).await?;
                // Those read above (and published, with a broker) that no
                // other replica's relay placed meanwhile.
                let unpublished = store::still_unplaced(tx, &read).await?;
                let now = time::now();
                for seq in &unpublished {
                    last += 1;
                    store::publish(tx, *seq, last, now).await?;
                }
                Ok::<_, DbError>((last, unpublished.len()))
            })
            .await?;
        self.published.send_replace(last);
        drop(spans);
        Ok(given)
    }

    /// How many committed events wait for their place in the feed (and,
    /// with a broker, for it to take them).
    pub async fn backlog(&self) -> Result<i64, DbError> {
        Ok(store::unpublished_count(&mut self.db.conn().await?).await?)
    }

    /// Forgets the events published longer ago than the retention period.
    pub async fn prune_once(&self) -> Result<usize, DbError> {
        let Ok(retention) = chrono::TimeDelta::from_std(self.retention) else { return Ok(0) };
        let before = time::now() - retention;
        Ok(store::prune(&mut self.db.conn().await?, before).await?)
    }

    /// The feed of this outbox, to serve.
    pub fn feed(&self) -> EventFeed {
        EventFeed::new(self.db.clone(), self.published.subscribe())
    }
}
