//! Stock flows: adjustments, and the reservation lifecycle (reserve, commit,
//! release, expire) with the round of the sweep that expires overdue
//! reservations (run every so often by runtime's `Periodic`).
//!
//! Each flow is one transaction. Holds and status changes are conditional
//! UPDATEs, so concurrent calls serialise on the rows they touch; items are
//! locked in product-id order, so they never deadlock.

use chrono::TimeDelta;
use shop_runtime::{db::DbConn, db::is_unique_violation, failure::Failure, outbox, time};

use crate::{
    AppState, convert,
    domain::{
        product::StockAdjustment,
        reservation::{CommitStep, ReleaseStep, ReservationRequest, Status, commit_step, release_step},
    },
    error::{Error, Shortage},
    store::{self, ProductRow, ReservationItemRow, ReservationRow},
    usecases::catalog::ledger_entry,
};

/// A reservation with its items.
pub type Reservation = (ReservationRow, Vec<ReservationItemRow>);

/// Changes stock on hand and records why.
pub async fn adjust(state: &AppState, product_id: &str, adjustment: StockAdjustment) -> Result<ProductRow, Error> {
    let now = time::now();
    state
        .db
        .transaction(async |tx| {
            if !store::adjust_on_hand(tx, product_id, adjustment.delta, now).await? {
                let product = store::find_product(tx, product_id)
                    .await?
                    .ok_or_else(|| Error::ProductNotFound(product_id.to_owned()))?;
                return Err(Error::BelowReserved {
                    on_hand: product.stock_on_hand + adjustment.delta,
                    reserved: product.stock_reserved,
                });
            }
            store::insert_ledger(tx, &ledger_entry(product_id, adjustment.delta, &adjustment.reason, None)).await?;
            if adjustment.delta < 0 {
                announce_low_stock(tx, state.stock_low_threshold, &[(product_id, -adjustment.delta)]).await?;
            }
            store::find_product(tx, product_id).await?.ok_or_else(|| Error::ProductNotFound(product_id.to_owned()))
        })
        .await
}

/// Holds stock for an order: every item or none. Repeating an order id
/// returns the reservation it already has and holds nothing more.
pub async fn reserve(state: &AppState, request: ReservationRequest) -> Result<Reservation, Error> {
    let now = time::now();
    let reservation = ReservationRow {
        order_id: request.order_id.clone(),
        status: Status::Active.as_str().to_owned(),
        created_at: now,
        expires_at: now + TimeDelta::from_std(request.ttl).unwrap_or(TimeDelta::MAX),
        updated_at: now,
    };
    let items: Vec<ReservationItemRow> = request
        .items
        .iter()
        .map(|(product_id, quantity)| ReservationItemRow {
            order_id: request.order_id.clone(),
            product_id: product_id.clone(),
            quantity: *quantity,
        })
        .collect();
    let made = state
        .db
        .transaction(async |tx| {
            // The order id row goes in first: a concurrent call with the same
            // id waits on it, then finds it and holds nothing.
            match store::insert_reservation(tx, &reservation).await {
                Err(e) if is_unique_violation(&e) => return Err(Error::Conflict),
                other => other?,
            }
            let mut short = Vec::new();
            for item in &items {
                if !store::hold(tx, &item.product_id, item.quantity, now).await? {
                    short.push(item);
                }
            }
            if !short.is_empty() {
                return Err(Error::InsufficientStock(shortages(tx, &short).await?));
            }
            store::insert_reservation_items(tx, &items).await?;
            let held: Vec<(&str, i32)> = items.iter().map(|item| (item.product_id.as_str(), item.quantity)).collect();
            announce_low_stock(tx, state.stock_low_threshold, &held).await?;
            Ok(())
        })
        .await;
    match made {
        // The rows just written, as written: no read back.
        Ok(()) => Ok((reservation, items)),
        Err(Error::Conflict) => {
            tracing::debug!(order_id = %request.order_id, "order already reserved");
            find(&mut state.db.conn().await?, &request.order_id).await
        }
        Err(other) => Err(other),
    }
}

/// A StockLow event for each product whose available stock has just fallen
/// (by the units given with it) from the threshold or above to below it: one
/// event per fall, not one per change while it stays low.
async fn announce_low_stock(tx: &mut DbConn, threshold: i32, fallen: &[(&str, i32)]) -> Result<(), Error> {
    let ids: Vec<String> = fallen.iter().map(|(id, _)| (*id).to_owned()).collect();
    for product in store::find_products(tx, &ids).await? {
        let fall: i32 = fallen.iter().filter(|(id, _)| *id == product.id).map(|(_, units)| units).sum();
        let now = product.available();
        if now < threshold && now + fall >= threshold {
            outbox::append(tx, &convert::stock_low(&product, threshold)).await?;
        }
    }
    Ok(())
}

async fn shortages(tx: &mut DbConn, short: &[&ReservationItemRow]) -> Result<Vec<Shortage>, Error> {
    let ids: Vec<String> = short.iter().map(|item| item.product_id.clone()).collect();
    let products = store::find_products(tx, &ids).await?;
    Ok(short
        .iter()
        .map(|item| {
            let available =
                products.iter().find(|p| p.id == item.product_id && !p.archived).map_or(0, |p| p.available().max(0));
            Shortage { product_id: item.product_id.clone(), requested: item.quantity, available }
        })
        .collect())
}

enum Committed {
    Done(Reservation),
    Expired,
}

