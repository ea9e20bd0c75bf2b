//! Embedded migrations, one directory per backend, run at start-up.

use deadpool::managed::Object;
use diesel_async::{AsyncMigrationHarness, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

use super::{Db, DbError};

/// A service's migrations for each backend: functions returning
/// `embed_migrations!("migrations/sqlite")` and `embed_migrations!("migrations/postgres")`
/// (the embedded set is a value, not `Copy`, so it is produced on demand).
pub struct Migrations {
    /// For SQLite.
    pub sqlite: fn() -> EmbeddedMigrations,
    /// For PostgreSQL.
    pub postgres: fn() -> EmbeddedMigrations,
}

impl std::fmt::Debug for Migrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Migrations")
    }
}

/// An arbitrary constant naming the migration advisory lock on PostgreSQL.
const MIGRATION_LOCK_ID: i64 = 0x5348_4f50; // "SHOP"

impl Db {
    /// Applies the pending migrations of this backend.
    ///
    /// On PostgreSQL an advisory lock serialises replicas that start at the
    /// same time; on SQLite the write lock does the same. Uses
    /// `block_in_place`, so it needs the multi-thread runtime.
    pub async fn migrate(&self, migrations: &Migrations) -> Result<(), DbError> {
        let failed = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
        match self {
            Db::Sqlite(pool, _) => {
                let mut conn = Object::take(pool.get().await.map_err(|e| DbError::Unavailable(e.to_string()))?);
                // This connection is not going back to the pool: it may wait on the lock.
                let wait = format!("PRAGMA busy_timeout = {}", super::BUSY_LIMIT.as_millis());
                diesel_async::SimpleAsyncConnection::batch_execute(&mut conn, &wait).await?;
                let mut harness = AsyncMigrationHarness::new(conn);
                let applied = harness.run_pending_migrations((migrations.sqlite)()).map_err(failed)?.len();
                tracing::info!(applied, backend = "sqlite", "migrations up to date");
            }
            Db::Postgres(pool) => {
                let mut conn = Object::take(pool.get().await.map_err(|e| DbError::Unavailable(e.to_string()))?);
                diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_ID})")).execute(&mut conn).await?;
                let mut harness = AsyncMigrationHarness::new(conn);
                let result = harness.run_pending_migrations((migrations.postgres)()).map(|v| v.len()).map_err(failed);
                let mut conn = harness.into_inner();
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})")).execute(&mut conn).await?;
                tracing::info!(applied = result?, backend = "postgres", "migrations up to date");
            }
        }
        Ok(())
    }
}
