//! Every query of the notifications service, written once for both backends.

use chrono::NaiveDateTime;
use diesel::{OptionalExtension, prelude::*, result::QueryResult};
use diesel_async::RunQueryDsl;
use shop_runtime::{
    db::{DbConn, ReuseStatement, SHORT_IN_LIST},
    db_run,
};

use crate::schema::{consumed_events, consumer_positions, dead_letters, notifications, preferences};

/// A stored mail.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = notifications)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct NotificationRow {
    /// UUIDv7.
    pub id: String,
    /// The event that caused it.
    pub event_id: String,
    /// The account it goes to.
    pub user_id: String,
    /// The address it goes to.
    pub recipient: String,
    /// [`crate::domain::Kind`], stored.
    pub kind: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text_body: String,
    /// HTML body.
    pub html_body: String,
    /// Its Message-ID, without the angle brackets.
    pub message_id: String,
    /// [`crate::domain::Status`], stored.
    pub status: String,
    /// Send attempts so far.
    pub attempts: i32,
    /// Not sent before then (a retry's wait, or another sender's claim).
    pub next_attempt_at: NaiveDateTime,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The W3C traceparent of the handling that recorded it: sending joins that trace.
    pub traceparent: String,
    /// Recorded at.
    pub created_at: NaiveDateTime,
    /// Sent at.
    pub sent_at: Option<NaiveDateTime>,
}

/// The feed position stored for `producer`, 0 if none is.
pub async fn position(conn: &mut DbConn, producer: &str) -> QueryResult<i64> {
    let stored: Option<i64> = db_run!(conn, |c| consumer_positions::table
        .find(producer)
        .select(consumer_positions::position)
        .first(c)
        .await
        .optional())?;
    Ok(stored.unwrap_or(0))
}

/// Stores the feed position for `producer`.
pub async fn set_position(conn: &mut DbConn, producer: &str, position: i64, now: NaiveDateTime) -> QueryResult<()> {
    let row = (
        consumer_positions::producer.eq(producer),
        consumer_positions::position.eq(position),
        consumer_positions::updated_at.eq(now),
    );
    db_run!(conn, |c| diesel::insert_into(consumer_positions::table)
        .values(row)
        .on_conflict(consumer_positions::producer)
        .do_update()
        .set((consumer_positions::position.eq(position), consumer_positions::updated_at.eq(now)))
        .reuse_statement()
        .execute(c)
        .await)
    .map(drop)
}

/// Whether the event `event_id` was handled already.
pub async fn was_consumed(conn: &mut DbConn, event_id: &str) -> QueryResult<bool> {
    let found: Option<String> = db_run!(conn, |c| consumed_events::table
        .find(event_id)
        .select(consumed_events::event_id)
        .first(c)
        .await
        .optional())?;
    Ok(found.is_some())
}

/// Records the event `event_id` as handled; false if it was already.
pub async fn mark_consumed(conn: &mut DbConn, event_id: &str, producer: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let row = (
        consumed_events::event_id.eq(event_id),
        consumed_events::producer.eq(producer),
        consumed_events::consumed_at.eq(now),
    );
    let inserted = db_run!(conn, |c| diesel::insert_into(consumed_events::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c)
        .await)?;
    Ok(inserted == 1)
}

/// Records mails to send.
pub async fn insert_notifications(conn: &mut DbConn, rows: &[NotificationRow]) -> QueryResult<()> {
    for row in rows {
        db_run!(conn, |c| diesel::insert_into(notifications::table).values(row).execute(c).await)?;
    }
    Ok(())
}

