//! The transactional outbox. A producer writes each domain event in the same
//! database transaction as the change it describes ([`append`]), so an event
//! exists exactly when its change does. A relay round then gives committed
//! events their place in the producer's feed, in the order they were written
//! ([`Outbox::relay_once`]), and the feed serves them from a position, then
//! live ([`EventFeed`]). Published events are pruned after a retention period.

mod broker;
mod feed;
mod relay;
mod schema;
mod store;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use shop_proto::events::v1::{Event, TraceContext, event::Payload};
use tracing::Span;

pub use feed::EventFeed;
pub use relay::{Outbox, RelayError};
pub use store::append;

use crate::{db::Migrations, telemetry::trace_headers_of, time};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/outbox/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/outbox/postgres");

/// The outbox table, per backend: run for every service that publishes.
pub const MIGRATIONS: Migrations = Migrations { sqlite: || SQLITE_MIGRATIONS, postgres: || POSTGRES_MIGRATIONS };

/// A new event about `aggregate_id`, said by `producer`, carrying the trace
/// context of the span current now (the change that causes it).
pub fn event(producer: &'static str, aggregate_id: &str, payload: Payload) -> Event {
    let (traceparent, tracestate) = trace_headers_of(&Span::current());
    Event {
        id: uuid::Uuid::now_v7().to_string(),
        occurred_at: Some(time::to_proto(time::now())),
        aggregate_id: aggregate_id.to_owned(),
        producer: producer.to_owned(),
        trace_context: Some(TraceContext { traceparent, tracestate }),
        payload: Some(payload),
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TracerProvider as _;
    use shop_proto::events::v1::UserRegistered;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::telemetry::extract_context;

    #[test]
    fn an_event_carries_the_trace_of_the_change_that_caused_it() {
        opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let event = tracing::subscriber::with_default(subscriber, || {
            let mut caller = http::HeaderMap::new();
            let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            caller.insert("traceparent", http::HeaderValue::from_static(traceparent));
            let span = tracing::info_span!("register");
            span.set_parent(extract_context(&caller)).unwrap();
            let _entered = span.enter();
            event("users", "u1", Payload::UserRegistered(UserRegistered::default()))
        });
        let trace = event.trace_context.unwrap().traceparent;
        assert!(trace.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{trace}");
        assert!(!trace.contains("00f067aa0ba902b7"), "the change's own span is the parent, not the caller's: {trace}");
        assert_eq!((event.producer.as_str(), event.aggregate_id.as_str()), ("users", "u1"));
        assert!(uuid::Uuid::parse_str(&event.id).is_ok());
    }

    #[test]
    fn an_untraced_change_says_so_with_an_empty_context() {
        let event = event("users", "u1", Payload::UserRegistered(UserRegistered::default()));
        assert_eq!(event.trace_context.unwrap().traceparent, "");
    }
}
