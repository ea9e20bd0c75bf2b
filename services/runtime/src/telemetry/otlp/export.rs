//! The export thread: a runtime of its own sends each batch as one OTLP/gRPC
//! `Export` call when it fills, when the schedule delay passes, on a flush
//! and at shutdown, retrying transient failures within the export timeout.

use std::{
    sync::{Arc, Mutex, PoisonError, mpsc::SyncSender},
    time::Duration,
};

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use tokio::{
    sync::mpsc::UnboundedReceiver,
    time::{Instant, sleep, sleep_until},
};
use tonic::{Code, Status, client::Grpc, metadata::MetadataMap, transport::Endpoint};

use super::{
    encode::{ExportRequest, ResourceAttributes},
    queue::{Batch, SpanQueue},
    wire::Encode,
};

const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const LONGEST_BACKOFF: Duration = Duration::from_secs(5);

/// What the processor asks of the export thread; each is answered.
#[derive(Debug)]
pub(super) enum Control {
    /// Export everything queued.
    Flush(SyncSender<OTelSdkResult>),
    /// Export everything queued, once each, and stop.
    Shutdown(SyncSender<OTelSdkResult>),
}

/// How the export thread exports.
#[derive(Debug)]
pub(super) struct ExportSettings {
    pub endpoint: Endpoint,
    pub metadata: MetadataMap,
    pub timeout: Duration,
    pub schedule_delay: Duration,
    pub export_timeout: Duration,
}

/// The export thread's state.
pub(super) struct Exporter {
    pub queue: Arc<SpanQueue>,
    pub resource: Arc<Mutex<ResourceAttributes>>,
    pub controls: UnboundedReceiver<Control>,
    pub settings: ExportSettings,
}

/// An export request already encoded: sent (and re-sent) as it is.
#[derive(Clone, Debug, Default)]
struct Encoded(Bytes);

impl prost::Message for Encoded {
    fn encode_raw(&self, buf: &mut impl bytes::BufMut) {
        buf.put_slice(&self.0);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: prost::encoding::WireType,
        buf: &mut impl bytes::Buf,
        ctx: prost::encoding::DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        prost::encoding::skip_field(wire_type, tag, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        self.0.len()
    }

    fn clear(&mut self) {
        self.0 = Bytes::new();
    }
}

impl Exporter {
    /// Runs until shutdown, or until the processor is gone.
    pub(super) async fn run(mut self) {
        let channel = self.settings.endpoint.clone().tcp_nodelay(true).connect_lazy();
        let mut client = Grpc::new(channel);
        let mut tick = Instant::now() + self.settings.schedule_delay;
        loop {
            let (partial, reply, stop) = tokio::select! {
                biased;
                control = self.controls.recv() => match control {
                    Some(Control::Flush(reply)) => (true, Some(reply), false),
                    Some(Control::Shutdown(reply)) => (true, Some(reply), true),
                    None => (true, None, true),
                },
                () = self.queue.batch_filled() => (false, None, false),
                () = sleep_until(tick) => (true, None, false),
            };
            if partial {
                tick = Instant::now() + self.settings.schedule_delay;
            }
            let mut result = Ok(());
            for batch in self.queue.take(partial) {
                if let Err(error) = self.export(&mut client, &batch, !stop).await {
                    result = Err(error);
                }
            }
            let dropped = self.queue.take_dropped();
            if dropped > 0 {
                tracing::warn!(dropped, "the span export queue was full: spans were dropped");
            }
            if let Some(reply) = reply {
                let _ = reply.send(result);
            }
            if stop {
                return;
            }
        }
    }

    async fn export(&self, client: &mut Grpc<tonic::transport::Channel>, batch: &Batch, retry: bool) -> OTelSdkResult {
        let request = {
            let resource = self.resource.lock().unwrap_or_else(PoisonError::into_inner);
            let request = ExportRequest { resource: &resource, batch };
            let mut encoded = Vec::with_capacity(request.estimated_len());
            request.encode(&mut encoded);
            Encoded(encoded.into())
        };
        let give_up = Instant::now() + self.settings.export_timeout;
        let mut backoff = FIRST_BACKOFF;
        loop {
            let status = match self.send(client, request.clone()).await {
                Ok(response) => {
                    report_rejected(response, batch.spans);
                    return Ok(());
                }
                Err(status) => status,
            };
            if !(retry && is_transient(status.code()) && Instant::now() + backoff < give_up) {
                tracing::warn!(spans = batch.spans, code = ?status.code(), error = status.message(), "cannot export spans");
                return Err(OTelSdkError::InternalFailure(format!("export failed: {:?}", status.code())));
            }
            sleep(backoff).await;
            backoff = (backoff * 2).min(LONGEST_BACKOFF);
        }
    }

    async fn send(
        &self,
        client: &mut Grpc<tonic::transport::Channel>,
        request: Encoded,
    ) -> Result<ExportTraceServiceResponse, Status> {
        client.ready().await.map_err(|error| Status::unavailable(error.to_string()))?;
        let mut request = tonic::Request::new(request);
        *request.metadata_mut() = self.settings.metadata.clone();
        request.set_timeout(self.settings.timeout);
        let path = http::uri::PathAndQuery::from_static(EXPORT);
        let codec = tonic_prost::ProstCodec::<Encoded, ExportTraceServiceResponse>::default();
        client.unary(request, path, codec).await.map(tonic::Response::into_inner)
    }
}

/// The codes OTLP says to retry.
fn is_transient(code: Code) -> bool {
    matches!(
        code,
        Code::Cancelled
            | Code::DeadlineExceeded
            | Code::ResourceExhausted
            | Code::Aborted
            | Code::OutOfRange
            | Code::Unavailable
            | Code::DataLoss
    )
}

/// Logs what the collector refused of an accepted request.
fn report_rejected(response: ExportTraceServiceResponse, spans: usize) {
    if let Some(partial) = response.partial_success.filter(|p| p.rejected_spans > 0 || !p.error_message.is_empty()) {
        tracing::warn!(
            spans,
            rejected = partial.rejected_spans,
            error = partial.error_message,
            "the collector rejected spans"
        );
    }
}
