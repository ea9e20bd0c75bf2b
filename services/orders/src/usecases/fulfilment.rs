//! After checkout: cancelling (refund and restock) and shipping/delivering.

use shop_runtime::{auth::Principal, failure::Failure, outbox, time};

use crate::{
    AppState, convert,
    domain::status::{self, OrderStatus},
    error::Error,
    store::{self, OrderRow},
    usecases::saga::{Saga, new_event},
};

/// An order the caller may see: their own, or any for an admin.
pub async fn visible(state: &AppState, caller: &Principal, order_id: &str) -> Result<OrderRow, Error> {
    store::find(&mut state.db.conn().await?, order_id)
        .await?
        .filter(|order| caller.is_admin() || order.user_id == caller.subject)
        .ok_or(Error::NotFound)
}

fn parse(stored: &str) -> Result<OrderStatus, Error> {
    OrderStatus::parse(stored).ok_or_else(|| Failure::internal(format!("stored status {stored:?} is unknown")).into())
}

/// Cancels an order before it ships: whatever was charged is refunded and
/// whatever was held or sold goes back to stock. A checkout still running
/// is not interrupted (ABORTED: retry once it settles).
pub async fn cancel(state: &AppState, caller: &Principal, order_id: &str, reason: &str) -> Result<OrderRow, Error> {
    let order = visible(state, caller, order_id).await?;
    status::cancellable(parse(&order.status)?)?;
    let who = if caller.is_admin() && caller.subject != order.user_id { "an admin" } else { "the customer" };
    let reason = if reason.trim().is_empty() {
        format!("cancelled by {who}")
    } else {
        format!("cancelled by {who}: {}", reason.trim())
    };
    let saga = Saga::new(state);
    let (now, until) = (time::now(), saga.lease_until());
    let claimed =
        state.db.write(async |w| store::claim_for_cancel(w, &order.id, &saga.owner, &reason, now, until).await).await?;
    let order = store::find(&mut state.db.conn().await?, &order.id).await?.ok_or(Error::NotFound)?;
    if !claimed {
        status::cancellable(parse(&order.status)?)?;
        return Err(Error::Busy);
    }
    Ok(saga.drive_detached(order, None).await?.order)
}

/// Moves a paid order along fulfilment (admins): PAID -> SHIPPED -> DELIVERED.
pub async fn advance(state: &AppState, order_id: &str, to: OrderStatus, note: &str) -> Result<OrderRow, Error> {
    let order = store::find(&mut state.db.conn().await?, order_id).await?.ok_or(Error::NotFound)?;
    let from = parse(&order.status)?;
    status::fulfil(from, to)?;
    let reason = if note.trim().is_empty() { format!("marked {}", to.label()) } else { note.trim().to_owned() };
    let moved = state
        .db
        .transaction(async |tx| {
            if !store::update_status(tx, order_id, from.as_str(), to.as_str(), time::now()).await? {
                return Ok(false);
            }
            store::insert_event(tx, &new_event(order_id, Some(from.as_str()), to, &reason)).await?;
            outbox::append(tx, &convert::status_changed(&order, from.as_str(), to, &reason)).await?;
            Ok::<_, Error>(true)
        })
        .await?;
    let order = store::find(&mut state.db.conn().await?, order_id).await?.ok_or(Error::NotFound)?;
    if !moved {
        // Someone changed it first (or is cancelling it): judge against what it is now.
        status::fulfil(parse(&order.status)?, to)?;
        return Err(Error::Busy);
    }
    state.status_changes.inc(to.as_str());
    state.events.notify(order_id);
    Ok(order)
}
