//! Charging and refunding. A charge is recorded before the processor is
//! asked, under its idempotency key; one attempt at a time may claim it; the
//! answer is recorded once. So the same key never charges twice, however
//! many retries arrive and however they interleave. A charge, once asked
//! for, runs to its end in a task of its own, whatever becomes of the request.

use std::time::{Duration, Instant};

use shop_card::CheckedCard;
use shop_runtime::{failure::Failure, grpc::deadline, outbox, time, validation::FieldViolation};
use tracing::Instrument;

use crate::{
    AppState, convert,
    domain::{ChargeTerms, NewCharge, Outcome, process},
    error::Error,
    store::{self, PaymentRow},
};

/// How long a repeat waits for an attempt in progress, at most.
const WAIT_FOR_ATTEMPT: Duration = Duration::from_secs(10);

/// Charges a card once per idempotency key; returns the payment, SUCCEEDED or DECLINED.
///
/// The work is detached from the request: if the caller's deadline passed
/// (the server then drops the request) between the claim and the recorded
/// answer, the charge would stay claimed, and its order PENDING, for a whole
/// claim period. Waiting for another attempt still ends with the caller's deadline.
pub async fn charge(state: &AppState, charge: NewCharge) -> Result<PaymentRow, Error> {
    let wait = deadline::remaining().unwrap_or(WAIT_FOR_ATTEMPT).min(WAIT_FOR_ATTEMPT);
    let state = state.clone();
    let task = tokio::spawn(async move { charge_to_end(&state, charge, wait).await }.in_current_span());
    task.await.map_err(|failed| Failure::internal(format!("the charge task failed: {failed}")))?
}

async fn charge_to_end(state: &AppState, charge: NewCharge, wait: Duration) -> Result<PaymentRow, Error> {
    let payment = record_intent(state, &charge.terms, Some(&charge.card)).await?;
    if payment.status != "pending" {
        return Ok(payment);
    }
    let Some(attempt) = claim_or_wait(state, &payment, wait).await? else {
        // Settled by the attempt we waited for.
        return find(state, &payment.id).await;
    };
    let outcome = process(&charge.card.number, attempt);
    let now = time::now();
    // The settled row is read in the same transaction, on SQLite's writer
    // connection, whose cache is warm.
    let settled = match outcome {
        Outcome::Approved => {
            let succeeded = convert::succeeded(&payment);
            let settled = state.db.transaction(async |tx| {
                if store::settle(tx, &payment.id, "succeeded", None, now).await? {
                    outbox::append(tx, &succeeded).await?;
                }
                Ok::<_, Error>(store::find(tx, &payment.id).await?)
            });
            let settled = settled.await?;
            state.results.inc("succeeded");
            settled
        }
        Outcome::Declined(reason) => {
            let why = Some((reason.as_str(), reason.message()));
            let settled = state.db.transaction(async |tx| {
                store::settle(tx, &payment.id, "declined", why, now).await?;
                Ok::<_, Error>(store::find(tx, &payment.id).await?)
            });
            let settled = settled.await?;
            state.results.inc(reason.as_str());
            settled
        }
        Outcome::ProcessorError => {
            state.db.write(async |w| store::unclaim(w, &payment.id, now).await).await?;
            state.results.inc("processor_error");
            tracing::warn!(payment_id = %payment.id, attempt, "card processor error");
            return Err(Error::ProcessorUnavailable);
        }
    };
    tracing::info!(payment_id = %payment.id, order_id = %charge.terms.order_id, ?outcome, card = ?charge.card, "charge settled");
    settled.ok_or(Error::NotFound)
}

/// Closes a charge's key without taking money: a Charge with it that comes
/// later takes nothing. A settled key keeps its payment; a key with a
/// processor attempt in flight is refused for now.
pub async fn void(state: &AppState, terms: ChargeTerms) -> Result<PaymentRow, Error> {
    let payment = record_intent(state, &terms, None).await?;
    if payment.status != "pending" {
        return Ok(payment);
    }
    let now = time::now();
    let mut conn = state.db.conn().await?;
    if store::void(&mut conn, &payment.id, now).await? {
        state.results.inc("voided");
        tracing::info!(payment_id = %payment.id, order_id = %terms.order_id, "pending charge voided");
    }
    let payment = store::find(&mut conn, &payment.id).await?.ok_or(Error::NotFound)?;
    if payment.status == "pending" {
        return Err(Error::InProgress);
    }
    Ok(payment)
}

