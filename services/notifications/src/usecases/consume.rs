//! Handling one event: the mails it asks for are rendered, then recorded in
//! one transaction with the event's id (and, for a feed, its position). A
//! repeated event id records nothing: each event's mails exist once.

use futures::future::join_all;
use serde_json::Value;
use shop_proto::events::v1::Event;
use shop_runtime::{
    Shutdown,
    inbox::{self, Checkpoint, Delivery, Handler},
    nats::EventStreams,
    telemetry::{continue_trace, trace_headers_of},
    time,
};
use tracing::{Instrument, Span};

use crate::{
    AppState,
    clients::Recipient,
    domain::{self, Audience, Plan, Preferences, Status},
    error::Error,
    mailer, store,
    store::NotificationRow,
    usecases::preferences,
};

/// The durable consumer's name on each producer's JetStream stream.
const CONSUMER: &str = "notifications";

/// Follows every producer's feed until `stop`.
pub async fn from_feeds(state: AppState, stop: Shutdown) {
    let feeds = state.clients.feeds.clone();
    let following =
        feeds.into_iter().map(|(producer, channel)| inbox::follow_feed(producer, channel, state.clone(), stop.clone()));
    join_all(following).await;
}

/// Follows every producer's JetStream stream, over one connection to
/// `url`, until `stop`.
pub async fn from_streams(state: AppState, url: String, stop: Shutdown) {
    let streams = match EventStreams::connect(&url, &state.nats, "notifications").await {
        Ok(streams) => streams,
        Err(error) => return tracing::error!(%error, "cannot use NATS"),
    };
    let following =
        state.clients.feeds.iter().map(|(producer, _)| {
            inbox::follow_stream(producer, streams.clone(), CONSUMER, state.clone(), stop.clone())
        });
    join_all(following).await;
}

impl Handler for AppState {
    type Error = Error;

    async fn handle(&self, delivery: Delivery) -> Result<(), Error> {
        let span = consume_span(&delivery);
        record(self, delivery).instrument(span).await
    }

    async fn position(&self, producer: &'static str) -> Result<i64, Error> {
        let position = store::position(&mut self.db.conn().await?, producer).await?;
        self.positions.stored(producer, position);
        Ok(position)
    }
}

/// The span of handling `delivery`: a child of the change that caused the
/// event, so that one trace shows a checkout and the mails it caused.
fn consume_span(delivery: &Delivery) -> Span {
    let event = &delivery.event;
    let span = tracing::info_span!(
        "consume event",
        otel.kind = "consumer",
        producer = delivery.producer,
        event_id = %event.id,
        aggregate_id = %event.aggregate_id,
    );
    if let Some(trace) = &event.trace_context {
        continue_trace(&span, &trace.traceparent, &trace.tracestate);
    }
    span
}

async fn record(state: &AppState, delivery: Delivery) -> Result<(), Error> {
    let Delivery { producer, event, checkpoint } = delivery;
    let now = time::now();
    // An event that asks for no mail has nothing to record once: only a
    // feed's position moves, and not at once (see `positions`); a stream's
    // message is acked by the caller.
    let Some(plan) = domain::plan(&event) else {
        if let Checkpoint::Position(position) = checkpoint
            && state.positions.due(producer, position)
        {
            state.db.write(async |w| store::set_position(w, producer, position, now).await).await?;
            state.positions.stored(producer, position);
        }
        counted(state, producer, &event, now);
        return Ok(());
    };
    // The mails are made before the transaction (they need the users
    // service); a repeat is recognised first so that it costs no calls.
    let repeat = store::was_consumed(&mut state.db.conn().await?, &event.id).await?;
    let mails = match repeat {
        true => Vec::new(),
        false => mails_for(state, &event, &plan).await?,
    };
    let first = state
        .db
        .transaction(async |tx| {
            let first = store::mark_consumed(tx, &event.id, producer, now).await?;
            if first {
                store::insert_notifications(tx, &mails).await?;
            }
            if let Checkpoint::Position(position) = checkpoint {
                store::set_position(tx, producer, position, now).await?;
            }
            Ok::<_, Error>(first)
        })
        .await?;
    if let Checkpoint::Position(position) = checkpoint {
        state.positions.stored(producer, position);
    }
    if first {
        counted(state, producer, &event, now);
        if !mails.is_empty() {
            state.recorded.notify_one();
        }
    }
    tracing::debug!(repeat = !first, mails = mails.len(), "event handled");
    Ok(())
}

/// Counts `event` as consumed and records how long after it happened.
fn counted(state: &AppState, producer: &'static str, event: &Event, now: chrono::NaiveDateTime) {
    state.metrics.consumed.inc(producer);
    if let Some(at) = event.occurred_at.as_ref().and_then(time::from_proto) {
        let lag = (now.and_utc() - at).num_milliseconds().max(0) as f64 / 1000.0;
        state.metrics.set_lag(producer, lag);
    }
}

/// The mails `event` asks for, rendered, one per recipient.
async fn mails_for(state: &AppState, event: &Event, plan: &Plan) -> Result<Vec<NotificationRow>, Error> {
    let recipients = match &plan.audience {
        Audience::Admins => state.clients.admins().await?,
        Audience::User(user_id) => {
            let wants = preferences::of(state, user_id).await?.unwrap_or_else(Preferences::default).wants(plan.kind);
            match wants {
                true => state.clients.recipient(user_id).await?.into_iter().collect(),
                false => Vec::new(),
            }
        }
    };
    let (traceparent, _) = trace_headers_of(&Span::current());
    recipients.iter().map(|recipient| mail(state, event, plan, recipient, &traceparent)).collect()
}

fn mail(
    state: &AppState,
    event: &Event,
    plan: &Plan,
    recipient: &Recipient,
    traceparent: &str,
) -> Result<NotificationRow, Error> {
    let mut context = plan.context.clone();
    if let Value::Object(fields) = &mut context {
        fields.insert("recipient_name".into(), Value::from(recipient.name.as_str()));
        fields.insert("event_id".into(), Value::from(event.id.as_str()));
    }
    let rendered = state.templates.render(plan.kind, &context)?;
    let now = time::now();
    Ok(NotificationRow {
        id: uuid::Uuid::now_v7().to_string(),
        event_id: event.id.clone(),
        user_id: recipient.user_id.clone(),
        recipient: recipient.email.clone(),
        kind: plan.kind.as_str().to_owned(),
        subject: rendered.subject,
        text_body: rendered.text,
        html_body: rendered.html,
        message_id: mailer::message_id(&event.id, &recipient.user_id),
        status: Status::Pending.as_str().to_owned(),
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
        traceparent: traceparent.to_owned(),
        created_at: now,
        sent_at: None,
    })
}
