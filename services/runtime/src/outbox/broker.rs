//! The relay's broker, when `NATS_URL` is set: each event goes to its
//! producer's JetStream stream before it gets its feed position.

use std::sync::Arc;

use async_nats::jetstream::context::PublishAckFuture;
use futures::future::try_join_all;
use shop_proto::events::v1::Event;
use tokio::sync::OnceCell;

use super::relay::Unplaced;
use crate::{
    config::NatsConfig,
    nats::{EventStreams, NatsError},
};

/// A lazily connected JetStream publisher. Cheap to clone.
#[derive(Clone, Debug)]
pub(super) struct Broker {
    url: String,
    config: NatsConfig,
    streams: Arc<OnceCell<EventStreams>>,
    streams_ready: Arc<OnceCell<()>>,
}

impl Broker {
    /// A publisher to `config`'s server, if it names one.
    pub(super) fn new(config: &NatsConfig) -> Option<Self> {
        let url = config.nats_url.clone()?;
        Some(Self { url, config: config.clone(), streams: Arc::default(), streams_ready: Arc::default() })
    }

    /// Publishes `batch` (in outbox order) and waits until the stream has
    /// stored each event. A repeated event id is dropped by the stream.
    pub(super) async fn publish(&self, batch: &[Unplaced]) -> Result<(), NatsError> {
        let streams =
            self.streams.get_or_try_init(|| EventStreams::connect(&self.url, &self.config, "outbox relay")).await?;
        let decoded = batch
            .iter()
            .map(|unplaced| {
                let event = unplaced.event.as_ref();
                event.ok_or_else(|| NatsError(format!("outbox event {} does not decode", unplaced.seq)))
            })
            .collect::<Result<Vec<&Event>, _>>()?;
        if let Some(first) = decoded.first() {
            self.streams_ready
                .get_or_try_init(|| async { streams.ensure_stream(&first.producer).await.map(drop) })
                .await?;
        }
        let mut acks: Vec<PublishAckFuture> = Vec::with_capacity(decoded.len());
        for (event, unplaced) in decoded.iter().zip(batch) {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, event.id.as_str());
            let subject = streams.subject(event);
            let ack = streams.context().publish_with_headers(subject, headers, unplaced.payload.clone().into()).await;
            acks.push(ack.map_err(NatsError::from_display)?);
        }
        try_join_all(acks.into_iter().map(|ack| async move { ack.await.map_err(NatsError::from_display) })).await?;
        Ok(())
    }
}
