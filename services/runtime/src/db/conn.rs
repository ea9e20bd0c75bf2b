//! One connection type for both backends, and transactions over it.

use std::future::Future;

use diesel::{SqliteConnection, connection::AnsiTransactionManager, result::Error as DieselError};
use diesel_async::{
    AsyncConnection, AsyncPgConnection, TransactionManager, pooled_connection::deadpool::Object,
    sync_connection_wrapper::SyncConnectionWrapper,
};

use super::{
    busy,
    inline::Inline,
    recycle::PgObject,
    spans::SpansGuard,
    writer::{Writer, WriterTurn},
};

/// The async SQLite connection: diesel's sync connection, its statements run
/// where they are awaited (see [`Inline`]).
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection, Inline>;
/// The async PostgreSQL connection.
pub type PgConn = AsyncPgConnection;

/// A SQLite connection handed out: one of the pool's, or the writer's for
/// the length of a transaction (see [`super::writer`]). Derefs to the connection.
pub enum SqliteHandle {
    /// From the pool.
    Pooled(Object<SqliteConn>),
    /// The database's writer connection, for one transaction.
    Writer(WriterTurn),
}

impl std::fmt::Debug for SqliteHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pooled(_) => "SqliteHandle::Pooled",
            Self::Writer(_) => "SqliteHandle::Writer",
        })
    }
}

impl std::ops::Deref for SqliteHandle {
    type Target = SqliteConn;

    fn deref(&self) -> &SqliteConn {
        match self {
            Self::Pooled(conn) => conn,
            Self::Writer(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for SqliteHandle {
    fn deref_mut(&mut self) -> &mut SqliteConn {
        match self {
            Self::Pooled(conn) => conn,
            Self::Writer(conn) => conn,
        }
    }
}

/// A connection checked out of the pool, with the spans its statements are
/// recorded under until it goes back; derefs to the connection.
pub struct Pooled<O> {
    // Declared first so it is dropped first: the spans are let go before the
    // connection is back in the pool for someone else.
    _spans: SpansGuard,
    object: O,
    /// Where this connection's transactions run: SQLite's writer, for a
    /// connection from the pool; none on PostgreSQL, which locks rows, nor
    /// on the writer's own connection.
    writer: Option<Writer>,
}

impl<O> std::fmt::Debug for Pooled<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pooled")
    }
}

impl<O> Pooled<O> {
    pub(crate) fn new(object: O, spans: SpansGuard, writer: Option<Writer>) -> Self {
        Self { _spans: spans, object, writer }
    }
}

impl<O: std::ops::Deref> std::ops::Deref for Pooled<O> {
    type Target = O::Target;

    fn deref(&self) -> &O::Target {
        &self.object
    }
}

impl<O: std::ops::DerefMut> std::ops::DerefMut for Pooled<O> {
    fn deref_mut(&mut self) -> &mut O::Target {
        &mut self.object
    }
}

/// A pooled connection to either backend. Store functions take `&mut DbConn`,
/// so they run the same inside and outside a transaction.
#[expect(
    clippy::large_enum_variant,
    reason = "a connection lives on one stack frame for one request; boxing would allocate per checkout"
)]
pub enum DbConn {
    /// SQLite.
    Sqlite(Pooled<SqliteHandle>),
    /// PostgreSQL.
    Postgres(Pooled<PgObject>),
}

impl std::fmt::Debug for DbConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite(_) => "DbConn::Sqlite",
            Self::Postgres(_) => "DbConn::Postgres",
        })
    }
}

/// Names the future of an async closure so that it can be required to be
/// `Send` (the same device diesel-async uses internally).
pub trait TransactionBody<'r, R>:
    AsyncFnOnce(&'r mut DbConn) -> R + FnOnce(&'r mut DbConn) -> <Self as TransactionBody<'r, R>>::Fut
{
    /// The closure's future.
    type Fut: Future<Output = R>;
}

impl<'r, F, Fut, R> TransactionBody<'r, R> for F
where
    F: AsyncFnOnce(&'r mut DbConn) -> R + FnOnce(&'r mut DbConn) -> Fut,
    Fut: Future<Output = R>,
{
    type Fut = Fut;
}

type SqliteTm = <SqliteConn as AsyncConnection>::TransactionManager;
type PgTm = <PgConn as AsyncConnection>::TransactionManager;

