//! OTLP's trace messages (`opentelemetry/proto/trace/v1/trace.proto`),
//! encoded from the SDK's own types exactly as `opentelemetry-proto`'s
//! conversions would build them, without building them.

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::{
    Array, InstrumentationScope, KeyValue, Value,
    trace::{Event, Link, SpanContext, SpanId, SpanKind, Status},
};
use opentelemetry_sdk::trace::SpanData;

use super::{
    queue::Batch,
    wire::{Encode, bytes, bytes_always, fixed32, fixed64, fixed64_always, message, varint, varint_always},
};

/// `SpanFlags.SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK`.
const HAS_IS_REMOTE: u32 = 0x100;
/// `SpanFlags.SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK`.
const IS_REMOTE: u32 = 0x200;

/// A `Span`.
pub(super) struct SpanMessage<'a>(pub &'a SpanData);

impl Encode for SpanMessage<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        let span = self.0;
        ids(buf, &span.span_context);
        if span.parent_span_id != SpanId::INVALID {
            bytes(buf, 4, &span.parent_span_id.to_bytes());
        }
        bytes(buf, 5, span.name.as_bytes());
        varint(buf, 6, kind(&span.span_kind));
        fixed64(buf, 7, nanos(span.start_time));
        fixed64(buf, 8, nanos(span.end_time));
        attributes(buf, 9, &span.attributes);
        varint(buf, 10, span.dropped_attributes_count.into());
        for event in &span.events.events {
            message(buf, 11, &EventMessage(event));
        }
        varint(buf, 12, span.events.dropped_count.into());
        for link in &span.links.links {
            message(buf, 13, &LinkMessage(link));
        }
        varint(buf, 14, span.links.dropped_count.into());
        message(buf, 15, &StatusMessage(&span.status));
        fixed32(buf, 16, flags(span.parent_span_is_remote, &span.span_context));
    }
}

/// Trace id (1), span id (2) and trace state (3), as a span and a link
/// both number them.
fn ids(buf: &mut Vec<u8>, context: &SpanContext) {
    bytes(buf, 1, &context.trace_id().to_bytes());
    bytes(buf, 2, &context.span_id().to_bytes());
    bytes(buf, 3, context.trace_state().header().as_bytes());
}

fn flags(is_remote: bool, context: &SpanContext) -> u32 {
    let remote = if is_remote { IS_REMOTE } else { 0 };
    u32::from(context.trace_flags().to_u8()) | HAS_IS_REMOTE | remote
}

fn kind(kind: &SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_nanos() as u64)
}

fn attributes(buf: &mut Vec<u8>, tag: u32, attributes: &[KeyValue]) {
    for attribute in attributes {
        message(buf, tag, &KeyValueMessage(attribute));
    }
}

/// An `Event` of a span.
struct EventMessage<'a>(&'a Event);

impl Encode for EventMessage<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        let event = self.0;
        fixed64(buf, 1, nanos(event.timestamp));
        bytes(buf, 2, event.name.as_bytes());
        attributes(buf, 3, &event.attributes);
        varint(buf, 4, event.dropped_attributes_count.into());
    }
}

/// A `Link` of a span.
struct LinkMessage<'a>(&'a Link);

impl Encode for LinkMessage<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        let link = self.0;
        ids(buf, &link.span_context);
        attributes(buf, 4, &link.attributes);
        varint(buf, 5, link.dropped_attributes_count.into());
        fixed32(buf, 6, flags(link.span_context.is_remote(), &link.span_context));
    }
}

/// A span's `Status`.
struct StatusMessage<'a>(&'a Status);

impl Encode for StatusMessage<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        match self.0 {
            Status::Unset => {}
            Status::Ok => varint(buf, 3, 1),
            Status::Error { description } => {
                bytes(buf, 2, description.as_bytes());
                varint(buf, 3, 2);
            }
        }
    }
}

/// A `KeyValue`.
struct KeyValueMessage<'a>(&'a KeyValue);

impl Encode for KeyValueMessage<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        bytes(buf, 1, self.0.key.as_str().as_bytes());
        message(buf, 2, &AnyValueMessage(&self.0.value));
    }
}

/// An `AnyValue`: its oneof is always set, even to a zero.
struct AnyValueMessage<'a>(&'a Value);

