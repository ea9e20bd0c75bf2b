//! Which spans and events each layer sees. `RUST_LOG` chooses log lines
//! only: spans at INFO and above are always recorded, so traces are exported
//! and log lines carry trace ids whatever the log level. `TRACE_FILTER`
//! chooses which spans reach traces: INFO and above by default, so the
//! DEBUG/TRACE spans of dependencies (h2, hyper) and database statements stay
//! out unless it names them.

use tracing::{Level, Metadata, span, subscriber::Interest};
use tracing_subscriber::{
    EnvFilter,
    filter::{LevelFilter, Targets},
    layer::{Context, Filter},
};

/// The target of access-log lines: one per request, repeating what the
/// request's span records (status, duration), so kept out of traces.
pub const ACCESS_LOG: &str = "access_log";

/// The filter of the trace exporter, from `TRACE_FILTER` (INFO and above by
/// default; DEBUG spans such as database statements only where it says so),
/// never passing access-log lines.
pub fn traces(directives: &str) -> Result<Traces, super::TelemetryError> {
    let targets = directives.parse().map_err(|e| super::TelemetryError::Filter(format!("TRACE_FILTER: {e}")))?;
    Ok(Traces(targets))
}

/// What reaches traces: see [`traces`].
#[derive(Debug)]
pub struct Traces(Targets);

fn is_access_log(metadata: &Metadata<'_>) -> bool {
    metadata.is_event() && metadata.target() == ACCESS_LOG
}

impl<S> Filter<S> for Traces {
    fn enabled(&self, metadata: &Metadata<'_>, ctx: &Context<'_, S>) -> bool {
        !is_access_log(metadata) && Filter::<S>::enabled(&self.0, metadata, ctx)
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        if is_access_log(metadata) { Interest::never() } else { Filter::<S>::callsite_enabled(&self.0, metadata) }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Filter::<S>::max_level_hint(&self.0)
    }
}

/// The filter of the log layer: INFO spans always (for their trace ids),
/// events as `RUST_LOG` says.
#[derive(Debug)]
pub struct LogLines(pub EnvFilter);

fn is_traced_span(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && *metadata.level() <= Level::INFO
}

impl<S> Filter<S> for LogLines
where
    EnvFilter: Filter<S>,
{
    fn enabled(&self, metadata: &Metadata<'_>, ctx: &Context<'_, S>) -> bool {
        is_traced_span(metadata) || Filter::enabled(&self.0, metadata, ctx)
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        if is_traced_span(metadata) { Interest::always() } else { Filter::callsite_enabled(&self.0, metadata) }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Filter::max_level_hint(&self.0).map(|hint| hint.max(LevelFilter::INFO))
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        Filter::on_new_span(&self.0, attrs, id, ctx);
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        Filter::on_record(&self.0, id, values, ctx);
    }

    fn on_enter(&self, id: &span::Id, ctx: Context<'_, S>) {
        Filter::on_enter(&self.0, id, ctx);
    }

    fn on_exit(&self, id: &span::Id, ctx: Context<'_, S>) {
        Filter::on_exit(&self.0, id, ctx);
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        Filter::on_close(&self.0, id, ctx);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::{Layer, layer::SubscriberExt as _};

    use super::*;

    /// Collects the messages of the events it is given.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<String>>>);

    impl<S: tracing::Subscriber> Layer<S> for Seen {
        fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
            self.0.lock().unwrap().push(event.metadata().target().to_owned());
        }
    }

    #[test]
    fn traces_get_every_info_event_but_access_log_lines() {
        let seen = Seen::default();
        let subscriber = tracing_subscriber::registry().with(seen.clone().with_filter(traces("info").unwrap()));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request");
            let _entered = span.enter();
            tracing::info!(target: "orders", "order placed");
            tracing::info!(target: ACCESS_LOG, status = 200, "request finished");
            tracing::debug!(target: "orders", "below the filter");
        });
        assert_eq!(*seen.0.lock().unwrap(), vec!["orders".to_owned()]);
    }
}