impl DbConn {
    /// Runs `body` in a transaction: committed if it returns `Ok`, rolled back
    /// if it returns `Err` or its future is dropped. Nested calls use savepoints.
    ///
    /// On SQLite the outermost transaction runs on the database's writer
    /// connection, once it is its turn (see [`super::writer`]), and is `BEGIN
    /// IMMEDIATE`: it takes the write lock up front instead of failing with
    /// SQLITE_BUSY when a read would upgrade to a write.
    pub async fn transaction<R, E, F>(&mut self, body: F) -> Result<R, E>
    where
        F: for<'r> AsyncFnOnce(&'r mut DbConn) -> Result<R, E>
            + for<'r> TransactionBody<'r, Result<R, E>, Fut: Send>
            + Send,
        E: From<DieselError> + Send,
        R: Send,
    {
        let Some(writer) = self.writer_for_a_new_transaction()? else {
            return self.run_transaction(body).await;
        };
        let mut turn = writer.take_turn().await?;
        turn.run_transaction(body).await
    }

    /// Runs `body`, a single-statement write outside a transaction, where
    /// writes go: on SQLite on the database's writer connection, once it is
    /// its turn, so that its page cache stays warm and the write does not
    /// race the writer for SQLite's lock (see [`super::writer`]); on
    /// PostgreSQL, and inside a transaction, on this connection.
    pub async fn write<R, E, F>(&mut self, body: F) -> Result<R, E>
    where
        F: for<'r> AsyncFnOnce(&'r mut DbConn) -> Result<R, E>
            + for<'r> TransactionBody<'r, Result<R, E>, Fut: Send>
            + Send,
        E: From<DieselError> + Send,
        R: Send,
    {
        let Some(writer) = self.writer_for_a_new_transaction()? else {
            return body(self).await;
        };
        let mut turn = writer.take_turn().await?;
        body(&mut turn).await
    }

    /// SQLite's writer, when this is a pooled connection outside a transaction.
    fn writer_for_a_new_transaction(&mut self) -> Result<Option<Writer>, DieselError> {
        let Self::Sqlite(c) = self else { return Ok(None) };
        let Some(writer) = c.writer.clone() else { return Ok(None) };
        let depth = SqliteTm::transaction_manager_status_mut(&mut **c).transaction_depth()?;
        Ok(depth.is_none().then_some(writer))
    }

    pub(super) async fn run_transaction<R, E, F>(&mut self, body: F) -> Result<R, E>
    where
        F: for<'r> AsyncFnOnce(&'r mut DbConn) -> Result<R, E>
            + for<'r> TransactionBody<'r, Result<R, E>, Fut: Send>
            + Send,
        E: From<DieselError> + Send,
        R: Send,
    {
        self.begin().await?;
        match body(&mut *self).await {
            Ok(value) => {
                self.commit().await?;
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback) = self.rollback().await {
                    tracing::warn!(error = %rollback, "rollback failed; the connection will be discarded");
                }
                Err(error)
            }
        }
    }

    /// Begins a transaction, or a savepoint inside one.
    async fn begin(&mut self) -> Result<(), DieselError> {
        match self {
            Self::Sqlite(c) => {
                let c: &mut SqliteConn = c;
                let depth = SqliteTm::transaction_manager_status_mut(c).transaction_depth()?;
                if depth.is_some() {
                    return SqliteTm::begin_transaction(c).await;
                }
                let mut backoff = busy::Backoff::default();
                loop {
                    let begun = c
                        .spawn_blocking(|inner| AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE"))
                        .await;
                    match backoff.pause_after(&begun) {
                        Some(pause) => busy::pause(pause).await,
                        None => return begun,
                    }
                }
            }
            Self::Postgres(c) => PgTm::begin_transaction(&mut **c).await,
        }
    }

    async fn commit(&mut self) -> Result<(), DieselError> {
        match self {
            Self::Sqlite(c) => {
                // A commit refused with SQLITE_BUSY leaves the transaction open: try again.
                let mut backoff = busy::Backoff::default();
                loop {
                    let committed = SqliteTm::commit_transaction(&mut **c).await;
                    match backoff.pause_after(&committed) {
                        Some(pause) => busy::pause(pause).await,
                        None => return committed,
                    }
                }
            }
            Self::Postgres(c) => PgTm::commit_transaction(&mut **c).await,
        }
    }

    async fn rollback(&mut self) -> Result<(), DieselError> {
        match self {
            Self::Sqlite(c) => SqliteTm::rollback_transaction(&mut **c).await,
            Self::Postgres(c) => PgTm::rollback_transaction(&mut **c).await,
        }
    }
}
