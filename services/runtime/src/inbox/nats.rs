//! Following a producer's JetStream stream with a durable consumer: the
//! broker keeps the consumer's place; a message is acknowledged once the
//! handler has committed it, and one that fails is handed back for
//! redelivery after a growing wait.

use std::time::Duration;

use super::{Backoff, Checkpoint, Delivery, Handler, Run, keep_following};
use crate::{
    Shutdown,
    nats::{EventStreams, NatsError},
};
use async_nats::jetstream::{self, AckKind, consumer::pull};
use futures::StreamExt;
use prost::Message as _;
use shop_proto::events::v1::Event;

/// The longest a delivered message waits for its acknowledgement before
/// the broker redelivers it (the consumer died while handling it).
const ACK_WAIT: Duration = Duration::from_secs(30);

/// Hands each event of `producer`'s stream to `handler` through the
/// durable consumer `consumer`, until `shutdown`. Connection failures are
/// retried with backoff; the broker redelivers what was not acknowledged.
pub async fn follow_stream<H: Handler>(
    producer: &'static str,
    streams: EventStreams,
    consumer: &'static str,
    handler: H,
    shutdown: Shutdown,
) {
    let stop = shutdown.clone();
    keep_following(producer, "jetstream", shutdown, || {
        let (streams, handler, stop) = (streams.clone(), handler.clone(), stop.clone());
        async move {
            let mut handled = 0;
            let ended = match follow_once(producer, &streams, consumer, &handler, &stop, &mut handled).await {
                Ok(()) => "shutdown".to_owned(),
                Err(error) => error.to_string(),
            };
            Run { handled, ended }
        }
    })
    .await;
}

async fn follow_once<H: Handler>(
    producer: &'static str,
    streams: &EventStreams,
    consumer: &'static str,
    handler: &H,
    shutdown: &Shutdown,
    handled: &mut usize,
) -> Result<(), NatsError> {
    let stream = streams.ensure_stream(producer).await?;
    let config = pull::Config {
        durable_name: Some(consumer.to_owned()),
        ack_policy: jetstream::consumer::AckPolicy::Explicit,
        ack_wait: ACK_WAIT,
        ..Default::default()
    };
    let consumer = stream.get_or_create_consumer(consumer, config).await.map_err(NatsError::from_display)?;
    let mut messages = consumer.messages().await.map_err(NatsError::from_display)?;
    let redelivery = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    loop {
        let message = tokio::select! {
            () = shutdown.wait() => return Ok(()),
            message = messages.next() => message,
        };
        let Some(message) = message else { return Err(NatsError("the consumer's messages ended".into())) };
        let message = message.map_err(NatsError::from_display)?;
        let event = match Event::decode(message.payload.as_ref()) {
            Ok(event) => event,
            Err(error) => {
                // Never decodable, so never deliverable: the broker should stop trying.
                tracing::error!(producer, %error, "an undecodable message; terminating its delivery");
                message.ack_with(AckKind::Term).await.map_err(NatsError::from_display)?;
                continue;
            }
        };
        let delivered = message.info().map(|info| info.delivered).unwrap_or(1);
        match handler.handle(Delivery { producer, event, checkpoint: Checkpoint::Broker }).await {
            Ok(()) => {
                message.double_ack().await.map_err(NatsError::from_display)?;
                *handled += 1;
            }
            Err(error) => {
                let wait = redelivery.after(u32::try_from(delivered).unwrap_or(u32::MAX));
                tracing::warn!(producer, %error, delivered, wait_ms = wait.as_millis() as u64, "event not handled; redelivery later");
                message.ack_with(AckKind::Nak(Some(wait))).await.map_err(NatsError::from_display)?;
            }
        }
    }
}
