//! Order rows, their lines, and the saga lease.

use chrono::NaiveDateTime;
use diesel::{OptionalExtension, prelude::*, result::QueryResult};
use diesel_async::RunQueryDsl;
use shop_runtime::{
    db::{DbConn, ReuseStatement, SHORT_IN_LIST},
    db_run,
};

use crate::schema::{order_addresses, order_lines, orders};

/// A stored order.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = orders)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct OrderRow {
    /// UUIDv7.
    pub id: String,
    /// The customer.
    pub user_id: String,
    /// The customer's idempotency key (unique per customer).
    pub idempotency_key: String,
    /// Stored status name.
    pub status: String,
    /// Why it is in its status (or, while cancelling, why it is being cancelled).
    pub status_reason: String,
    /// Stored saga step name.
    pub step: String,
    /// Total, minor units.
    pub total_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The successful payment.
    pub payment_id: Option<String>,
    /// Who drives the saga now.
    pub lease_owner: Option<String>,
    /// Until when nobody else may (recovery waits for it).
    pub lease_until: Option<NaiveDateTime>,
    /// Placed at.
    pub created_at: NaiveDateTime,
    /// Last changed at.
    pub updated_at: NaiveDateTime,
}

/// Where a stored order goes.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_addresses)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AddressRow {
    /// The order.
    pub order_id: String,
    /// Recipient.
    pub name: String,
    /// Street.
    pub line1: String,
    /// More.
    pub line2: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Country.
    pub country: String,
}

/// A stored order line.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_lines)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct LineRow {
    /// The order.
    pub order_id: String,
    /// The product.
    pub product_id: String,
    /// Its sku then.
    pub sku: String,
    /// Its name then.
    pub name: String,
    /// Its unit price then.
    pub unit_price_minor: i64,
    /// Units.
    pub quantity: i32,
    /// Unit price x quantity.
    pub subtotal_minor: i64,
}

/// Columns a saga step or an admin changes; `None` leaves one alone and
/// `Some(None)` sets a nullable one to NULL.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = orders)]
pub struct OrderChanges {
    /// New status.
    pub status: Option<String>,
    /// New reason.
    pub status_reason: Option<String>,
    /// New step.
    pub step: Option<String>,
    /// The payment.
    pub payment_id: Option<Option<String>>,
    /// New lease holder.
    pub lease_owner: Option<Option<String>>,
    /// New lease end.
    pub lease_until: Option<Option<NaiveDateTime>>,
    /// Always set.
    pub updated_at: Option<NaiveDateTime>,
}

impl OrderChanges {
    /// Makes `row` what the database holds once these changes are written,
    /// so that a writer need not read the row back.
    pub fn apply_to(self, row: &mut OrderRow) {
        let Self { status, status_reason, step, payment_id, lease_owner, lease_until, updated_at } = self;
        row.status = status.unwrap_or(std::mem::take(&mut row.status));
        row.status_reason = status_reason.unwrap_or(std::mem::take(&mut row.status_reason));
        row.step = step.unwrap_or(std::mem::take(&mut row.step));
        row.payment_id = payment_id.unwrap_or(row.payment_id.take());
        row.lease_owner = lease_owner.unwrap_or(row.lease_owner.take());
        row.lease_until = lease_until.unwrap_or(row.lease_until);
        row.updated_at = updated_at.unwrap_or(row.updated_at);
    }
}

/// Adds an order, its address and its lines; a repeated (user, key) fails
/// with a unique violation.
pub async fn insert_order(
    conn: &mut DbConn,
    order: &OrderRow,
    address: &AddressRow,
    lines: &[LineRow],
) -> QueryResult<()> {
    db_run!(conn, |c| diesel::insert_into(orders::table).values(order).execute(c).await)?;
    db_run!(conn, |c| diesel::insert_into(order_addresses::table).values(address).execute(c).await)?;
    // Row by row: diesel's multi-row INSERT is not available for SQLite through the async wrapper.
    for line in lines {
        db_run!(conn, |c| diesel::insert_into(order_lines::table).values(line).execute(c).await)?;
    }
    Ok(())
}

/// One order.
pub async fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<OrderRow>> {
    db_run!(conn, |c| orders::table.find(id).select(OrderRow::as_select()).first(c).await.optional())
}

