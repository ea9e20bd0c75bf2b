//! What exporting traces costs: the same steps on a mesh that exports every
//! span (every request is sampled) over OTLP/gRPC to a collector here, which
//! counts what it receives and keeps nothing, against the mesh that exports
//! nothing.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

use super::{Measured, Step};
use crate::ScenarioKind;

/// The steps measured again with traces exported.
pub(super) const PROFILE: [Step; 3] = [
    Step { scenario: ScenarioKind::RestPage, users: 32, operation: "page_size=20" },
    Step { scenario: ScenarioKind::GraphqlPage, users: 32, operation: "products(first: 20)" },
    Step { scenario: ScenarioKind::Checkout, users: 32, operation: "(checkout)" },
];

/// An OTLP/gRPC trace collector on a free loopback port that counts spans.
pub(super) struct SpanSink {
    addr: SocketAddr,
    spans: Arc<AtomicU64>,
    _server: tokio_util::task::AbortOnDropHandle<Result<(), tonic::transport::Error>>,
}

impl SpanSink {
    pub(super) async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let spans = Arc::new(AtomicU64::new(0));
        let service = TraceServiceServer::new(Counter(spans.clone()));
        let server = tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpListenerStream::new(listener));
        Ok(Self { addr, spans, _server: tokio_util::task::AbortOnDropHandle::new(tokio::spawn(server)) })
    }

    /// Where the mesh sends its spans.
    pub(super) fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Spans received so far.
    pub(super) fn spans(&self) -> u64 {
        self.spans.load(Ordering::Relaxed)
    }
}

struct Counter(Arc<AtomicU64>);

#[tonic::async_trait]
impl TraceService for Counter {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans: usize =
            request.into_inner().resource_spans.iter().flat_map(|r| &r.scope_spans).map(|s| s.spans.len()).sum();
        self.0.fetch_add(spans as u64, Ordering::Relaxed);
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

/// Each traced step's throughput and CPU against the same step untraced.
pub(super) fn print_cost(plain: &[Measured], traced: &[Measured], spans: u64) {
    println!("\ntrace export ({spans} spans received), against the same step exporting nothing:");
    for (step, with) in PROFILE.iter().zip(traced) {
        let Some(without) = plain.iter().find(|m| m.step == with.step) else { continue };
        let rate = |m: &Measured| {
            m.summary.rows.iter().find(|r| r.request.contains(step.operation)).map_or(0.0, |r| r.per_second)
        };
        let (before, after) = (rate(without), rate(with));
        println!(
            "  {:<20} {before:>8.1} -> {after:>8.1} req/s ({:+.1}%), CPU {:.2} -> {:.2} ms per operation",
            with.step,
            100.0 * (after - before) / before.max(f64::MIN_POSITIVE),
            without.cpu_ms_per_operation,
            with.cpu_ms_per_operation,
        );
    }
}
