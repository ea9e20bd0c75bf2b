//! The encoding against `opentelemetry-proto`'s own conversion, the queue's
//! limits, and export to a real OTLP/gRPC collector on a loopback port.

use std::{
    borrow::Cow,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use opentelemetry::{
    Array, InstrumentationScope, KeyValue, StringValue, Value,
    trace::{
        Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState, Tracer as _,
        TracerProvider as _,
    },
};
use opentelemetry_proto::{
    tonic::collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    transform::{common::tonic::ResourceAttributesWithSchema, trace::tonic::group_spans_by_resource_and_scope},
};
use opentelemetry_sdk::{
    Resource,
    trace::{SdkTracerProvider, SpanData, SpanEvents, SpanLinks},
};
use prost::Message as _;

use super::{
    OtlpSpanProcessor,
    encode::{ExportRequest, ResourceAttributes},
    queue::SpanQueue,
    wire::Encode as _,
};
use crate::config::OtlpConfig;

fn context(trace: u128, span: u64, remote: bool, state: &str) -> SpanContext {
    let state: TraceState = state.parse().unwrap();
    SpanContext::new(TraceId::from(trace), SpanId::from(span), TraceFlags::SAMPLED, remote, state)
}

/// A span with every field set, and one with almost none.
fn spans() -> Vec<SpanData> {
    let start = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
    let attributes = vec![
        KeyValue::new("http.route", "/api/v1/products"),
        KeyValue::new("empty", ""),
        KeyValue::new("http.response.status_code", 200),
        KeyValue::new("negative", -7_i64),
        KeyValue::new("zero", 0_i64),
        KeyValue::new("ratio", 0.25),
        KeyValue::new("cached", false),
        KeyValue::new("ids", Value::Array(Array::I64(vec![1, -2]))),
        KeyValue::new("names", Value::Array(Array::String(vec![StringValue::from("a"), StringValue::from("")]))),
        KeyValue::new("flags", Value::Array(Array::Bool(vec![true, false]))),
        KeyValue::new("weights", Value::Array(Array::F64(vec![1.5]))),
    ];
    let mut events = SpanEvents::default();
    events.events = vec![Event::new("order placed", start, vec![KeyValue::new("order_id", "o-1")], 1)];
    events.dropped_count = 3;
    let mut links = SpanLinks::default();
    links.links = vec![Link::new(context(9, 10, true, "vendor=x"), vec![KeyValue::new("kind", "retry")], 2)];
    links.dropped_count = 4;
    let scope = InstrumentationScope::builder("edge")
        .with_version("1.2.3")
        .with_schema_url("https://opentelemetry.io/schemas/1.30.0")
        .with_attributes([KeyValue::new("scope.attr", 1)])
        .build();
    let full = SpanData {
        span_context: context(0xabc, 0xdef, false, "shop=1,other=2"),
        parent_span_id: SpanId::from(0x123),
        parent_span_is_remote: true,
        span_kind: SpanKind::Server,
        name: Cow::Borrowed("GET /api/v1/products"),
        start_time: start,
        end_time: start + Duration::from_micros(350),
        attributes,
        dropped_attributes_count: 5,
        events,
        links,
        status: Status::error("upstream failed"),
        instrumentation_scope: scope,
    };
    let bare = SpanData {
        span_context: context(0xabc, 0x456, false, ""),
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: Cow::Owned(String::new()),
        start_time: start,
        end_time: start,
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("orders").build(),
    };
    let ok = SpanData { status: Status::Ok, span_kind: SpanKind::Client, ..bare.clone() };
    vec![full, bare, ok]
}

#[test]
fn a_batch_encodes_as_the_sdks_conversion_builds_it() {
    let resource = Resource::builder()
        .with_service_name("edge")
        .with_schema_url([KeyValue::new("deployment.environment.name", "test")], "https://example.com/schema")
        .build();
    let spans = spans();
    let queue = SpanQueue::new(10, 10);
    spans.iter().for_each(|span| queue.push(span));
    let batches = queue.take(true);
    assert_eq!(batches.len(), 1);

    let resource_attributes = ResourceAttributes::from(&resource);
    let request = ExportRequest { resource: &resource_attributes, batch: &batches[0] };
    let mut encoded = Vec::new();
    request.encode(&mut encoded);

    let decoded = ExportTraceServiceRequest::decode(encoded.as_slice()).unwrap();
    let expected = group_spans_by_resource_and_scope(spans, &ResourceAttributesWithSchema::from(&resource));
    assert_eq!(decoded.resource_spans, expected);
    // Byte for byte, too: the same fields in the same order as prost writes them.
    assert!(decoded.encode_to_vec() == encoded);
}

#[test]
fn the_queue_cuts_batches_and_drops_what_exceeds_its_capacity() {
    let span = spans().remove(1);
    let queue = SpanQueue::new(5, 2);
    (0..7).for_each(|_| queue.push(&span));
    assert_eq!(queue.take_dropped(), 2);
    let full: Vec<usize> = queue.take(false).iter().map(|batch| batch.spans).collect();
    assert_eq!(full, [2, 2], "the partial last batch waits");
    let rest: Vec<usize> = queue.take(true).iter().map(|batch| batch.spans).collect();
    assert_eq!(rest, [1]);
    queue.push(&span);
    assert_eq!(queue.take(true).len(), 1, "room again once taken");
}

/// A collector that refuses its first `refuse` requests as unavailable.
#[derive(Clone, Default)]
struct Collector {
    received: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    refuse: Arc<Mutex<usize>>,
    metadata: Arc<Mutex<Vec<String>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let key = request.metadata().get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or_default();
        self.metadata.lock().unwrap().push(key.to_owned());
        {
            let mut refuse = self.refuse.lock().unwrap();
            if *refuse > 0 {
                *refuse -= 1;
                return Err(tonic::Status::unavailable("warming up"));
            }
        }
        self.received.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

impl Collector {
    async fn start(refuse: usize) -> (Self, String) {
        let collector = Self { refuse: Arc::new(Mutex::new(refuse)), ..Self::default() };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let server = tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
        tokio::spawn(server);
        (collector, endpoint)
    }

    fn span_names(&self) -> Vec<String> {
        let received = self.received.lock().unwrap();
        let scopes = received.iter().flat_map(|r| &r.resource_spans).flat_map(|r| &r.scope_spans);
        scopes.flat_map(|s| &s.spans).map(|s| s.name.clone()).collect()
    }
}

fn provider(endpoint: &str, config: &OtlpConfig) -> SdkTracerProvider {
    let processor = OtlpSpanProcessor::start(endpoint, config).unwrap();
    SdkTracerProvider::builder()
        .with_resource(Resource::builder().with_service_name("test").build())
        .with_span_processor(processor)
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_batches_go_at_once_and_shutdown_sends_the_rest() {
    let (collector, endpoint) = Collector::start(0).await;
    let config = OtlpConfig {
        bsp_max_export_batch_size: 2,
        bsp_schedule_delay_ms: 3_600_000,
        otlp_headers: Some(crate::secret::Secret::new("x-api-key=k%201")),
        ..OtlpConfig::default()
    };
    let provider = provider(&endpoint, &config);
    let tracer = provider.tracer("checkout");
    for name in ["a", "b", "c"] {
        tracer.in_span(name, |_| {});
    }
    tokio::task::spawn_blocking(move || {
        for _ in 0..200 {
            if !collector.span_names().is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(collector.span_names(), ["a", "b"], "the full batch, without waiting for the schedule");
        provider.shutdown().unwrap();
        assert_eq!(collector.span_names(), ["a", "b", "c"]);
        assert_eq!(*collector.metadata.lock().unwrap(), ["k 1", "k 1"]);
        let resource = collector.received.lock().unwrap()[0].resource_spans[0].resource.clone().unwrap();
        assert!(resource.attributes.iter().any(|kv| kv.key == "service.name"), "{resource:?}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_collector_is_retried_and_gets_each_span_once() {
    let (collector, endpoint) = Collector::start(2).await;
    let provider = provider(&endpoint, &OtlpConfig::default());
    provider.tracer("checkout").in_span("retried", |_| {});
    tokio::task::spawn_blocking(move || {
        provider.force_flush().unwrap();
        assert_eq!(collector.span_names(), ["retried"]);
        assert_eq!(collector.metadata.lock().unwrap().len(), 3, "two refusals, then the export");
        provider.shutdown().unwrap();
        assert!(provider.shutdown().is_err(), "a second shutdown is refused");
    })
    .await
    .unwrap();
}

#[test]
fn a_header_grpc_cannot_carry_stops_the_start_and_is_named_once() {
    let config = OtlpConfig { otlp_headers: Some(crate::secret::Secret::new("api key=x")), ..OtlpConfig::default() };
    let error =
        crate::telemetry::TelemetryError::from(OtlpSpanProcessor::start("http://127.0.0.1:4317", &config).unwrap_err());
    let chain = std::iter::successors(Some(&error as &dyn std::error::Error), |error| error.source());
    let message = chain.map(ToString::to_string).collect::<Vec<_>>().join(": ");
    assert_eq!(message, "cannot start the OTLP exporter: OTEL_EXPORTER_OTLP_HEADERS: api key is not a header name");
}
