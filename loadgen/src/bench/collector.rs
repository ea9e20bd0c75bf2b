//! The bench's trace collector: OTLP/gRPC on a free loopback port, counting
//! the spans it receives and keeping nothing.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::codegen::{BoxFuture, Service, http};

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
        let service = Counter(spans.clone());
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

/// The collector's trace service. It shares the mesh's cores, where a
/// deployment's collector would not: it decodes a request only as far as
/// counting its spans takes (each span's fields are skipped, not copied),
/// so that the cost measured is the mesh's, not the collector's.
#[derive(Clone)]
struct Counter(Arc<AtomicU64>);

impl tonic::server::NamedService for Counter {
    const NAME: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
}

impl Service<http::Request<tonic::body::Body>> for Counter {
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let counter = self.clone();
        Box::pin(async move {
            let codec = tonic_prost::ProstCodec::<ExportTraceServiceResponse, SpanCount>::default();
            Ok(tonic::server::Grpc::new(codec).unary(counter, request).await)
        })
    }
}

impl tonic::server::UnaryService<SpanCount> for Counter {
    type Response = ExportTraceServiceResponse;
    type Future = std::future::Ready<Result<tonic::Response<Self::Response>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<SpanCount>) -> Self::Future {
        self.0.fetch_add(request.get_ref().spans() as u64, Ordering::Relaxed);
        std::future::ready(Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None })))
    }
}

/// `ExportTraceServiceRequest` with only what counting needs: its field
/// numbers, and spans as messages whose fields are all skipped.
#[derive(Clone, PartialEq, prost::Message)]
struct SpanCount {
    #[prost(message, repeated, tag = "1")]
    resource_spans: Vec<ResourceSpanCount>,
}

impl SpanCount {
    /// How many spans the request carries.
    fn spans(&self) -> usize {
        self.resource_spans.iter().flat_map(|r| &r.scope_spans).map(|s| s.spans.len()).sum()
    }
}

/// `ResourceSpans`, without its resource.
#[derive(Clone, PartialEq, prost::Message)]
struct ResourceSpanCount {
    #[prost(message, repeated, tag = "2")]
    scope_spans: Vec<ScopeSpanCount>,
}

/// `ScopeSpans`, without its scope.
#[derive(Clone, PartialEq, prost::Message)]
struct ScopeSpanCount {
    #[prost(message, repeated, tag = "2")]
    spans: Vec<SkippedSpan>,
}

/// A `Span`, every field skipped.
#[derive(Clone, PartialEq, prost::Message)]
struct SkippedSpan {}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::{
        collector::trace::v1::ExportTraceServiceRequest,
        trace::v1::{ResourceSpans, ScopeSpans, Span},
    };
    use prost::Message;

    use super::*;

    fn span(name: &str) -> Span {
        Span { name: name.to_owned(), trace_id: vec![7; 16], span_id: vec![9; 8], ..Span::default() }
    }

    #[test]
    fn the_collector_counts_every_span_of_a_real_export_request() {
        let scope =
            |names: &[&str]| ScopeSpans { spans: names.iter().map(|n| span(n)).collect(), ..ScopeSpans::default() };
        let request = ExportTraceServiceRequest {
            resource_spans: vec![
                ResourceSpans { scope_spans: vec![scope(&["a", "b"]), scope(&["c"])], ..ResourceSpans::default() },
                ResourceSpans { scope_spans: vec![scope(&["d", "e", "f"])], ..ResourceSpans::default() },
            ],
        };
        let counted = SpanCount::decode(request.encode_to_vec().as_slice()).unwrap();
        assert_eq!(counted.spans(), 6);
    }
}
