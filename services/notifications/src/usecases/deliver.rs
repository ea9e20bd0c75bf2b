//! Sending the recorded mails: each due mail is claimed (so that another
//! replica's sender leaves it alone), sent, and marked sent; a failure is
//! retried after a doubling wait, and after the last attempt the mail goes
//! to the dead letters. Nothing is dropped.

use std::time::Duration;

use http::HeaderMap;
use shop_runtime::{Shutdown, db::DbConn, inbox::Backoff, telemetry::extract_context, time};
use tracing::{Instrument, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::{AppState, domain::Kind, error::Error, mailer::SendError, store, store::NotificationRow};

/// Mails taken per round, at most.
const BATCH: i64 = 64;
/// How often due retries are looked for when nothing new wakes the sender.
const POLL: Duration = Duration::from_millis(500);
/// The longest wait between retries.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(300);

/// Sends due mails until `shutdown`: at once when new ones are recorded,
/// and every [`POLL`] for retries.
pub async fn run(state: AppState, shutdown: Shutdown) {
    loop {
        loop {
            match deliver_due(&state).await {
                Ok(sent) if sent as i64 == BATCH => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, "delivery round failed");
                    break;
                }
            }
        }
        tokio::select! {
            () = shutdown.wait() => return,
            () = state.recorded.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// One round: every due mail this sender could claim is attempted once.
/// Returns how many were attempted.
pub async fn deliver_due(state: &AppState) -> Result<usize, Error> {
    let mut conn = state.db.conn().await?;
    let now = time::now();
    let due = store::due(&mut conn, now, BATCH).await?;
    let claim_until = now + chrono::TimeDelta::from_std(state.delivery.claim).unwrap_or(chrono::TimeDelta::MAX);
    let mut attempted = 0;
    for mail in due {
        if !store::claim(&mut conn, &mail.id, now, claim_until).await? {
            continue;
        }
        let span = send_span(&mail);
        attempt(state, &mut conn, mail).instrument(span).await?;
        attempted += 1;
    }
    Ok(attempted)
}

/// The span of sending `mail`: in the trace of the event that caused it.
fn send_span(mail: &NotificationRow) -> Span {
    let span =
        tracing::info_span!("send mail", kind = %mail.kind, notification_id = %mail.id, attempt = mail.attempts + 1);
    if let Ok(value) = mail.traceparent.parse() {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", value);
        let _ = span.set_parent(extract_context(&headers));
    }
    span
}

async fn attempt(state: &AppState, conn: &mut DbConn, mail: NotificationRow) -> Result<(), Error> {
    let kind = Kind::parse(&mail.kind).map_or("unknown", Kind::as_str);
    let attempts = mail.attempts.saturating_add(1);
    let sent = state.mailer.send(&mail).await;
    let now = time::now();
    let error = match sent {
        Ok(()) => {
            store::mark_sent(conn, &mail.id, attempts, now).await?;
            state.metrics.sent.inc(kind);
            return Ok(());
        }
        Err(error) => error,
    };
    state.metrics.failed.inc(kind);
    let message = error.to_string();
    let hopeless = matches!(error, SendError::Invalid(_));
    if hopeless || u32::try_from(attempts).unwrap_or(u32::MAX) >= state.delivery.max_attempts {
        tracing::error!(error = %message, attempts, "mail failed its last attempt; moved to the dead letters");
        conn.transaction(async |tx| store::dead_letter(tx, &mail.id, attempts, &message, now).await).await?;
        state.metrics.dead_lettered.inc(kind);
        return Ok(());
    }
    let wait = Backoff::new(state.delivery.first_retry, MAX_RETRY_WAIT).after(attempts as u32);
    tracing::warn!(error = %message, attempts, wait_ms = wait.as_millis() as u64, "mail not sent; retrying later");
    let next = now + chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::MAX);
    store::retry_at(conn, &mail.id, attempts, &message, next).await?;
    Ok(())
}