/// Up to `limit` pending mails due by `now`, oldest first.
pub async fn due(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<NotificationRow>> {
    db_run!(conn, |c| notifications::table
        .filter(notifications::status.eq("pending"))
        .filter(notifications::next_attempt_at.le(now))
        .order(notifications::next_attempt_at.asc())
        .select(NotificationRow::as_select())
        .limit(limit)
        .load(c)
        .await)
}

/// Takes the mails `ids` that are still due (no other sender took them)
/// for one attempt each, until `until`; returns those it took.
pub async fn claim_all(
    conn: &mut DbConn,
    ids: &[&str],
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    db_run!(conn, |c| diesel::update(
        notifications::table
            .filter(notifications::id.eq_any(ids))
            .filter(notifications::status.eq("pending"))
            .filter(notifications::next_attempt_at.le(now))
    )
    .set(notifications::next_attempt_at.eq(until))
    .returning(notifications::id)
    .reuse_statement_if(ids.len() <= SHORT_IN_LIST)
    .get_results(c)
    .await)
}

/// The mails `ids` were sent, each by one more attempt.
pub async fn mark_sent(conn: &mut DbConn, ids: &[&str], now: NaiveDateTime) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(notifications::table.filter(notifications::id.eq_any(ids)))
        .set((
            notifications::status.eq("sent"),
            notifications::attempts.eq(notifications::attempts + 1),
            notifications::sent_at.eq(now),
            notifications::last_error.eq(None::<String>),
        ))
        .reuse_statement_if(ids.len() <= SHORT_IN_LIST)
        .execute(c)
        .await)
    .map(drop)
}

/// Mail `id` failed; it is tried again at `next`.
pub async fn retry_at(conn: &mut DbConn, id: &str, attempts: i32, error: &str, next: NaiveDateTime) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(notifications::table.find(id))
        .set((
            notifications::attempts.eq(attempts),
            notifications::last_error.eq(error),
            notifications::next_attempt_at.eq(next),
        ))
        .reuse_statement()
        .execute(c)
        .await)
    .map(drop)
}

/// Mail `id` failed its last attempt: it goes to the dead letters.
pub async fn dead_letter(
    conn: &mut DbConn,
    id: &str,
    attempts: i32,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(notifications::table.find(id))
        .set((
            notifications::status.eq("dead_lettered"),
            notifications::attempts.eq(attempts),
            notifications::last_error.eq(error),
        ))
        .reuse_statement()
        .execute(c)
        .await)?;
    let row = (
        dead_letters::notification_id.eq(id),
        dead_letters::attempts.eq(attempts),
        dead_letters::last_error.eq(error),
        dead_letters::dead_at.eq(now),
    );
    db_run!(conn, |c| diesel::insert_into(dead_letters::table).values(row).execute(c).await).map(drop)
}

/// A user's mails, newest first, after the cursor `before` (an id).
pub async fn for_user(
    conn: &mut DbConn,
    user_id: &str,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    db_run!(conn, |c| {
        let mut query = notifications::table
            .filter(notifications::user_id.eq(user_id))
            .order(notifications::id.desc())
            .select(NotificationRow::as_select())
            .limit(limit)
            .into_boxed();
        if let Some(before) = before {
            query = query.filter(notifications::id.lt(before));
        }
        query.load(c).await
    })
}

/// A user's shipping-updates choice, if they made one.
pub async fn shipping_updates(conn: &mut DbConn, user_id: &str) -> QueryResult<Option<bool>> {
    db_run!(conn, |c| preferences::table.find(user_id).select(preferences::shipping_updates).first(c).await.optional())
}

/// Stores a user's choices.
pub async fn set_preferences(conn: &mut DbConn, user_id: &str, shipping: bool, now: NaiveDateTime) -> QueryResult<()> {
    let row =
        (preferences::user_id.eq(user_id), preferences::shipping_updates.eq(shipping), preferences::updated_at.eq(now));
    db_run!(conn, |c| diesel::insert_into(preferences::table)
        .values(row)
        .on_conflict(preferences::user_id)
        .do_update()
        .set((preferences::shipping_updates.eq(shipping), preferences::updated_at.eq(now)))
        .reuse_statement()
        .execute(c)
        .await)
    .map(drop)
}
