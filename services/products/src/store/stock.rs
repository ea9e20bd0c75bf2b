//! Stock on hand, holds, the ledger, and reservations. Every change to a
//! product's stock is one conditional UPDATE: checked and applied in the same
//! statement, so concurrent callers can never oversell.

use chrono::NaiveDateTime;
use diesel::{OptionalExtension, prelude::*, result::QueryResult};
use diesel_async::RunQueryDsl;
use shop_runtime::{
    db::{DbConn, ReuseStatement},
    db_run,
};

use crate::schema::{products, reservation_items, reservations, stock_ledger};

/// One change to stock on hand.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = stock_ledger)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct LedgerRow {
    /// UUIDv7.
    pub id: String,
    /// The product.
    pub product_id: String,
    /// Units added (positive) or removed (negative).
    pub delta: i32,
    /// Why.
    pub reason: String,
    /// The order, for sales and restocks.
    pub order_id: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// A stored reservation.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = reservations)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ReservationRow {
    /// The order (primary key).
    pub order_id: String,
    /// `active`, `committed`, `released` or `expired`.
    pub status: String,
    /// Made at.
    pub created_at: NaiveDateTime,
    /// An active reservation expires at.
    pub expires_at: NaiveDateTime,
    /// Last changed at.
    pub updated_at: NaiveDateTime,
}

/// One line of a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = reservation_items)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ReservationItemRow {
    /// The order.
    pub order_id: String,
    /// The product.
    pub product_id: String,
    /// Units held.
    pub quantity: i32,
}

/// Adds `delta` to stock on hand unless that would leave less on hand than
/// is reserved. `false`: refused (or no such product).
pub async fn adjust_on_hand(conn: &mut DbConn, product_id: &str, delta: i32, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = db_run!(conn, |c| diesel::update(
        products::table.find(product_id).filter((products::stock_on_hand + delta).ge(products::stock_reserved))
    )
    .set((products::stock_on_hand.eq(products::stock_on_hand + delta), products::updated_at.eq(now)))
    .reuse_statement()
    .execute(c)
    .await)?;
    Ok(updated == 1)
}

/// Holds `quantity` units of an active product if that many are available.
/// `false`: not enough available (or archived, or no such product).
pub async fn hold(conn: &mut DbConn, product_id: &str, quantity: i32, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = db_run!(conn, |c| diesel::update(
        products::table
            .find(product_id)
            .filter(products::archived.eq(false))
            .filter((products::stock_on_hand - products::stock_reserved).ge(quantity))
    )
    .set((products::stock_reserved.eq(products::stock_reserved + quantity), products::updated_at.eq(now)))
    .reuse_statement()
    .execute(c)
    .await)?;
    Ok(updated == 1)
}

/// Stops holding `quantity` units.
pub async fn unhold(conn: &mut DbConn, product_id: &str, quantity: i32, now: NaiveDateTime) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(products::table.find(product_id))
        .set((products::stock_reserved.eq(products::stock_reserved - quantity), products::updated_at.eq(now)))
        .reuse_statement()
        .execute(c)
        .await)
    .map(drop)
}

/// Turns `quantity` held units into a sale: both on hand and held go down.
pub async fn sell(conn: &mut DbConn, product_id: &str, quantity: i32, now: NaiveDateTime) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(products::table.find(product_id))
        .set((
            products::stock_on_hand.eq(products::stock_on_hand - quantity),
            products::stock_reserved.eq(products::stock_reserved - quantity),
            products::updated_at.eq(now),
        ))
        .reuse_statement()
        .execute(c)
        .await)
    .map(drop)
}

/// Records a change to stock on hand.
pub async fn insert_ledger(conn: &mut DbConn, entry: &LedgerRow) -> QueryResult<()> {
    db_run!(conn, |c| diesel::insert_into(stock_ledger::table).values(entry).execute(c).await).map(drop)
}

/// Adds a reservation; a repeated order id fails with a unique violation.
pub async fn insert_reservation(conn: &mut DbConn, reservation: &ReservationRow) -> QueryResult<()> {
    db_run!(conn, |c| diesel::insert_into(reservations::table).values(reservation).execute(c).await).map(drop)
}

/// Inserts a reservation unless the order already has one; returns whether
/// it was inserted. A concurrent insert for the same order is waited for.
pub async fn insert_reservation_unless_exists(conn: &mut DbConn, reservation: &ReservationRow) -> QueryResult<bool> {
    db_run!(conn, |c| diesel::insert_into(reservations::table)
        .values(reservation)
        .on_conflict_do_nothing()
        .execute(c)
        .await)
    .map(|inserted| inserted == 1)
}

/// Adds the items of a reservation (row by row: diesel's multi-row INSERT
/// is not available for SQLite through the async wrapper; there are at most
/// a hundred, inside the caller's transaction).
pub async fn insert_reservation_items(conn: &mut DbConn, items: &[ReservationItemRow]) -> QueryResult<()> {
    for item in items {
        db_run!(conn, |c| diesel::insert_into(reservation_items::table).values(item).execute(c).await)?;
    }
    Ok(())
}

/// A reservation and its items.
pub async fn find_reservation(
    conn: &mut DbConn,
    order_id: &str,
) -> QueryResult<Option<(ReservationRow, Vec<ReservationItemRow>)>> {
    db_run!(conn, |c| {
        let Some(reservation) =
            reservations::table.find(order_id).select(ReservationRow::as_select()).first(c).await.optional()?
        else {
            return Ok(None);
        };
        let items = reservation_items::table
            .filter(reservation_items::order_id.eq(order_id))
            .order(reservation_items::product_id.asc())
            .select(ReservationItemRow::as_select())
            .load(c)
            .await?;
        Ok(Some((reservation, items)))
    })
}

/// Moves a reservation from `from` to `to`, only if it is still in `from`.
/// `false`: someone else moved it first.
pub async fn set_reservation_status(
    conn: &mut DbConn,
    order_id: &str,
    from: &str,
    to: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated =
        db_run!(conn, |c| diesel::update(reservations::table.find(order_id).filter(reservations::status.eq(from)))
            .set((reservations::status.eq(to), reservations::updated_at.eq(now)))
            .reuse_statement()
            .execute(c)
            .await)?;
    Ok(updated == 1)
}

/// Orders whose active reservations are past their expiry, oldest first.
pub async fn overdue_reservations(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    db_run!(conn, |c| reservations::table
        .filter(reservations::status.eq("active"))
        .filter(reservations::expires_at.le(now))
        .order(reservations::expires_at.asc())
        .limit(limit)
        .select(reservations::order_id)
        .load(c)
        .await)
}
