//! The outbox's queries, written once for both backends.

use chrono::NaiveDateTime;
use diesel::{dsl::max, prelude::*, result::QueryResult};
use diesel_async::RunQueryDsl;
use prost::Message;
use shop_proto::events::v1::Event;

use super::schema::outbox;
use crate::{
    db::{DbConn, ReuseStatement, SHORT_IN_LIST},
    db_run, time,
};

/// An arbitrary constant naming the relay's advisory lock on PostgreSQL.
const RELAY_LOCK_ID: i64 = 0x5348_4f51; // "SHOQ": one past the migrations' lock

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewEvent<'a> {
    id: &'a str,
    aggregate_id: &'a str,
    payload: Vec<u8>,
    occurred_at: NaiveDateTime,
}

/// Writes `event` to the outbox. Call it inside the transaction that makes
/// the change the event describes.
pub async fn append(conn: &mut DbConn, event: &Event) -> QueryResult<()> {
    let occurred_at = event.occurred_at.as_ref().and_then(time::from_proto).map_or_else(time::now, |at| at.naive_utc());
    let row =
        NewEvent { id: &event.id, aggregate_id: &event.aggregate_id, payload: event.encode_to_vec(), occurred_at };
    db_run!(conn, |c| diesel::insert_into(outbox::table).values(&row).execute(c).await).map(drop)
}

/// Makes concurrent relays (other replicas') take turns, until the
/// transaction ends: positions are then given, and committed, in order.
/// SQLite's writers take turns already.
pub(super) async fn take_relay_turn(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(_) => Ok(()),
        DbConn::Postgres(pooled) => {
            let lock = format!("SELECT pg_advisory_xact_lock({RELAY_LOCK_ID})");
            diesel::sql_query(lock).execute(&mut **pooled).await.map(drop)
        }
    }
}

/// The last position given, 0 when none has been.
pub(super) async fn last_position(conn: &mut DbConn) -> QueryResult<i64> {
    let last: Option<i64> = db_run!(conn, |c| outbox::table.select(max(outbox::position)).first(c).await)?;
    Ok(last.unwrap_or(0))
}

/// Of the events `seqs`, those still without a position, oldest first.
pub(super) async fn still_unplaced(conn: &mut DbConn, seqs: &[i64]) -> QueryResult<Vec<i64>> {
    db_run!(conn, |c| outbox::table
        .filter(outbox::seq.eq_any(seqs))
        .filter(outbox::position.is_null())
        .order(outbox::seq.asc())
        .select(outbox::seq)
        .reuse_statement_if(seqs.len() <= SHORT_IN_LIST)
        .load(c)
        .await)
}

/// How many committed events have no position.
pub(super) async fn unpublished_count(conn: &mut DbConn) -> QueryResult<i64> {
    db_run!(conn, |c| outbox::table.filter(outbox::position.is_null()).count().get_result(c).await)
}

/// The committed events without a position, oldest first: (seq, encoded event).
pub(super) async fn unpublished_events(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    db_run!(conn, |c| outbox::table
        .filter(outbox::position.is_null())
        .order(outbox::seq.asc())
        .select((outbox::seq, outbox::payload))
        .limit(limit)
        .load(c)
        .await)
}

/// Gives event `seq` its place in the feed.
pub(super) async fn publish(conn: &mut DbConn, seq: i64, position: i64, now: NaiveDateTime) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(outbox::table.find(seq))
        .set((outbox::position.eq(position), outbox::published_at.eq(now)))
        .reuse_statement()
        .execute(c)
        .await)
    .map(drop)
}

/// Published events after `after`, in feed order: (position, encoded event).
pub(super) async fn published_after(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    let rows: Vec<(Option<i64>, Vec<u8>)> = db_run!(conn, |c| outbox::table
        .filter(outbox::position.gt(after))
        .order(outbox::position.asc())
        .select((outbox::position, outbox::payload))
        .limit(limit)
        .load(c)
        .await)?;
    Ok(rows.into_iter().filter_map(|(position, payload)| Some((position?, payload))).collect())
}

/// Forgets events published before `before`, but for the last one
/// published: its position is where the next one's counts from.
pub(super) async fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    let last = last_position(conn).await?;
    db_run!(conn, |c| diesel::delete(
        outbox::table.filter(outbox::published_at.lt(before)).filter(outbox::position.lt(last))
    )
    .execute(c)
    .await)
}