impl Encode for AnyValueMessage<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        match self.0 {
            Value::String(value) => bytes_always(buf, 1, value.as_str().as_bytes()),
            Value::Bool(value) => varint_always(buf, 2, u64::from(*value)),
            Value::I64(value) => varint_always(buf, 3, *value as u64),
            Value::F64(value) => fixed64_always(buf, 4, value.to_bits()),
            Value::Array(array) => message(buf, 5, &ArrayMessage(array)),
            // A kind added after this was written goes as its text.
            other => bytes_always(buf, 1, other.as_str().as_bytes()),
        }
    }
}

/// An `ArrayValue`.
struct ArrayMessage<'a>(&'a Array);

impl Encode for ArrayMessage<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        match self.0 {
            Array::Bool(values) => elements(buf, values.iter().map(|v| Value::Bool(*v))),
            Array::I64(values) => elements(buf, values.iter().map(|v| Value::I64(*v))),
            Array::F64(values) => elements(buf, values.iter().map(|v| Value::F64(*v))),
            Array::String(values) => {
                for value in values {
                    message(buf, 1, &StringElement(value.as_str()));
                }
            }
            other => message(buf, 1, &StringElement(&other.to_string())),
        }
    }
}

fn elements(buf: &mut Vec<u8>, values: impl Iterator<Item = Value>) {
    for value in values {
        message(buf, 1, &AnyValueMessage(&value));
    }
}

/// An `AnyValue` holding a string.
struct StringElement<'a>(&'a str);

impl Encode for StringElement<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        bytes_always(buf, 1, self.0.as_bytes());
    }
}

/// An `InstrumentationScope`.
struct ScopeMessage<'a>(&'a InstrumentationScope);

impl Encode for ScopeMessage<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        let scope = self.0;
        bytes(buf, 1, scope.name().as_bytes());
        bytes(buf, 2, scope.version().unwrap_or_default().as_bytes());
        for attribute in scope.attributes() {
            message(buf, 3, &KeyValueMessage(attribute));
        }
    }
}

/// The process's `Resource` (`service.name`, ...), sent with every batch.
#[derive(Debug, Default)]
pub(super) struct ResourceAttributes {
    attributes: Vec<KeyValue>,
    schema_url: String,
}

impl From<&opentelemetry_sdk::Resource> for ResourceAttributes {
    fn from(resource: &opentelemetry_sdk::Resource) -> Self {
        Self {
            attributes: resource.iter().map(|(key, value)| KeyValue::new(key.clone(), value.clone())).collect(),
            schema_url: resource.schema_url().unwrap_or_default().to_owned(),
        }
    }
}

/// An `ExportTraceServiceRequest` carrying one batch.
pub(super) struct ExportRequest<'a> {
    pub resource: &'a ResourceAttributes,
    pub batch: &'a Batch,
}

impl ExportRequest<'_> {
    /// Room for the request, as a capacity: its spans' bytes, and 1 KiB for
    /// the resource and scope headers around them.
    pub(super) fn estimated_len(&self) -> usize {
        self.batch.scopes.iter().map(|(_, spans)| spans.len()).sum::<usize>() + 1024
    }
}

impl Encode for ExportRequest<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        message(buf, 1, &ResourceSpansMessage(self));
    }
}

/// `ResourceSpans`: the resource, and the batch's spans by scope.
struct ResourceSpansMessage<'a>(&'a ExportRequest<'a>);

impl Encode for ResourceSpansMessage<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        let ExportRequest { resource, batch } = self.0;
        message(buf, 1, &ResourceMessage(resource));
        for (scope, spans) in &batch.scopes {
            message(buf, 2, &ScopeSpansMessage { scope, spans });
        }
        bytes(buf, 3, resource.schema_url.as_bytes());
    }
}

/// A `Resource`.
struct ResourceMessage<'a>(&'a ResourceAttributes);

impl Encode for ResourceMessage<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        attributes(buf, 1, &self.0.attributes);
    }
}

/// `ScopeSpans`: a scope, and its spans as already encoded.
struct ScopeSpansMessage<'a> {
    scope: &'a InstrumentationScope,
    spans: &'a [u8],
}

impl Encode for ScopeSpansMessage<'_> {
    fn encode(&self, buf: &mut Vec<u8>) {
        message(buf, 1, &ScopeMessage(self.scope));
        buf.extend_from_slice(self.spans);
        bytes(buf, 3, self.scope.schema_url().unwrap_or_default().as_bytes());
    }
}
