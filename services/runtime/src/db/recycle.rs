//! What a pooled connection is checked for before it is handed out again.
//!
//! diesel-async's manager verifies every connection on every checkout with
//! a `SELECT 1`: on PostgreSQL a round trip to the server per checkout, on
//! SQLite a statement, before any of the caller's own. Here a SQLite
//! connection (a file handle, with nothing at the other end to go away) is
//! only checked for a transaction left open, and a PostgreSQL one is also
//! checked for a closed socket, which its client notices by itself (a server
//! restart, a terminated backend); only one idle for longer than
//! [`VERIFY_IDLE_AFTER`] is pinged, for the connection dropped silently on
//! the way (a firewall's idle timeout). This is HikariCP's choice, with a
//! longer window than its 500 ms.

use std::time::Duration;

use deadpool::managed::{Manager, Metrics, RecycleResult};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolError, PoolableConnection, RecyclingMethod,
};

use super::PgConn;

/// A PostgreSQL connection unused for longer than this is pinged before it
/// is handed out.
pub const VERIFY_IDLE_AFTER: Duration = Duration::from_secs(5);

/// The PostgreSQL pool's manager: diesel-async's, verifying only
/// connections idle for longer than [`VERIFY_IDLE_AFTER`].
pub struct PgManager {
    inner: AsyncDieselConnectionManager<PgConn>,
}

impl std::fmt::Debug for PgManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgManager").field("verify_idle_after", &VERIFY_IDLE_AFTER).finish_non_exhaustive()
    }
}

impl PgManager {
    /// Connections to `url`.
    pub fn new(url: impl Into<String>) -> Self {
        let mut config = ManagerConfig::default();
        // The inner manager's own check: a transaction left open, a closed socket.
        config.recycling_method = RecyclingMethod::Fast;
        Self { inner: AsyncDieselConnectionManager::new_with_config(url, config) }
    }
}

impl Manager for PgManager {
    type Type = PgConn;
    type Error = PoolError;

    async fn create(&self) -> Result<PgConn, PoolError> {
        self.inner.create().await
    }

    async fn recycle(&self, conn: &mut PgConn, metrics: &Metrics) -> RecycleResult<PoolError> {
        self.inner.recycle(conn, metrics).await?;
        if metrics.last_used() > VERIFY_IDLE_AFTER {
            conn.ping(&RecyclingMethod::Verified).await.map_err(PoolError::QueryError)?;
        }
        Ok(())
    }
}

/// The PostgreSQL pool.
pub type PgPool = deadpool::managed::Pool<PgManager>;

/// A connection from the PostgreSQL pool.
pub type PgObject = deadpool::managed::Object<PgManager>;
