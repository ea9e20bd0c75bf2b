//! A fresh database per test: a SQLite file in a temporary directory, or a
//! new PostgreSQL database dropped when the test ends.

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

/// Which backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database (needs `SHOP_TEST_POSTGRES_URL`).
    Postgres,
}

/// One test's databases; removed on drop.
#[derive(Debug)]
pub struct TestDatabases {
    backend: Backend,
    dir: tempfile::TempDir,
    postgres: Option<PostgresServer>,
    created: Vec<String>,
}

#[derive(Debug)]
struct PostgresServer {
    admin_url: String,
}

impl TestDatabases {
    /// Room for fresh databases on `backend`.
    pub fn new(backend: Backend) -> Self {
        let postgres = (backend == Backend::Postgres).then(|| PostgresServer {
            admin_url: std::env::var("SHOP_TEST_POSTGRES_URL")
                .expect("SHOP_TEST_POSTGRES_URL is set for PostgreSQL tests"),
        });
        Self { backend, dir: tempfile::tempdir().expect("temporary directory"), postgres, created: Vec::new() }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The temporary directory of this test.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The URL of a new, empty database for `service`.
    pub async fn create(&mut self, service: &str) -> String {
        match &self.postgres {
            None => format!("sqlite://{}", self.dir.path().join(format!("{service}.db")).display()),
            Some(server) => {
                let name = format!("shoptest_{service}_{}", uuid::Uuid::now_v7().simple());
                let mut admin = AsyncPgConnection::establish(&server.admin_url)
                    .await
                    .expect("connect to the PostgreSQL test server");
                admin.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create a test database");
                self.created.push(name.clone());
                with_database(&server.admin_url, &name)
            }
        }
    }
}

impl TestDatabases {
    /// Lets `service`'s PostgreSQL database take connections, or refuses them
    /// and terminates the sessions it has (an outage, as its service sees it).
    pub async fn set_connectable(&self, service: &str, allowed: bool) {
        let server = self.postgres.as_ref().expect("only a PostgreSQL database can refuse connections");
        let prefix = format!("shoptest_{service}_");
        let name = self.created.iter().find(|name| name.starts_with(&prefix)).expect("the service's database");
        let mut admin = AsyncPgConnection::establish(&server.admin_url).await.expect("connect to PostgreSQL");
        admin.batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {allowed}")).await.expect("alter");
        if !allowed {
            let terminate = format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
            admin.batch_execute(&terminate).await.expect("terminate the sessions");
        }
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestDatabases {
    fn drop(&mut self) {
        let (Some(server), false) = (&self.postgres, self.created.is_empty()) else {
            return;
        };
        let admin_url = server.admin_url.clone();
        let names = std::mem::take(&mut self.created);
        // Drop runs inside the test's runtime; use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = AsyncPgConnection::establish(&admin_url).await.ok()?;
                for name in names {
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()?;
                }
                Some(())
            })
        });
        let _ = dropped.join();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(super::with_database("postgres://u@h:5432/postgres", "t1"), "postgres://u@h:5432/t1");
        assert_eq!(
            super::with_database("postgres://u@h/postgres?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
    }
}
