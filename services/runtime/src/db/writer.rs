//! SQLite's writer: one connection per database that every transaction
//! runs on, in turn.
//!
//! SQLite takes one writer at a time, so writers here wait their turn on an
//! async lock (cheap) instead of on SQLite's (a thread held, or SQLITE_BUSY).
//! The turn comes with a connection of its own, always the same one, for a
//! second reason: a connection's page cache is emptied whenever another
//! connection has committed since it last looked. Transactions spread over
//! the pool found every page cold, each one read back from the OS (in the
//! orders service under checkout load, 13% of its CPU fetched pages). The
//! writer's cache stays warm as long as no one else writes, so the hot
//! single-statement writes outside a transaction go through it too
//! ([`DbConn::write`]); the pool's connections serve reads, and the rare
//! writes that do not.

use std::sync::Arc;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, TransactionManager};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
use tracing::Span;

use super::{Backend, DbConn, Pooled, SqliteConn, pool::open_sqlite, spans::QuerySpans};

type SqliteTm = <SqliteConn as AsyncConnection>::TransactionManager;

/// The writer connection of one SQLite database. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    path: Arc<str>,
    connection: Arc<Mutex<Option<SqliteConn>>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("path", &self.path).finish_non_exhaustive()
    }
}

/// The writer's connection, this transaction's until dropped.
pub type WriterTurn = OwnedMappedMutexGuard<Option<SqliteConn>, SqliteConn>;

impl Writer {
    /// The writer of the database at `path`; it connects on first use.
    pub(crate) fn new(path: &str) -> Self {
        Self { path: path.into(), connection: Arc::default() }
    }

    /// A handle that can no longer be upgraded once every clone of this
    /// writer is gone (for the tasks that live as long as the database).
    pub(crate) fn alive(&self) -> std::sync::Weak<Mutex<Option<SqliteConn>>> {
        Arc::downgrade(&self.connection)
    }

    /// Waits for the writer's turn, then hands out its connection, with
    /// statements traced under the span current now. It comes outside any
    /// transaction: one left open by a transaction whose future was dropped
    /// is closed (which rolls it back) and a fresh connection opened.
    pub(crate) async fn take_turn(&self) -> Result<DbConn, DieselError> {
        let mut slot = self.connection.clone().lock_owned().await;
        if slot.as_mut().is_some_and(|conn| !is_idle(conn)) {
            *slot = None;
        }
        if slot.is_none() {
            let opened = open_sqlite(self.path.to_string()).await.map_err(|error| {
                DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, Box::new(error.to_string()))
            })?;
            *slot = Some(opened);
        }
        let mut turn: WriterTurn = OwnedMutexGuard::try_map(slot, Option::as_mut).map_err(|_| {
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, Box::new("no writer connection".to_owned()))
        })?;
        let (spans, guard) = QuerySpans::under(Span::current(), Backend::Sqlite).attach();
        turn.set_instrumentation(spans);
        Ok(DbConn::Sqlite(Pooled::new(super::conn::SqliteHandle::Writer(turn), guard, None)))
    }
}

/// Whether the connection is outside any transaction, and usable.
fn is_idle(conn: &mut SqliteConn) -> bool {
    matches!(SqliteTm::transaction_manager_status_mut(conn).transaction_depth(), Ok(None))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use diesel::{prelude::*, sql_types::BigInt};
    use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

    use crate::{
        config::DatabaseConfig,
        db::{Db, DbConn},
        db_run,
    };

    async fn database(dir: &tempfile::TempDir) -> Db {
        let url = format!("sqlite://{}", dir.path().join("writer.db").display());
        let db = Db::connect(&DatabaseConfig::new(url)).await.unwrap();
        let mut conn = db.conn().await.unwrap();
        db_run!(&mut conn, |c| c.batch_execute("CREATE TABLE notes (body TEXT NOT NULL)").await).unwrap();
        db
    }

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    async fn count(conn: &mut DbConn, sql: &str) -> Result<i64, diesel::result::Error> {
        db_run!(conn, |c| diesel::sql_query(sql).get_result::<Count>(c).await).map(|count| count.n)
    }

    #[tokio::test]
    async fn transactions_from_any_pooled_connection_run_on_one_connection() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir).await;
        // Both checked out at once, so they are two different pooled connections.
        let (mut first, mut second) = (db.conn().await.unwrap(), db.conn().await.unwrap());
        first
            .transaction(async |tx| db_run!(tx, |c| c.batch_execute("CREATE TEMP TABLE seen (x INTEGER)").await))
            .await
            .unwrap();
        // A TEMP table exists only on the connection that made it.
        let seen = second.transaction(async |tx| count(tx, "SELECT count(*) AS n FROM temp.seen").await).await;
        assert_eq!(seen.unwrap(), 0);
        assert!(count(&mut second, "SELECT count(*) AS n FROM temp.seen").await.is_err(), "reads use the pool");

        // A single write outside a transaction goes to the writer too...
        second
            .write(async |w| db_run!(w, |c| c.batch_execute("INSERT INTO temp.seen VALUES (1)").await))
            .await
            .unwrap();
        // ...and one inside a transaction stays on the transaction's connection.
        let inside = first
            .transaction(async |tx| {
                tx.write(async |w| db_run!(w, |c| c.batch_execute("INSERT INTO temp.seen VALUES (2)").await)).await?;
                count(tx, "SELECT count(*) AS n FROM temp.seen").await
            })
            .await;
        assert_eq!(inside.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_transaction_dropped_half_way_is_rolled_back_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(&dir).await;
        let mut conn = db.conn().await.unwrap();
        let abandoned = conn.transaction(async |tx| {
            db_run!(tx, |c| c.batch_execute("INSERT INTO notes VALUES ('half')").await)?;
            std::future::pending::<()>().await;
            Ok::<_, diesel::result::Error>(())
        });
        assert!(tokio::time::timeout(Duration::from_millis(50), abandoned).await.is_err());

        conn.transaction(async |tx| db_run!(tx, |c| c.batch_execute("INSERT INTO notes VALUES ('whole')").await))
            .await
            .unwrap();
        let mut reader = db.conn().await.unwrap();
        assert_eq!(count(&mut reader, "SELECT count(*) AS n FROM notes WHERE body = 'half'").await.unwrap(), 0);
        assert_eq!(count(&mut reader, "SELECT count(*) AS n FROM notes WHERE body = 'whole'").await.unwrap(), 1);
    }
}
