//! Faults a test can put into a running mesh: a stopped service, a database
//! write lock held, a database that stops answering.

use diesel_async::SimpleAsyncConnection;
use shop_runtime::db::{Db, DbConn};

use crate::{database::Backend, mesh::TestMesh};

impl TestMesh {
    /// Takes the products database's write lock and holds it until
    /// [`WriteLock::release`]: every stock change waits on it, as behind a
    /// long transaction. Reads go on.
    pub async fn lock_products_for_writes(&self) -> WriteLock {
        WriteLock::take(&self.products_state.db, "products").await
    }

    /// Takes the payments database's write lock, as
    /// [`TestMesh::lock_products_for_writes`] does the products one.
    pub async fn lock_payments_for_writes(&self) -> WriteLock {
        WriteLock::take(&self.payments_state().await.db, "payments").await
    }

    /// Stops the users service (a downstream failure, as the edge sees it).
    pub async fn stop_users(&self) {
        self.users_service.stop().await;
    }

    /// Cuts the products service off from its database until
    /// [`Outage::restore`]. On PostgreSQL the database refuses connections
    /// and its sessions are terminated; a SQLite file cannot be unplugged, so
    /// there every pooled connection is taken and held, and the service
    /// cannot get one.
    pub async fn cut_products_database(&self) -> Outage<'_> {
        match self.backend() {
            Backend::Postgres => {
                self.databases.set_connectable("products", false).await;
                Outage::Refused(self)
            }
            Backend::Sqlite => {
                let db = &self.products_state.db;
                let mut held = Vec::new();
                for _ in 0..db.status().max_size {
                    held.push(db.conn().await.expect("a products connection"));
                }
                Outage::PoolHeld(held)
            }
        }
    }
}

/// A write lock on a service's database, held by the test.
#[derive(Debug)]
pub struct WriteLock(DbConn);

impl WriteLock {
    async fn take(db: &Db, table: &str) -> WriteLock {
        let mut conn = db.conn().await.expect("a connection");
        let lock = match &conn {
            DbConn::Sqlite(_) => "BEGIN IMMEDIATE".to_owned(),
            DbConn::Postgres(_) => format!("BEGIN; LOCK TABLE {table} IN EXCLUSIVE MODE"),
        };
        batch_execute(&mut conn, &lock).await;
        WriteLock(conn)
    }

    /// Rolls back the locking transaction.
    pub async fn release(mut self) {
        batch_execute(&mut self.0, "ROLLBACK").await;
    }
}

/// A database outage, in force until restored.
#[derive(Debug)]
pub enum Outage<'a> {
    /// The PostgreSQL database refuses connections.
    Refused(&'a TestMesh),
    /// Every pooled SQLite connection is held by the test.
    PoolHeld(Vec<DbConn>),
}

impl Outage<'_> {
    /// Lets the service reach its database again.
    pub async fn restore(self) {
        match self {
            Outage::Refused(mesh) => mesh.databases.set_connectable("products", true).await,
            Outage::PoolHeld(held) => drop(held),
        }
    }
}

async fn batch_execute(conn: &mut DbConn, sql: &str) {
    match conn {
        DbConn::Sqlite(conn) => conn.batch_execute(sql).await,
        DbConn::Postgres(conn) => conn.batch_execute(sql).await,
    }
    .expect(sql);
}
