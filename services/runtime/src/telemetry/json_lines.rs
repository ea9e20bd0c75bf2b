//! JSON log lines that carry the W3C trace and span ids of the span they were
//! logged in, so a log line leads to its trace and a trace to its logs.

use std::{io::Write, sync::OnceLock};

use opentelemetry::trace::TraceContextExt;
use serde_json::{Map, Value};
use tracing::{
    Event, Subscriber,
    dispatcher::WeakDispatch,
    field::{Field, Visit},
};
use tracing_subscriber::{Layer, fmt::MakeWriter, layer::Context, registry::LookupSpan};

/// Writes each event as one JSON object: `timestamp`, `level`, `service`, `target`,
/// `message` and the event's fields, then `span` (the innermost span's
/// name), `trace_id` and `span_id` when the event happened inside a trace.
pub struct JsonLines<W> {
    service: &'static str,
    writer: W,
    dispatch: OnceLock<WeakDispatch>,
}

impl<W> std::fmt::Debug for JsonLines<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JsonLines")
    }
}

impl<W> JsonLines<W> {
    /// Lines of `service` written to `writer` (e.g. `std::io::stdout`).
    pub fn new(service: &'static str, writer: W) -> Self {
        Self { service, writer, dispatch: OnceLock::new() }
    }
}

impl<S, W> Layer<S> for JsonLines<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_register_dispatch(&self, dispatch: &tracing::Dispatch) {
        let _ = self.dispatch.set(dispatch.downgrade());
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let mut line = Map::new();
        line.insert("timestamp".into(), chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true).into());
        line.insert("level".into(), metadata.level().as_str().into());
        line.insert("service".into(), self.service.into());
        line.insert("target".into(), metadata.target().into());
        event.record(&mut Fields(&mut line));
        if let Some(span) = ctx.event_span(event) {
            line.insert("span".into(), span.name().into());
            // The OpenTelemetry layer owns the ids; it is asked through the
            // dispatcher, with no lock on the span's extensions held here.
            let context = self
                .dispatch
                .get()
                .and_then(WeakDispatch::upgrade)
                .and_then(|dispatch| tracing_opentelemetry::get_otel_context(&span.id(), &dispatch));
            if let Some(context) = context {
                let span_context = context.span().span_context().clone();
                if span_context.is_valid() {
                    line.insert("trace_id".into(), span_context.trace_id().to_string().into());
                    line.insert("span_id".into(), span_context.span_id().to_string().into());
                }
            }
        }
        let Ok(mut bytes) = serde_json::to_vec(&line) else { return };
        bytes.push(b'\n');
        // One write per line, so lines from concurrent tasks never interleave.
        let _ = self.writer.make_writer_for(metadata).write_all(&bytes);
    }
}

/// Copies an event's fields into the line; `message` keeps its name.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(field.name().into(), super::causes(value).into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::telemetry::captured::Captured;

    #[test]
    fn lines_inside_a_trace_carry_its_ids() {
        let captured = Captured::default();
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(JsonLines::new("test", captured.clone()))
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let trace_id = tracing::subscriber::with_default(subscriber, || {
            tracing::info!(answer = 42, "outside");
            let span = tracing::info_span!("work");
            let _entered = span.enter();
            tracing::warn!(user = "ada", "inside");
            crate::telemetry::trace_id_of(&span)
        });
        let text = captured.text();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["message"], "outside");
        assert_eq!(lines[0]["answer"], 42);
        assert!(lines[0].get("trace_id").is_none());
        assert_eq!(lines[1]["level"], "WARN");
        assert_eq!(lines[1]["service"], "test");
        assert_eq!(lines[1]["span"], "work");
        assert_eq!(lines[1]["user"], "ada");
        assert_eq!(lines[1]["trace_id"].as_str(), trace_id.as_deref());
        assert_eq!(lines[1]["span_id"].as_str().map(str::len), Some(16));
    }
}
