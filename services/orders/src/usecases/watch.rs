//! WatchOrder: the current state first, then each status change as it
//! happens, until a terminal state or until the client goes away. Changes made
//! in this process wake watchers at once; a slow poll catches the ones made
//! by other replicas.

use std::{pin::Pin, time::Duration};

use futures::Stream;
use shop_proto::orders::v1 as pb;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tracing::Instrument;

use crate::{
    AppState,
    changes::changed,
    convert,
    domain::status::OrderStatus,
    error::Error,
    store::{self, OrderRow},
};

/// How often a watcher looks for changes it was not told about.
const POLL: Duration = Duration::from_secs(1);

/// The stream WatchOrder returns.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::WatchOrderResponse, Status>> + Send>>;

/// Follows `order` on a task of its own (carrying the RPC's span).
pub fn watch(state: AppState, order: OrderRow) -> WatchStream {
    let (sender, receiver) = mpsc::channel(16);
    let span = tracing::info_span!("watch_order", order_id = %order.id);
    tokio::spawn(
        async move {
            if let Err(error) = follow(&state, &order, &sender).await {
                let _ = sender.send(Err(error.into())).await;
            }
        }
        .instrument(span),
    );
    Box::pin(ReceiverStream::new(receiver))
}

async fn follow(
    state: &AppState,
    order: &OrderRow,
    sender: &mpsc::Sender<Result<pb::WatchOrderResponse, Status>>,
) -> Result<(), Error> {
    // Subscribe before reading, so no change falls between the two.
    let mut changes = state.events.subscribe();
    let mut conn = state.db.conn().await?;
    let latest = store::latest_event(&mut conn, &order.id).await?;
    let current = store::find(&mut conn, &order.id).await?.ok_or(Error::NotFound)?;
    drop(conn);
    let mut status = OrderStatus::parse(&current.status);
    let mut last_seen = latest.as_ref().map(|e| e.id.clone()).unwrap_or_default();
    let first = pb::WatchOrderResponse {
        order_id: order.id.clone(),
        status: status.map_or(pb::OrderStatus::Unspecified, convert::status).into(),
        event: latest.as_ref().map(convert::event),
    };
    if sender.send(Ok(first)).await.is_err() {
        return Ok(());
    }
    let mut poll = tokio::time::interval(POLL);
    while !status.is_some_and(OrderStatus::is_terminal) {
        tokio::select! {
            () = sender.closed() => return Ok(()),
            () = changed(&mut changes, &order.id) => {}
            _ = poll.tick() => {}
        }
        let events = store::events_after(&mut state.db.conn().await?, &order.id, &last_seen).await?;
        for event in events {
            last_seen.clone_from(&event.id);
            status = OrderStatus::parse(&event.to_status);
            let message = pb::WatchOrderResponse {
                order_id: order.id.clone(),
                status: status.map_or(pb::OrderStatus::Unspecified, convert::status).into(),
                event: Some(convert::event(&event)),
            };
            if sender.send(Ok(message)).await.is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}
