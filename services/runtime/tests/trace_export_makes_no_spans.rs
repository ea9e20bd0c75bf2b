//! The span exporter's own requests never become spans: with every target
//! traced, h2, hyper and tonic included, which the export thread runs, only
//! the application's spans reach the collector. Otherwise each export would
//! make spans to export, and a `TRACE_FILTER` of `trace` would never settle.

#![allow(clippy::unwrap_used)]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use shop_runtime::config::{OtlpConfig, TelemetryConfig};

/// Records the names of the spans it receives.
#[derive(Clone, Default)]
struct Collector {
    names: Arc<Mutex<Vec<String>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let scopes = request.into_inner().resource_spans.into_iter().flat_map(|resource| resource.scope_spans);
        self.names.lock().unwrap().extend(scopes.flat_map(|scope| scope.spans).map(|span| span.name));
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

/// Serves `collector` on a thread of its own that traces nothing, so that
/// the server side's h2 and tonic spans stay out of what it receives.
fn serve(collector: Collector) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let _untraced = tracing::subscriber::set_default(tracing::subscriber::NoSubscriber::default());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(collector))
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
                .await
                .unwrap();
        });
    });
    endpoint
}

#[test]
fn the_exporters_own_requests_make_no_spans_when_everything_is_traced() {
    let collector = Collector::default();
    let otlp = OtlpConfig {
        otlp_endpoint: Some(serve(collector.clone())),
        bsp_schedule_delay_ms: 20,
        ..OtlpConfig::default()
    };
    let config =
        TelemetryConfig { trace_filter: "trace".into(), log_filter: "off".into(), otlp, ..TelemetryConfig::default() };
    let telemetry = shop_runtime::telemetry::init("test", &config).unwrap();
    // Spread over many schedule delays, so that the export thread sends many
    // requests while spans are still being made.
    for _ in 0..10 {
        tracing::info_span!("checkout").in_scope(|| {});
        std::thread::sleep(Duration::from_millis(50));
    }
    telemetry.shutdown();
    let names = collector.names.lock().unwrap().clone();
    assert_eq!(names, vec!["checkout"; 10], "only the application's spans");
}
