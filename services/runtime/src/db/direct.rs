//! Transactions and writes started from the pool itself, for callers that
//! need no connection of their own: on SQLite they go straight to the
//! writer, without checking a pooled connection out only to reach it.

use diesel::{QueryResult, result::Error as DieselError};

use super::{Db, DbConn, DbError, conn::TransactionBody};

impl Db {
    /// Runs `body` in a transaction, as [`DbConn::transaction`] does: on
    /// SQLite on the writer connection once it is its turn, on PostgreSQL on
    /// a connection from the pool.
    pub async fn transaction<R, E, F>(&self, body: F) -> Result<R, E>
    where
        F: for<'r> AsyncFnOnce(&'r mut DbConn) -> Result<R, E>
            + for<'r> TransactionBody<'r, Result<R, E>, Fut: Send>
            + Send,
        E: From<DieselError> + From<DbError> + Send,
        R: Send,
    {
        match self {
            Db::Sqlite(_, writer) => writer.take_turn().await?.run_transaction(body).await,
            Db::Postgres(_) => self.conn().await?.transaction(body).await,
        }
    }

    /// Runs `body`, a single-statement write, as [`DbConn::write`] does
    /// outside a transaction: on SQLite on the writer connection once it is
    /// its turn, on PostgreSQL on a connection from the pool.
    pub async fn write<R, F>(&self, body: F) -> Result<R, DbError>
    where
        F: for<'r> AsyncFnOnce(&'r mut DbConn) -> QueryResult<R>
            + for<'r> TransactionBody<'r, QueryResult<R>, Fut: Send>
            + Send,
        R: Send,
    {
        let mut conn = match self {
            Db::Sqlite(_, writer) => writer.take_turn().await?,
            Db::Postgres(_) => self.conn().await?,
        };
        Ok(body(&mut conn).await?)
    }
}
