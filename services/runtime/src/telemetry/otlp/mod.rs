//! OTLP/gRPC span export without the SDK's batch processor and exporter.
//!
//! The SDK's pair moves every finished span to its export thread, which
//! clones the whole batch (so that a retry can convert it again), converts
//! each clone into `opentelemetry-proto` structs (a `String` for every key
//! and value), and frees the spans there: for a thread-caching allocator,
//! a remote free each. Here a span is encoded into protobuf on the thread
//! that ends it, by walking it in place ([`encode`]), and dropped there;
//! batches ([`queue`]) are plain bytes, and a request is sent again as the
//! same bytes. Limits, delays and retries follow the SDK's variables.

mod encode;
mod export;
mod queue;
#[cfg(test)]
mod tests;
mod wire;

use std::{
    cell::Cell,
    sync::{Arc, Mutex, PoisonError, mpsc},
    time::Duration,
};

use opentelemetry::Context;
use opentelemetry_sdk::{
    Resource,
    error::{OTelSdkError, OTelSdkResult},
    trace::{Span, SpanData, SpanProcessor},
};
use tokio::sync::mpsc::UnboundedSender;
use tonic::transport::Endpoint;

use self::{
    encode::ResourceAttributes,
    export::{Control, ExportSettings, Exporter},
    queue::SpanQueue,
};
use crate::config::{OtlpConfig, OtlpConfigError};

const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

thread_local! {
    /// Set on the export thread and its runtime's threads. The spans that
    /// end there are the export's own HTTP/2 and gRPC work (when
    /// `TRACE_FILTER` lets h2, hyper or tonic through): exporting them would
    /// make more, without end. Context suppression would not catch them all:
    /// `tracing-opentelemetry` gives a span with an explicit parent, as h2's
    /// connection span has, a fresh context.
    static EXPORTING: Cell<bool> = const { Cell::new(false) };
}

/// A span processor that exports sampled spans over OTLP/gRPC in batches.
#[derive(Debug)]
pub struct OtlpSpanProcessor {
    queue: Arc<SpanQueue>,
    resource: Arc<Mutex<ResourceAttributes>>,
    controls: UnboundedSender<Control>,
}

/// Why the exporter cannot start.
#[derive(Debug, thiserror::Error)]
pub enum OtlpError {
    /// A setting is unusable.
    #[error(transparent)]
    Config(#[from] OtlpConfigError),
    /// The export thread did not start.
    #[error("cannot start the export thread: {0}")]
    Thread(std::io::Error),
}

impl OtlpSpanProcessor {
    /// Starts the export thread for `endpoint`, with `config`'s limits.
    pub fn start(endpoint: &str, config: &OtlpConfig) -> Result<Self, OtlpError> {
        let endpoint = Endpoint::from_shared(endpoint.to_owned())
            .map_err(|error| OtlpConfigError { variable: "OTEL_EXPORTER_OTLP_ENDPOINT", reason: error.to_string() })?
            .connect_timeout(config.timeout());
        let (capacity, batch_size) = config.batch_limits()?;
        let settings = ExportSettings {
            endpoint,
            metadata: config.headers()?,
            timeout: config.timeout(),
            schedule_delay: config.schedule_delay(),
            export_timeout: config.export_timeout(),
        };
        let queue = Arc::new(SpanQueue::new(capacity, batch_size));
        let resource = Arc::new(Mutex::new(ResourceAttributes::default()));
        let (controls, receiver) = tokio::sync::mpsc::unbounded_channel();
        let exporter = Exporter { queue: queue.clone(), resource: resource.clone(), controls: receiver, settings };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .on_thread_start(|| EXPORTING.set(true))
            .build()
            .map_err(OtlpError::Thread)?;
        std::thread::Builder::new()
            .name("otlp-export".into())
            .spawn(move || {
                EXPORTING.set(true);
                runtime.block_on(exporter.run());
            })
            .map_err(OtlpError::Thread)?;
        Ok(Self { queue, resource, controls })
    }

    /// Asks the export thread for `control` and waits up to `timeout`.
    fn ask(&self, control: fn(mpsc::SyncSender<OTelSdkResult>) -> Control, timeout: Duration) -> OTelSdkResult {
        let (reply, answer) = mpsc::sync_channel(1);
        self.controls.send(control(reply)).map_err(|_| OTelSdkError::AlreadyShutdown)?;
        answer.recv_timeout(timeout).map_err(|_| OTelSdkError::Timeout(timeout))?
    }
}

impl SpanProcessor for OtlpSpanProcessor {
    fn on_start(&self, _: &mut Span, _: &Context) {}

    fn on_end(&self, span: SpanData) {
        if span.span_context.is_sampled() && !self.controls.is_closed() && !EXPORTING.get() {
            self.queue.push(&span);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.ask(Control::Flush, FLUSH_TIMEOUT)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.ask(Control::Shutdown, timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        *self.resource.lock().unwrap_or_else(PoisonError::into_inner) = ResourceAttributes::from(resource);
    }
}
