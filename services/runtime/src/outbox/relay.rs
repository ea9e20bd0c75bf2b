//! The relay: gives committed events their place in the feed, in the order
//! they were written, and forgets them after the retention period.

use std::time::Duration;

use tokio::sync::watch;

use shop_proto::events::v1::event_feed_service_server::EventFeedServiceServer;

use super::{EventFeed, store};
use crate::{config::OutboxConfig, db::Db, grpc::GrpcServer, time};

/// Events given a place per round, at most.
const BATCH: i64 = 256;
/// How often events past the retention period are forgotten.
const PRUNE_INTERVAL: Duration = Duration::from_secs(600);

/// One producer's outbox, its relay and its feed. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Outbox {
    db: Db,
    retention: Duration,
    relay_interval: Duration,
    // The last position given in this process: wakes its feeds at once.
    published: watch::Sender<i64>,
}

impl Outbox {
    /// The outbox in `db` (migrated with [`super::MIGRATIONS`]).
    pub fn new(db: Db, config: &OutboxConfig) -> Self {
        let retention = Duration::from_secs(config.retention_hours.saturating_mul(3600));
        let relay_interval = Duration::from_millis(config.relay_interval_ms.max(1));
        Self { db, retention, relay_interval, published: watch::Sender::new(0) }
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
    /// the next positions, in the order they were written. Returns how many.
    pub async fn relay_once(&self) -> Result<usize, crate::db::DbError> {
        let mut conn = self.db.conn().await?;
        // Most rounds find nothing: a read says so without taking a writer's turn.
        if store::unpublished(&mut conn, 1).await?.is_empty() {
            return Ok(0);
        }
        let (last, given) = conn
            .transaction(async |tx| {
                store::take_relay_turn(tx).await?;
                let mut last = store::last_position(tx).await?;
                let unpublished = store::unpublished(tx, BATCH).await?;
                let now = time::now();
                for seq in &unpublished {
                    last += 1;
                    store::publish(tx, *seq, last, now).await?;
                }
                Ok::<_, diesel::result::Error>((last, unpublished.len()))
            })
            .await?;
        self.published.send_replace(last);
        Ok(given)
    }

    /// Forgets the events published longer ago than the retention period.
    pub async fn prune_once(&self) -> Result<usize, crate::db::DbError> {
        let Ok(retention) = chrono::TimeDelta::from_std(self.retention) else { return Ok(0) };
        let before = time::now() - retention;
        Ok(store::prune(&mut self.db.conn().await?, before).await?)
    }

    /// The feed of this outbox, to serve.
    pub fn feed(&self) -> EventFeed {
        EventFeed::new(self.db.clone(), self.published.subscribe())
    }
}
