//! Following a producer's feed (`shop.events.v1.EventFeedService`) from the
//! position the consumer stored, live, reconnecting when it goes away.

use shop_proto::events::v1::{SubscribeRequest, event_feed_service_client::EventFeedServiceClient};

use super::{Checkpoint, Delivery, Handler, Run, keep_following};
use crate::{Shutdown, grpc::MeshChannel};

/// Hands each event of `producer`'s feed, reached over `channel` (with this
/// service's token), to `handler`, from the position it stored, until
/// `shutdown`. A failed subscription or a failed event is retried with
/// backoff, from the position stored last: nothing is skipped.
pub async fn follow_feed<H: Handler>(producer: &'static str, channel: MeshChannel, handler: H, shutdown: Shutdown) {
    let feed = EventFeedServiceClient::new(channel);
    let stop = shutdown.clone();
    keep_following(producer, "feed", shutdown, || {
        let (feed, handler, stop) = (feed.clone(), handler.clone(), stop.clone());
        async move {
            let mut handled = 0;
            let ended = match follow_once(producer, feed, &handler, &stop, &mut handled).await {
                Ok(()) => "shutdown".to_owned(),
                Err(error) => error,
            };
            Run { handled, ended }
        }
    })
    .await;
}

/// One subscription: from the stored position until the stream ends, fails,
/// or an event cannot be handled.
async fn follow_once<H: Handler>(
    producer: &'static str,
    mut feed: EventFeedServiceClient<MeshChannel>,
    handler: &H,
    shutdown: &Shutdown,
    handled: &mut usize,
) -> Result<(), String> {
    let after = handler.position(producer).await.map_err(|e| format!("reading the stored position: {e}"))?;
    let request = SubscribeRequest { after: u64::try_from(after).unwrap_or(0) };
    let mut stream = feed.subscribe(request).await.map_err(|s| format!("subscribing: {}", s.message()))?.into_inner();
    loop {
        let item = tokio::select! {
            () = shutdown.wait() => return Ok(()),
            item = stream.message() => item.map_err(|s| format!("{:?}: {}", s.code(), s.message()))?,
        };
        let Some(item) = item else { return Err("the producer ended the stream".to_owned()) };
        let Some(event) = item.event else { continue };
        let position =
            i64::try_from(item.position).map_err(|_| format!("position {} is out of range", item.position))?;
        let delivery = Delivery { producer, event, checkpoint: Checkpoint::Position(position) };
        handler.handle(delivery).await.map_err(|e| format!("handling the event at {position}: {e}"))?;
        *handled += 1;
    }
}
