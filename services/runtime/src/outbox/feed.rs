//! The broker-free transport: `shop.events.v1.EventFeedService`, one
//! producer's published events from a position, then live.

use std::time::Duration;

use prost::Message;
use shop_proto::events::v1::{Event, SubscribeRequest, SubscribeResponse, event_feed_service_server::EventFeedService};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tracing::{Instrument, instrument};

use super::store;
use crate::{auth::Principal, db::Db, failure::Failure, validation::FieldViolation};

/// Events read per query, at most.
const BATCH: i64 = 256;
/// How often a caught-up subscriber looks for events other replicas' relays
/// published (this process's own wake it at once).
const POLL: Duration = Duration::from_millis(500);

/// The feed service over one outbox.
#[derive(Clone, Debug)]
pub struct EventFeed {
    db: Db,
    published: watch::Receiver<i64>,
}

impl EventFeed {
    pub(super) fn new(db: Db, published: watch::Receiver<i64>) -> Self {
        Self { db, published }
    }
}

#[tonic::async_trait]
impl EventFeedService for EventFeed {
    type SubscribeStream = ReceiverStream<Result<SubscribeResponse, Status>>;

    #[instrument(skip_all, fields(after = request.get_ref().after))]
    async fn subscribe(&self, request: Request<SubscribeRequest>) -> Result<Response<Self::SubscribeStream>, Status> {
        Principal::require(&request)?.require_internal()?;
        let after = i64::try_from(request.get_ref().after)
            .map_err(|_| FieldViolation::new("after", "is past any position a feed gives"))?;
        let (sender, receiver) = mpsc::channel(BATCH as usize);
        let follow = follow(self.db.clone(), self.published.clone(), after, sender);
        tokio::spawn(follow.instrument(tracing::Span::current()));
        Ok(Response::new(ReceiverStream::new(receiver)))
    }
}

/// Sends what is published after `after`, then waits for more, until the
/// subscriber goes away or the feed fails (the failure is its last item).
async fn follow(
    db: Db,
    mut published: watch::Receiver<i64>,
    mut after: i64,
    sender: mpsc::Sender<Result<SubscribeResponse, Status>>,
) {
    loop {
        let batch = match read(&db, after).await {
            Ok(batch) => batch,
            Err(status) => {
                let _ = sender.send(Err(status)).await;
                return;
            }
        };
        let caught_up = batch.len() < BATCH as usize;
        for item in batch {
            after = i64::try_from(item.position).unwrap_or(after);
            if sender.send(Ok(item)).await.is_err() {
                return;
            }
        }
        if caught_up {
            tokio::select! {
                () = sender.closed() => return,
                _ = published.wait_for(|last| *last > after) => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

async fn read(db: &Db, after: i64) -> Result<Vec<SubscribeResponse>, Status> {
    let mut conn = db.conn().await.map_err(Failure::from)?;
    let rows = store::published_after(&mut conn, after, BATCH).await.map_err(Failure::from)?;
    rows.into_iter()
        .map(|(position, payload)| {
            let event = Event::decode(payload.as_slice())
                .map_err(|e| Failure::internal(format!("outbox event at {position} does not decode: {e}")))?;
            Ok(SubscribeResponse { position: u64::try_from(position).unwrap_or(0), event: Some(event) })
        })
        .collect::<Result<_, Failure>>()
        .map_err(Status::from)
}
