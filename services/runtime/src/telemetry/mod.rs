//! Logs and traces: one `tracing` subscriber per process, with an
//! OpenTelemetry layer so that spans carry W3C trace context, and OTLP export
//! when an endpoint is configured.

#[cfg(test)]
mod captured;
mod filter;
mod json_lines;
mod log_writer;
mod otlp;
mod propagation;

pub use filter::ACCESS_LOG;
pub use json_lines::JsonLines;

pub use propagation::{continue_trace, extract_context, inject_context, trace_headers_of, trace_id_of};

/// `error: cause: cause ...`, as the exit report prints it.
pub fn causes(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

use opentelemetry::{KeyValue, global, trace::TracerProvider as _};
use opentelemetry_sdk::{
    Resource,
    propagation::{BaggagePropagator, TraceContextPropagator},
    trace::SdkTracerProvider,
};
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::{LogColor, LogFormat, TelemetryConfig};

/// Why telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The log filter does not parse.
    #[error("invalid log filter: {0}")]
    Filter(String),
    /// The OTLP exporter could not start.
    #[error("cannot start the OTLP exporter")]
    Exporter(#[from] otlp::OtlpError),
    /// The thread that writes log lines could not start.
    #[error("cannot start the log writer: {0}")]
    LogWriter(std::io::Error),
    /// A global subscriber is already installed.
    #[error("telemetry is already initialised: {0}")]
    AlreadyInitialised(String),
}

/// Keeps the tracer provider and the log writer alive;
/// [`TelemetryGuard::shutdown`] flushes the spans still buffered (call it
/// after the server has drained). Dropping it writes out the queued log lines.
#[derive(Debug)]
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
    _log_writer: log_writer::WriterGuard,
}

impl TelemetryGuard {
    /// Exports what is buffered and stops the exporter; then the log lines
    /// still queued are written.
    pub fn shutdown(self) {
        if let Err(error) = self.provider.shutdown() {
            eprintln!("telemetry shutdown: {error}");
        }
    }
}

/// Installs the global subscriber and propagator for a process named `service`.
pub fn init(service: &'static str, config: &TelemetryConfig) -> Result<TelemetryGuard, TelemetryError> {
    global::set_text_map_propagator(opentelemetry::propagation::TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]));
    let provider = tracer_provider(service, config)?;
    global::set_tracer_provider(provider.clone());

    let filter = EnvFilter::try_new(&config.log_filter).map_err(|e| TelemetryError::Filter(e.to_string()))?;
    let trace_filter = filter::traces(&config.trace_filter)?;
    let (writer, log_writer) = log_writer::stdout().map_err(TelemetryError::LogWriter)?;
    let logs = match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_ansi(ansi(config.log_color))
            .with_writer(writer)
            .boxed(),
        LogFormat::Json => JsonLines::new(service, writer).boxed(),
    };
    // Every span pays for what this layer records, exported or not, and an
    // instrumented future enters its span on every poll. Left out: busy/idle
    // times (two clock reads a poll), activating the OpenTelemetry context on
    // entry (nothing here reads the ambient context: ids are taken from the
    // span), the thread's name and id, and the source location.
    let traces = tracing_opentelemetry::layer()
        .with_tracked_inactivity(false)
        .with_context_activation(false)
        .with_threads(false)
        .with_location(false)
        .with_tracer(provider.tracer(service));
    tracing_subscriber::registry()
        .with(logs.with_filter(filter::LogLines(filter)))
        .with(traces.with_filter(trace_filter))
        .try_init()
        .map_err(|e| TelemetryError::AlreadyInitialised(e.to_string()))?;
    Ok(TelemetryGuard { provider, _log_writer: log_writer })
}

fn ansi(color: LogColor) -> bool {
    match color {
        LogColor::Auto => std::io::IsTerminal::is_terminal(&std::io::stdout()),
        LogColor::Always => true,
        LogColor::Never => false,
    }
}

/// A tracer provider that always records spans (so trace context flows and
/// logs carry trace ids) and exports them only when an endpoint is set.
/// Sampling follows OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
/// (parent-based always-on by default).
pub fn tracer_provider(service: &'static str, config: &TelemetryConfig) -> Result<SdkTracerProvider, TelemetryError> {
    let resource = Resource::builder()
        .with_service_name(service)
        .with_attributes([
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            KeyValue::new("deployment.environment.name", config.environment.clone()),
        ])
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if let Some(endpoint) = &config.otlp.otlp_endpoint {
        builder = builder.with_span_processor(otlp::OtlpSpanProcessor::start(endpoint, &config.otlp)?);
    }
    Ok(builder.build())
}