/// Records the charge as pending (voided, without a card), or finds what
/// the key already recorded (refusing a key reused for a different charge).
async fn record_intent(
    state: &AppState,
    charge: &ChargeTerms,
    card: Option<&CheckedCard>,
) -> Result<PaymentRow, Error> {
    let now = time::now();
    let row = PaymentRow {
        id: uuid::Uuid::now_v7().to_string(),
        order_id: charge.order_id.clone(),
        user_id: charge.user_id.clone(),
        idempotency_key: charge.idempotency_key.clone(),
        amount_minor: charge.amount_minor,
        currency: charge.currency.clone(),
        status: if card.is_some() { "pending" } else { "voided" }.to_owned(),
        failure_reason: None,
        failure_message: String::new(),
        card_brand: card.map(|c| c.brand().to_owned()).unwrap_or_default(),
        card_last4: card.map(|c| c.last4().to_owned()).unwrap_or_default(),
        attempts: 0,
        claimed_until: None,
        refund_reason: None,
        created_at: now,
        updated_at: now,
    };
    match state.db.write(async |w| store::insert(w, &row).await).await {
        Ok(()) => Ok(row),
        Err(e) if e.is_unique_violation() => {
            let existing = store::find_by_key(&mut state.db.conn().await?, &charge.idempotency_key)
                .await?
                .ok_or(Error::NotFound)?;
            let same = existing.order_id == charge.order_id
                && existing.user_id == charge.user_id
                && existing.amount_minor == charge.amount_minor
                && existing.currency == charge.currency;
            if same {
                Ok(existing)
            } else {
                Err(FieldViolation::new("idempotency_key", "was already used for a different charge").into())
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Claims the next attempt, or waits (up to `wait`) while another attempt holds the claim.
/// `None`: the payment was settled meanwhile.
async fn claim_or_wait(state: &AppState, payment: &PaymentRow, wait: Duration) -> Result<Option<i32>, Error> {
    let give_up = Instant::now() + wait.saturating_sub(Duration::from_millis(100));
    let mut current = payment.clone();
    loop {
        // Only try to claim when nobody seems to hold it: waiting is reads only.
        let now = time::now();
        if current.claimed_until.is_none_or(|until| until < now)
            && let Some(attempt) =
                state.db.write(async |w| store::claim(w, &payment.id, now, now + state.charge_claim).await).await?
        {
            return Ok(Some(attempt));
        }
        current = store::find(&mut state.db.conn().await?, &payment.id).await?.ok_or(Error::NotFound)?;
        if current.status != "pending" {
            return Ok(None);
        }
        if Instant::now() >= give_up {
            return Err(Error::InProgress);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Refunds a succeeded payment in full; refunding a refunded one changes nothing.
pub async fn refund(state: &AppState, payment_id: &str, reason: &str) -> Result<PaymentRow, Error> {
    let mut conn = state.db.conn().await?;
    let payment = store::find(&mut conn, payment_id).await?.ok_or(Error::NotFound)?;
    match payment.status.as_str() {
        "refunded" => Ok(payment),
        "succeeded" => {
            let reason = if reason.trim().is_empty() { "refund requested" } else { reason.trim() };
            let refunded = convert::refunded(&payment, reason);
            let first = conn
                .transaction(async |tx| {
                    let first = store::refund(tx, payment_id, reason, time::now()).await?;
                    if first {
                        outbox::append(tx, &refunded).await?;
                    }
                    Ok::<_, diesel::result::Error>(first)
                })
                .await?;
            if first {
                state.results.inc("refunded");
            } else {
                // A concurrent refund got there first; the result is the same.
                tracing::debug!(payment_id, "refunded concurrently");
            }
            tracing::info!(payment_id, order_id = %payment.order_id, "payment refunded");
            store::find(&mut conn, payment_id).await?.ok_or(Error::NotFound)
        }
        other => Err(Error::NotRefundable(other.to_owned())),
    }
}

async fn find(state: &AppState, id: &str) -> Result<PaymentRow, Error> {
    store::find(&mut state.db.conn().await?, id).await?.ok_or(Error::NotFound)
}