/// The order a customer placed with a key.
pub async fn find_by_key(conn: &mut DbConn, user_id: &str, key: &str) -> QueryResult<Option<OrderRow>> {
    db_run!(conn, |c| orders::table
        .filter(orders::user_id.eq(user_id))
        .filter(orders::idempotency_key.eq(key))
        .select(OrderRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Up to `limit` orders, newest first, before `before` (an id), optionally
/// of one user and in one status.
pub async fn list(
    conn: &mut DbConn,
    user_id: Option<&str>,
    status: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<OrderRow>> {
    db_run!(conn, |c| {
        let mut query = orders::table.select(OrderRow::as_select()).order(orders::id.desc()).limit(limit).into_boxed();
        if let Some(user_id) = user_id {
            query = query.filter(orders::user_id.eq(user_id));
        }
        if let Some(status) = status {
            query = query.filter(orders::status.eq(status));
        }
        if let Some(before) = before {
            query = query.filter(orders::id.lt(before));
        }
        query.load(c).await
    })
}

/// The addresses of these orders.
pub async fn addresses_of(conn: &mut DbConn, order_ids: &[String]) -> QueryResult<Vec<AddressRow>> {
    db_run!(conn, |c| order_addresses::table
        .filter(order_addresses::order_id.eq_any(order_ids))
        .select(AddressRow::as_select())
        .reuse_statement_if(order_ids.len() <= SHORT_IN_LIST)
        .load(c)
        .await)
}

/// The lines of these orders.
pub async fn lines_of(conn: &mut DbConn, order_ids: &[String]) -> QueryResult<Vec<LineRow>> {
    db_run!(conn, |c| order_lines::table
        .filter(order_lines::order_id.eq_any(order_ids))
        .order((order_lines::order_id.asc(), order_lines::product_id.asc()))
        .select(LineRow::as_select())
        .reuse_statement_if(order_ids.len() <= SHORT_IN_LIST)
        .load(c)
        .await)
}

/// Takes the saga lease of an order with work left. A client (who has the
/// card) may take over a released lease at once; recovery only once the
/// lease has run out. `false`: someone else holds it.
pub async fn claim(
    conn: &mut DbConn,
    id: &str,
    owner: &str,
    by_client: bool,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = db_run!(conn, |c| {
        let free = orders::lease_until.is_null().or(orders::lease_until.lt(now));
        let query =
            diesel::update(orders::table).filter(orders::id.eq(id)).filter(orders::step.ne("done")).into_boxed();
        let query = if by_client { query.filter(orders::lease_owner.is_null().or(free)) } else { query.filter(free) };
        query
            .set((orders::lease_owner.eq(Some(owner)), orders::lease_until.eq(Some(until)), orders::updated_at.eq(now)))
            .reuse_statement()
            .execute(c)
            .await
    })?;
    Ok(updated == 1)
}

/// Starts cancelling a pending or paid order: takes the lease (unless a live
/// checkout holds it) and records why. `false`: not possible now.
pub async fn claim_for_cancel(
    conn: &mut DbConn,
    id: &str,
    owner: &str,
    reason: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = db_run!(conn, |c| diesel::update(orders::table)
        .filter(orders::id.eq(id))
        .filter(orders::status.eq_any(["pending", "paid"]))
        .filter(orders::lease_owner.is_null().or(orders::lease_until.lt(now)))
        .set((
            orders::step.eq("cancelling"),
            orders::status_reason.eq(reason),
            orders::lease_owner.eq(Some(owner)),
            orders::lease_until.eq(Some(until)),
            orders::updated_at.eq(now),
        ))
        .reuse_statement()
        .execute(c)
        .await)?;
    Ok(updated == 1)
}

/// Applies `changes` only while `owner` still holds the lease (and, when
/// `from` is given, while the order is still in that status). `false`: the
/// lease or the status moved on.
pub async fn update_fenced(
    conn: &mut DbConn,
    id: &str,
    owner: &str,
    from: Option<&str>,
    changes: &OrderChanges,
) -> QueryResult<bool> {
    let updated = db_run!(conn, |c| {
        let mut query =
            diesel::update(orders::table).filter(orders::id.eq(id)).filter(orders::lease_owner.eq(owner)).into_boxed();
        if let Some(from) = from {
            query = query.filter(orders::status.eq(from));
        }
        query.set(changes).reuse_statement().execute(c).await
    })?;
    Ok(updated == 1)
}

/// Moves an order from `from` to `to` (fulfilment), unless a cancellation is
/// under way. `false`: the order moved on.
pub async fn update_status(conn: &mut DbConn, id: &str, from: &str, to: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = db_run!(conn, |c| diesel::update(
        orders::table.find(id).filter(orders::status.eq(from)).filter(orders::step.ne("cancelling"))
    )
    .set((orders::status.eq(to), orders::status_reason.eq(""), orders::updated_at.eq(now)))
    .reuse_statement()
    .execute(c)
    .await)?;
    Ok(updated == 1)
}

/// Orders with saga work left whose lease has run out, oldest first.
pub async fn stuck(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    db_run!(conn, |c| orders::table
        .filter(orders::step.ne("done"))
        .filter(orders::lease_until.is_null().or(orders::lease_until.lt(now)))
        .order(orders::id.asc())
        .limit(limit)
        .select(orders::id)
        .load(c)
        .await)
}
