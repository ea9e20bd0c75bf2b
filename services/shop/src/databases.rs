//! Where `shop up` keeps each service's database: a SQLite file in the data
//! dir (the default), or a database of its own on a PostgreSQL server,
//! created when it is missing.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use diesel::{QueryableByName, sql_types::Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use shop_runtime::Secret;

/// The services' databases, by backend.
#[derive(Debug)]
pub enum Databases {
    /// `<data dir>/<service>.db`.
    Sqlite(PathBuf),
    /// `<prefix><service>` on the server `url` reaches.
    Postgres {
        /// A URL naming any database on the server the user may connect to.
        url: url::Url,
        /// What every database's name starts with.
        prefix: String,
    },
}

impl Databases {
    /// SQLite files in `data_dir`, or databases on the PostgreSQL server at
    /// `postgres` named `<prefix><service>`.
    pub fn new(data_dir: &Path, postgres: Option<&Secret>, prefix: &str) -> anyhow::Result<Self> {
        let Some(server) = postgres else { return Ok(Self::Sqlite(data_dir.to_owned())) };
        // The URL is a secret: the error names the setting, not its value.
        let url = url::Url::parse(server.expose()).ok().filter(|u| matches!(u.scheme(), "postgres" | "postgresql"));
        let Some(url) = url else { bail!("SHOP_POSTGRES_URL is not a postgres:// URL") };
        let plain_name = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
        if prefix.is_empty() || !prefix.chars().all(plain_name) || prefix.starts_with(|c: char| c.is_ascii_digit()) {
            bail!(
                "SHOP_POSTGRES_DATABASE_PREFIX must be lower-case letters, digits and '_', not starting with a digit"
            );
        }
        Ok(Self::Postgres { url, prefix: prefix.to_owned() })
    }

    /// Creates each service's PostgreSQL database that does not exist yet
    /// (SQLite files are created when first opened).
    pub async fn prepare(&self, services: &[&str]) -> anyhow::Result<()> {
        let Self::Postgres { url, prefix } = self else { return Ok(()) };
        let mut server =
            AsyncPgConnection::establish(url.as_str()).await.context("connecting to the PostgreSQL server")?;
        let existing: Vec<Named> = diesel::sql_query("SELECT datname FROM pg_database").load(&mut server).await?;
        for service in services {
            let name = format!("{prefix}{service}");
            if !existing.iter().any(|db| db.datname == name) {
                // The name is checked in `new`: plain letters, digits and '_'.
                server
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .with_context(|| format!("creating {name}"))?;
            }
        }
        Ok(())
    }

    /// The `DATABASE_URL` `service` gets.
    pub fn url(&self, service: &str) -> String {
        match self {
            Self::Sqlite(dir) => format!("sqlite://{}", dir.join(format!("{service}.db")).display()),
            Self::Postgres { url, prefix } => {
                let mut url = url.clone();
                url.set_path(&format!("/{prefix}{service}"));
                url.to_string()
            }
        }
    }
}

impl std::fmt::Display for Databases {
    /// Where the data is, without the server's credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(dir) => write!(f, "SQLite data in {}", dir.display()),
            Self::Postgres { url, prefix } => {
                let (host, port) = (url.host_str().unwrap_or("localhost"), url.port().unwrap_or(5432));
                write!(f, "PostgreSQL databases {prefix}* on {host}:{port}")
            }
        }
    }
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    datname: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_service_gets_its_own_database_on_the_server() {
        let server = Secret::from("postgres://shop:pw@db:5432/postgres?sslmode=disable".to_owned());
        let databases = Databases::new(Path::new("/data"), Some(&server), "bench_").unwrap();
        assert_eq!(databases.url("orders"), "postgres://shop:pw@db:5432/bench_orders?sslmode=disable");
        let sqlite = Databases::new(Path::new("/data"), None, "shop_").unwrap();
        assert_eq!(sqlite.url("orders"), "sqlite:///data/orders.db");
    }

    #[test]
    fn a_bad_server_url_or_prefix_is_refused_naming_the_setting() {
        let server = Secret::from("postgres://db/postgres".to_owned());
        for prefix in ["", "Shop", "shop-", "1shop", "shop;drop"] {
            let refused = Databases::new(Path::new("/d"), Some(&server), prefix).unwrap_err();
            assert!(refused.to_string().contains("SHOP_POSTGRES_DATABASE_PREFIX"), "{prefix}: {refused}");
        }
        let mysql = Secret::from("mysql://secret@db/x".to_owned());
        let refused = Databases::new(Path::new("/d"), Some(&mysql), "shop_").unwrap_err().to_string();
        assert!(refused.contains("SHOP_POSTGRES_URL") && !refused.contains("secret"), "{refused}");
    }
}
