//! Every query of the payments service, written once for both backends.

use chrono::NaiveDateTime;
use diesel::{OptionalExtension, prelude::*, result::QueryResult};
use diesel_async::RunQueryDsl;
use shop_runtime::{
    db::{DbConn, ReuseStatement},
    db_run,
};

use crate::schema::payments;

/// A stored payment.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = payments)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct PaymentRow {
    /// UUIDv7.
    pub id: String,
    /// The order.
    pub order_id: String,
    /// The customer.
    pub user_id: String,
    /// Unique per charge.
    pub idempotency_key: String,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// `pending`, `succeeded`, `declined` or `refunded`.
    pub status: String,
    /// Decline reason, if declined.
    pub failure_reason: Option<String>,
    /// Decline message ("" otherwise).
    pub failure_message: String,
    /// Card brand.
    pub card_brand: String,
    /// Card's last four digits.
    pub card_last4: String,
    /// Processor attempts so far.
    pub attempts: i32,
    /// An attempt in progress holds the payment until then.
    pub claimed_until: Option<NaiveDateTime>,
    /// Why it was refunded.
    pub refund_reason: Option<String>,
    /// Created at.
    pub created_at: NaiveDateTime,
    /// Last changed at.
    pub updated_at: NaiveDateTime,
}

/// Records a charge intent; a used idempotency key fails with a unique violation.
pub async fn insert(conn: &mut DbConn, payment: &PaymentRow) -> QueryResult<()> {
    db_run!(conn, |c| diesel::insert_into(payments::table).values(payment).execute(c).await).map(drop)
}

/// The payment with this id.
pub async fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<PaymentRow>> {
    db_run!(conn, |c| payments::table.find(id).select(PaymentRow::as_select()).first(c).await.optional())
}

/// The payment made with this idempotency key.
pub async fn find_by_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<PaymentRow>> {
    db_run!(conn, |c| payments::table
        .filter(payments::idempotency_key.eq(key))
        .select(PaymentRow::as_select())
        .first(c)
        .await
        .optional())
}

/// An order's payments, oldest first.
pub async fn for_order(conn: &mut DbConn, order_id: &str) -> QueryResult<Vec<PaymentRow>> {
    db_run!(conn, |c| payments::table
        .filter(payments::order_id.eq(order_id))
        .order((payments::created_at.asc(), payments::id.asc()))
        .select(PaymentRow::as_select())
        .load(c)
        .await)
}

/// Takes the right to make the next processor attempt for a pending payment
/// until `until`, if nobody holds it. Returns the attempt's number.
pub async fn claim(conn: &mut DbConn, id: &str, now: NaiveDateTime, until: NaiveDateTime) -> QueryResult<Option<i32>> {
    db_run!(conn, |c| diesel::update(
        payments::table
            .find(id)
            .filter(payments::status.eq("pending"))
            .filter(payments::claimed_until.is_null().or(payments::claimed_until.lt(now)))
    )
    .set((
        payments::attempts.eq(payments::attempts + 1),
        payments::claimed_until.eq(Some(until)),
        payments::updated_at.eq(now),
    ))
    .returning(payments::attempts)
    .reuse_statement()
    .get_result(c)
    .await
    .optional())
}

/// Records the processor's final answer for a pending payment; `false` when
/// it was no longer pending (voided meanwhile).
pub async fn settle(
    conn: &mut DbConn,
    id: &str,
    status: &str,
    failure: Option<(&str, &str)>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = db_run!(conn, |c| diesel::update(payments::table.find(id).filter(payments::status.eq("pending")))
        .set((
            payments::status.eq(status),
            payments::failure_reason.eq(failure.map(|(reason, _)| reason)),
            payments::failure_message.eq(failure.map_or("", |(_, message)| message)),
            payments::claimed_until.eq(None::<NaiveDateTime>),
            payments::updated_at.eq(now),
        ))
        .reuse_statement()
        .execute(c)
        .await)?;
    Ok(updated == 1)
}

/// Gives up the claim after a failed attempt, so the next one may start.
pub async fn unclaim(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(payments::table.find(id))
        .set((payments::claimed_until.eq(None::<NaiveDateTime>), payments::updated_at.eq(now)))
        .reuse_statement()
        .execute(c)
        .await)
    .map(drop)
}

/// Voids a pending payment that no processor attempt holds. `false`: it was
/// settled, or an attempt holds it.
pub async fn void(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = db_run!(conn, |c| diesel::update(
        payments::table
            .find(id)
            .filter(payments::status.eq("pending"))
            .filter(payments::claimed_until.is_null().or(payments::claimed_until.lt(now)))
    )
    .set((payments::status.eq("voided"), payments::updated_at.eq(now)))
    .reuse_statement()
    .execute(c)
    .await)?;
    Ok(updated == 1)
}

/// Marks a succeeded payment refunded. `false`: it was not succeeded.
pub async fn refund(conn: &mut DbConn, id: &str, reason: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = db_run!(conn, |c| diesel::update(payments::table.find(id).filter(payments::status.eq("succeeded")))
        .set((payments::status.eq("refunded"), payments::refund_reason.eq(Some(reason)), payments::updated_at.eq(now)))
        .reuse_statement()
        .execute(c)
        .await)?;
    Ok(updated == 1)
}
