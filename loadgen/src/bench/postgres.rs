//! The bench's own PostgreSQL databases: fresh for each run, so that one run's
//! data never skews the next, and dropped when it ends.

use anyhow::Context as _;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

/// The services' databases on one server, all named with one run's prefix.
pub(super) struct BenchDatabases {
    /// The server's URL, as the launcher takes it.
    pub server: String,
    /// `bench_<run>_`: the launcher creates `<prefix><service>`.
    pub prefix: String,
}

const SERVICES: [&str; 6] = ["users", "products", "cart", "orders", "payments", "notifications"];

impl BenchDatabases {
    pub(super) fn new(server: &str) -> Self {
        let run = uuid::Uuid::now_v7().simple().to_string();
        Self { server: server.to_owned(), prefix: format!("bench_{}_", &run[run.len() - 12..]) }
    }

    /// Drops every database the launcher made for this run.
    pub(super) async fn drop_all(self) -> anyhow::Result<()> {
        let mut server = AsyncPgConnection::establish(&self.server)
            .await
            .context("connecting to PostgreSQL to drop the bench's databases")?;
        for service in SERVICES {
            let name = format!("{}{service}", self.prefix);
            server.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
        }
        Ok(())
    }
}
