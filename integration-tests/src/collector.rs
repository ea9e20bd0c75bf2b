//! A test OTLP collector: the OTLP/gRPC `TraceService` (from the published
//! OTLP protos) on an ephemeral loopback port, keeping every span it
//! receives, with helpers to look at one trace as a tree.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt::Write as _,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::{AnyValue, KeyValue, any_value::Value},
};
use tokio::{net::TcpListener, sync::oneshot};
use tokio_stream::wrappers::TcpListenerStream;

/// One received span, flattened.
#[derive(Clone, Debug)]
pub struct CollectedSpan {
    /// `service.name` of the process that sent it.
    pub service: String,
    /// The span's name.
    pub name: String,
    /// Hex trace id.
    pub trace_id: String,
    /// Hex span id.
    pub span_id: String,
    /// Hex parent span id; empty for a root.
    pub parent_span_id: String,
    /// OTLP span kind: 2 server, 3 client.
    pub kind: i32,
    /// Start, in nanoseconds since the epoch.
    pub start_ns: u64,
    /// End, in nanoseconds since the epoch.
    pub end_ns: u64,
    /// Attributes, rendered as strings.
    pub attributes: BTreeMap<String, String>,
}

impl CollectedSpan {
    /// An attribute's value, if it is set.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    /// How long the span took.
    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.end_ns.saturating_sub(self.start_ns))
    }
}

type Received = Arc<Mutex<Vec<CollectedSpan>>>;

/// A running collector; stops when dropped.
#[expect(missing_debug_implementations, reason = "holds a server task; the spans it kept are what to print")]
pub struct Collector {
    addr: SocketAddr,
    received: Received,
    _stop: oneshot::Sender<()>,
}

impl Collector {
    /// Starts a collector on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the collector");
        let addr = listener.local_addr().expect("collector address");
        let received = Received::default();
        let (stop, stopped) = oneshot::channel::<()>();
        let service = TraceServiceServer::new(Receiver(received.clone()));
        tokio::spawn(async move {
            let _ = tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self { addr, received, _stop: stop }
    }

    /// The value for OTEL_EXPORTER_OTLP_ENDPOINT.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<CollectedSpan> {
        self.received.lock().map(|spans| spans.clone()).unwrap_or_default()
    }

    /// The spans of one trace received so far.
    pub fn trace(&self, trace_id: &str) -> Trace {
        Trace { spans: self.spans().into_iter().filter(|s| s.trace_id == trace_id).collect() }
    }

    /// Waits until the trace holds a span named `name` from `service` (the
    /// last span of a request to end), for at most `limit`.
    pub async fn wait_for(&self, trace_id: &str, service: &str, name: &str, limit: Duration) -> Trace {
        let give_up = tokio::time::Instant::now() + limit;
        loop {
            let trace = self.trace(trace_id);
            if trace.spans.iter().any(|s| s.service == service && s.name == name)
                || tokio::time::Instant::now() >= give_up
            {
                return trace;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

struct Receiver(Received);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut flattened = Vec::new();
        for resource_spans in request.into_inner().resource_spans {
            let resource = resource_spans.resource.map(|r| attributes(&r.attributes)).unwrap_or_default();
            let service = resource.get("service.name").cloned().unwrap_or_default();
            for span in resource_spans.scope_spans.into_iter().flat_map(|scope| scope.spans) {
                flattened.push(CollectedSpan {
                    service: service.clone(),
                    name: span.name,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    kind: span.kind,
                    start_ns: span.start_time_unix_nano,
                    end_ns: span.end_time_unix_nano,
                    attributes: attributes(&span.attributes),
                });
            }
        }
        if let Ok(mut received) = self.0.lock() {
            received.extend(flattened);
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

fn attributes(pairs: &[KeyValue]) -> BTreeMap<String, String> {
    pairs.iter().map(|pair| (pair.key.clone(), pair.value.as_ref().map(render).unwrap_or_default())).collect()
}

fn render(value: &AnyValue) -> String {
    match &value.value {
        Some(Value::StringValue(text)) => text.clone(),
        Some(Value::BoolValue(flag)) => flag.to_string(),
        Some(Value::IntValue(number)) => number.to_string(),
        Some(Value::DoubleValue(number)) => number.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// The spans of one trace.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Every span, in the order received.
    pub spans: Vec<CollectedSpan>,
}

impl Trace {
    /// Spans whose parent is not in the trace: the root, a child of the
    /// client's own span, or an orphan whose parent never arrived.
    pub fn tops(&self) -> Vec<&CollectedSpan> {
        let ids: BTreeSet<&str> = self.spans.iter().map(|s| s.span_id.as_str()).collect();
        self.spans.iter().filter(|s| !ids.contains(s.parent_span_id.as_str())).collect()
    }

    /// The services that sent spans.
    pub fn services(&self) -> BTreeSet<&str> {
        self.spans.iter().map(|s| s.service.as_str()).collect()
    }

    /// The parent of `span`, if it is in the trace.
    pub fn parent_of(&self, span: &CollectedSpan) -> Option<&CollectedSpan> {
        self.spans.iter().find(|s| s.span_id == span.parent_span_id)
    }

    /// Whether some ancestor of `span` satisfies `test`.
    pub fn has_ancestor(&self, span: &CollectedSpan, test: impl Fn(&CollectedSpan) -> bool) -> bool {
        let mut current = self.parent_of(span);
        while let Some(parent) = current {
            if test(parent) {
                return true;
            }
            current = self.parent_of(parent);
        }
        false
    }

    /// The trace as an indented tree: `service / span name / duration`,
    /// children in start order, from each of [`Trace::tops`].
    pub fn tree(&self) -> String {
        let mut text = String::new();
        let mut tops = self.tops();
        tops.sort_by_key(|s| s.start_ns);
        for root in tops {
            self.render_into(&mut text, root, 0);
        }
        text
    }

    fn render_into(&self, text: &mut String, span: &CollectedSpan, depth: usize) {
        let micros = span.duration().as_micros();
        let _ = writeln!(
            text,
            "{:indent$}{} / {} / {}.{:03} ms",
            "",
            span.service,
            span.name,
            micros / 1000,
            micros % 1000,
            indent = depth * 2
        );
        let mut children: Vec<&CollectedSpan> =
            self.spans.iter().filter(|s| s.parent_span_id == span.span_id).collect();
        children.sort_by_key(|s| s.start_ns);
        for child in children {
            self.render_into(text, child, depth + 1);
        }
    }
}
