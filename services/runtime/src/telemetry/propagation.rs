//! W3C trace context (and baggage) in and out of HTTP headers and gRPC
//! metadata (tonic's `MetadataMap` is an `http::HeaderMap` underneath).

use opentelemetry::{Context, global, trace::TraceContextExt};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The context a caller sent in `traceparent` / `tracestate` / `baggage`.
pub fn extract_context(headers: &http::HeaderMap) -> Context {
    global::get_text_map_propagator(|propagator| propagator.extract(&HeaderExtractor(headers)))
}

/// Writes the context of `span` into outgoing headers.
pub fn inject_context(span: &tracing::Span, headers: &mut http::HeaderMap) {
    let context = span.context();
    global::get_text_map_propagator(|propagator| propagator.inject_context(&context, &mut HeaderInjector(headers)));
}

/// The W3C `traceparent` and `tracestate` of `span`, for carrying its trace
/// in data (an event, a stored mail); empty when the span is not traced.
pub fn trace_headers_of(span: &tracing::Span) -> (String, String) {
    let mut headers = http::HeaderMap::new();
    inject_context(span, &mut headers);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (header("traceparent"), header("tracestate"))
}

/// Makes `span` a child of the trace carried in data as `traceparent` and
/// `tracestate` (see [`trace_headers_of`]); an empty or malformed one
/// leaves it as it is.
pub fn continue_trace(span: &tracing::Span, traceparent: &str, tracestate: &str) {
    let Ok(parent) = traceparent.parse() else { return };
    let mut headers = http::HeaderMap::new();
    headers.insert("traceparent", parent);
    if let Ok(state) = tracestate.parse() {
        headers.insert("tracestate", state);
    }
    let _ = span.set_parent(extract_context(&headers));
}

/// The hex trace id of `span`, if it belongs to a valid trace.
pub fn trace_id_of(span: &tracing::Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then(|| span_context.trace_id().to_string())
}
