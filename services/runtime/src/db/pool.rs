//! The connection pool, by backend.

use diesel::ConnectionError;
use diesel_async::{
    AsyncConnection, SimpleAsyncConnection,
    pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod, deadpool::Pool},
};
use futures::FutureExt;

use tracing::Span;

use super::{
    BUSY_LIMIT, DatabaseUrl, DbConn, DbError, Pooled, SqliteConn, checkpoint,
    conn::SqliteHandle,
    recycle::{PgManager, PgPool},
    spans::QuerySpans,
    writer::Writer,
};
use crate::config::DatabaseConfig;

/// Which database engine a pool talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (the embedded default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A cheap-to-clone connection pool.
#[derive(Clone)]
pub enum Db {
    /// SQLite: the pool, and the writer connection transactions run on.
    Sqlite(Pool<SqliteConn>, Writer),
    /// PostgreSQL.
    Postgres(PgPool),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend()).finish_non_exhaustive()
    }
}

impl Db {
    /// Builds the pool for the configured URL. Connections open lazily; call
    /// [`Db::migrate`] or [`Db::ping`] to find out now whether it works.
    pub async fn connect(config: &DatabaseConfig) -> Result<Self, DbError> {
        match DatabaseUrl::parse(config.connection_url()?.expose())? {
            DatabaseUrl::Sqlite(_) if config.kubernetes_service_host.is_some() => Err(DbError::SqliteInKubernetes),
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    tokio::fs::create_dir_all(dir).await?;
                }
                let mut setup = ManagerConfig::<SqliteConn>::default();
                setup.custom_setup = Box::new(|path| open_sqlite(path.to_owned()).boxed());
                // Not a `SELECT 1` per checkout: see `recycle`.
                setup.recycling_method = RecyclingMethod::Fast;
                let path = path.to_string_lossy();
                let writer = Writer::new(&path);
                checkpoint::spawn(path.to_string(), writer.alive());
                let manager = AsyncDieselConnectionManager::new_with_config(path, setup);
                pool(manager, config).map(|pool| Db::Sqlite(pool, writer))
            }
            DatabaseUrl::Postgres(url) => pool(PgManager::new(url), config).map(Db::Postgres),
        }
    }

    /// The pool's backend.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// A connection from the pool. Its statements and transactions are traced
    /// as children of the span current now.
    pub async fn conn(&self) -> Result<DbConn, DbError> {
        let (spans, guard) = QuerySpans::under(Span::current(), self.backend()).attach();
        let unavailable = |e: deadpool::managed::PoolError<_>| DbError::Unavailable(e.to_string());
        Ok(match self {
            Db::Sqlite(pool, writer) => {
                let mut conn = pool.get().await.map_err(unavailable)?;
                conn.set_instrumentation(spans);
                DbConn::Sqlite(Pooled::new(SqliteHandle::Pooled(conn), guard, Some(writer.clone())))
            }
            Db::Postgres(pool) => {
                let mut conn = pool.get().await.map_err(unavailable)?;
                conn.set_instrumentation(spans);
                DbConn::Postgres(Pooled::new(conn, guard, None))
            }
        })
    }

    /// Round-trips a trivial statement, for health checks.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        crate::db_run!(&mut conn, |c| c.batch_execute("SELECT 1").await)?;
        Ok(())
    }

    /// The pool's size, idle connections and waiters, for metrics.
    pub fn status(&self) -> deadpool::Status {
        match self {
            Db::Sqlite(pool, _) => pool.status(),
            Db::Postgres(pool) => pool.status(),
        }
    }
}

fn pool<M: deadpool::managed::Manager>(
    manager: M,
    config: &DatabaseConfig,
) -> Result<deadpool::managed::Pool<M>, DbError> {
    let timeout = Some(config.timeout());
    deadpool::managed::Pool::builder(manager)
        .max_size(config.pool_size)
        .wait_timeout(timeout)
        .create_timeout(timeout)
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))
}

pub(super) async fn open_sqlite(path: String) -> Result<SqliteConn, ConnectionError> {
    let mut conn = SqliteConn::establish(&path).await?;
    // A busy timeout while switching to WAL, which takes a lock: without it
    // a connection opened while another one writes would fail at once. Then
    // none: statements run on the async threads (see `Inline`), where waiting
    // on a lock would stall other work; `db_run!` waits it out instead.
    // Checkpoints are a task's of their own (see `checkpoint`).
    let pragmas = format!(
        "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA wal_autocheckpoint = {}; PRAGMA busy_timeout = 0;",
        BUSY_LIMIT.as_millis(),
        checkpoint::AUTOCHECKPOINT_PAGES,
    );
    conn.batch_execute(&pragmas).await.map_err(ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_is_refused_in_a_kubernetes_pod() {
        let in_pod = |url: &str| DatabaseConfig {
            kubernetes_service_host: Some("10.96.0.1".into()),
            ..DatabaseConfig::new(url)
        };
        let refused = Db::connect(&in_pod("sqlite://users.db")).await.unwrap_err();
        assert!(refused.to_string().contains("PostgreSQL"), "{refused}");
        assert!(Db::connect(&in_pod("postgres://shop@postgres/users")).await.is_ok());
    }
}
