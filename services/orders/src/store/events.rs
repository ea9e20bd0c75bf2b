//! Order events: every status change, in order.

use chrono::NaiveDateTime;
use diesel::{OptionalExtension, prelude::*, result::QueryResult};
use diesel_async::RunQueryDsl;
use shop_runtime::{
    db::{DbConn, ReuseStatement, SHORT_IN_LIST},
    db_run,
};

use crate::schema::order_events;

/// A stored status change.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_events)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct EventRow {
    /// UUIDv7 (so ids order events).
    pub id: String,
    /// The order.
    pub order_id: String,
    /// Status before (none for the first event).
    pub from_status: Option<String>,
    /// Status after.
    pub to_status: String,
    /// Why.
    pub reason: String,
    /// When.
    pub occurred_at: NaiveDateTime,
}

/// Records a status change.
pub async fn insert_event(conn: &mut DbConn, event: &EventRow) -> QueryResult<()> {
    db_run!(conn, |c| diesel::insert_into(order_events::table).values(event).execute(c).await).map(drop)
}

/// The events of these orders, oldest first.
pub async fn events_of(conn: &mut DbConn, order_ids: &[String]) -> QueryResult<Vec<EventRow>> {
    db_run!(conn, |c| order_events::table
        .filter(order_events::order_id.eq_any(order_ids))
        .order(order_events::id.asc())
        .select(EventRow::as_select())
        .reuse_statement_if(order_ids.len() <= SHORT_IN_LIST)
        .load(c)
        .await)
}

/// An order's events after the one with id `after`, oldest first.
pub async fn events_after(conn: &mut DbConn, order_id: &str, after: &str) -> QueryResult<Vec<EventRow>> {
    db_run!(conn, |c| order_events::table
        .filter(order_events::order_id.eq(order_id))
        .filter(order_events::id.gt(after))
        .order(order_events::id.asc())
        .select(EventRow::as_select())
        .load(c)
        .await)
}

/// An order's latest event.
pub async fn latest_event(conn: &mut DbConn, order_id: &str) -> QueryResult<Option<EventRow>> {
    db_run!(conn, |c| order_events::table
        .filter(order_events::order_id.eq(order_id))
        .order(order_events::id.desc())
        .select(EventRow::as_select())
        .first(c)
        .await
        .optional())
}
