//! Sending the recorded mails: each due mail is claimed (so that another
//! replica's sender leaves it alone), sent, and marked sent; a failure is
//! retried after a doubling wait, and after the last attempt the mail goes
//! to the dead letters. Nothing is dropped.

use std::time::Duration;

use shop_runtime::{Shutdown, inbox::Backoff, telemetry::continue_trace, time};
use tracing::{Instrument, Span};

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
                Ok(due) if due as i64 == BATCH => continue,
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

/// One round: every due mail this sender could claim (one statement for
/// the batch) is attempted once, and those sent are marked so together.
/// Returns how many were due.
pub async fn deliver_due(state: &AppState) -> Result<usize, Error> {
    let now = time::now();
    let due = store::due(&mut state.db.conn().await?, now, BATCH).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let claim_until = now + chrono::TimeDelta::from_std(state.delivery.claim).unwrap_or(chrono::TimeDelta::MAX);
    let ids: Vec<&str> = due.iter().map(|mail| mail.id.as_str()).collect();
    let claimed = state.db.write(async |w| store::claim_all(w, &ids, now, claim_until).await).await?;
    let mut sent = Vec::new();
    for mail in due.iter().filter(|mail| claimed.contains(&mail.id)) {
        let span = send_span(mail);
        if attempt(state, mail).instrument(span).await? {
            sent.push(mail.id.as_str());
        }
    }
    // A crash before this line sends these again: into the mail directory
    // that rewrites the same files; over SMTP, with the same Message-IDs.
    if !sent.is_empty() {
        state.db.write(async |w| store::mark_sent(w, &sent, time::now()).await).await?;
    }
    Ok(due.len())
}

/// The span of sending `mail`: in the trace of the event that caused it.
fn send_span(mail: &NotificationRow) -> Span {
    let span =
        tracing::info_span!("send mail", kind = %mail.kind, notification_id = %mail.id, attempt = mail.attempts + 1);
    continue_trace(&span, &mail.traceparent, "");
    span
}

/// Sends `mail` once; true if it went. A failure is recorded here: the
/// retry's time, or the dead letter.
async fn attempt(state: &AppState, mail: &NotificationRow) -> Result<bool, Error> {
    let kind = Kind::parse(&mail.kind).map_or("unknown", Kind::as_str);
    let attempts = mail.attempts.saturating_add(1);
    let error = match state.mailer.send(mail).await {
        Ok(()) => {
            state.metrics.sent.inc(kind);
            return Ok(true);
        }
        Err(error) => error,
    };
    let now = time::now();
    state.metrics.failed.inc(kind);
    let message = error.to_string();
    let hopeless = matches!(error, SendError::Invalid(_));
    if hopeless || u32::try_from(attempts).unwrap_or(u32::MAX) >= state.delivery.max_attempts {
        tracing::error!(error = %message, attempts, "mail failed its last attempt; moved to the dead letters");
        state
            .db
            .transaction(async |tx| Ok::<_, Error>(store::dead_letter(tx, &mail.id, attempts, &message, now).await?))
            .await?;
        state.metrics.dead_lettered.inc(kind);
        return Ok(false);
    }
    let wait = Backoff::new(state.delivery.first_retry, MAX_RETRY_WAIT).after(attempts as u32);
    tracing::warn!(error = %message, attempts, wait_ms = wait.as_millis() as u64, "mail not sent; retrying later");
    let next = now + chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::MAX);
    state.db.write(async |w| store::retry_at(w, &mail.id, attempts, &message, next).await).await?;
    Ok(false)
}