/// Sells the held stock of an order. Idempotent; refused once the
/// reservation was released or has expired (an overdue one is expired here).
pub async fn commit(state: &AppState, order_id: &str) -> Result<Reservation, Error> {
    let now = time::now();
    let outcome = state
        .db
        .transaction(async |tx| {
            let (reservation, items) = find(tx, order_id).await?;
            let status = parse_status(&reservation.status)?;
            match commit_step(status, reservation.expires_at, now) {
                CommitStep::AlreadyCommitted => Ok(Committed::Done((reservation, items))),
                CommitStep::Refuse(status) => Err(Error::ReservationClosed(status)),
                CommitStep::ExpireAndRefuse => {
                    expire_held(tx, order_id, &items).await?;
                    Ok(Committed::Expired)
                }
                CommitStep::Commit => {
                    transition(tx, order_id, Status::Active, Status::Committed).await?;
                    let reason = format!("sold: order {order_id}");
                    for item in &items {
                        store::sell(tx, &item.product_id, item.quantity, now).await?;
                        store::insert_ledger(
                            tx,
                            &ledger_entry(&item.product_id, -item.quantity, &reason, Some(order_id)),
                        )
                        .await?;
                    }
                    // Read on the writer, whose cache is warm, not on a pooled connection.
                    Ok(Committed::Done(find(tx, order_id).await?))
                }
            }
        })
        .await?;
    match outcome {
        Committed::Done(reservation) => Ok(reservation),
        Committed::Expired => Err(Error::ReservationClosed(Status::Expired)),
    }
}

/// Gives an order's stock back: an active hold ends; committed stock goes
/// back on hand. Idempotent. Releasing an order that holds nothing leaves a
/// released reservation with no items behind, so a ReserveStock for it that
/// arrives late (it was sent before the release, and delayed) holds nothing.
pub async fn release(state: &AppState, order_id: &str, reason: &str) -> Result<Reservation, Error> {
    let now = time::now();
    state
        .db
        .transaction(async |tx| {
            let (reservation, items) = match store::find_reservation(tx, order_id).await? {
                Some(found) => found,
                None => {
                    // If a reserve for this order commits first, this inserts
                    // nothing and that reservation is released below.
                    store::insert_reservation_unless_exists(tx, &tombstone(order_id, now)).await?;
                    find(tx, order_id).await?
                }
            };
            match release_step(parse_status(&reservation.status)?) {
                ReleaseStep::Nothing => {}
                ReleaseStep::Unhold => {
                    transition(tx, order_id, Status::Active, Status::Released).await?;
                    for item in &items {
                        store::unhold(tx, &item.product_id, item.quantity, now).await?;
                    }
                }
                ReleaseStep::Restock => {
                    transition(tx, order_id, Status::Committed, Status::Released).await?;
                    let reason =
                        if reason.is_empty() { format!("restocked: order {order_id}") } else { reason.to_owned() };
                    for item in &items {
                        store::adjust_on_hand(tx, &item.product_id, item.quantity, now).await?;
                        store::insert_ledger(
                            tx,
                            &ledger_entry(&item.product_id, item.quantity, &reason, Some(order_id)),
                        )
                        .await?;
                    }
                }
            }
            find(tx, order_id).await
        })
        .await
}

/// A reservation that was released before anything was held.
fn tombstone(order_id: &str, now: chrono::NaiveDateTime) -> ReservationRow {
    ReservationRow {
        order_id: order_id.to_owned(),
        status: Status::Released.as_str().to_owned(),
        created_at: now,
        expires_at: now,
        updated_at: now,
    }
}

/// What products recorded for an order.
pub async fn get(state: &AppState, order_id: &str) -> Result<Reservation, Error> {
    find(&mut state.db.conn().await?, order_id).await
}

/// Expires one overdue reservation, if it is still active and overdue.
async fn expire(state: &AppState, order_id: &str) -> Result<(), Error> {
    let now = time::now();
    state
        .db
        .transaction(async |tx| {
            let (reservation, items) = find(tx, order_id).await?;
            if reservation.status == Status::Active.as_str() && reservation.expires_at <= now {
                expire_held(tx, order_id, &items).await?;
            }
            Ok::<_, Error>(())
        })
        .await
}

async fn expire_held(tx: &mut DbConn, order_id: &str, items: &[ReservationItemRow]) -> Result<(), Error> {
    transition(tx, order_id, Status::Active, Status::Expired).await?;
    let now = time::now();
    for item in items {
        store::unhold(tx, &item.product_id, item.quantity, now).await?;
    }
    tracing::info!(order_id, "reservation expired; stock released");
    Ok(())
}

async fn transition(tx: &mut DbConn, order_id: &str, from: Status, to: Status) -> Result<(), Error> {
    if store::set_reservation_status(tx, order_id, from.as_str(), to.as_str(), time::now()).await? {
        Ok(())
    } else {
        Err(Error::Conflict)
    }
}

async fn find(conn: &mut DbConn, order_id: &str) -> Result<Reservation, Error> {
    store::find_reservation(conn, order_id).await?.ok_or(Error::ReservationNotFound)
}

fn parse_status(stored: &str) -> Result<Status, Error> {
    Status::parse(stored)
        .ok_or_else(|| Failure::internal(format!("stored reservation status {stored:?} is unknown")).into())
}

/// Expires up to a hundred overdue reservations: one round of the sweep.
pub async fn sweep_once(state: &AppState) -> Result<(), Error> {
    let overdue = store::overdue_reservations(&mut state.db.conn().await?, time::now(), 100).await?;
    for order_id in overdue {
        match expire(state, &order_id).await {
            // Committed or released meanwhile by someone else.
            Ok(()) | Err(Error::Conflict) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(())
}
