//! Parsing `DATABASE_URL`.

use std::path::PathBuf;

use super::DbError;

/// A database location, by backend.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            // The URL may carry a password.
            Self::Postgres(_) => f.write_str("postgres://[redacted]"),
        }
    }
}

impl DatabaseUrl {
    /// `sqlite://relative.db`, `sqlite:///absolute.db`, `sqlite:file.db`,
    /// `postgres://…` or `postgresql://…`.
    pub fn parse(url: &str) -> Result<Self, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path =
            url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).ok_or(DbError::UnsupportedUrl)?;
        // One in-memory database per pooled connection would silently lose data.
        if path.is_empty() || path.contains(":memory:") || path.contains("mode=memory") {
            return Err(DbError::UnsupportedUrl);
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/users.db").ok(),
            Some(DatabaseUrl::Sqlite("data/users.db".into()))
        );
        assert_eq!(DatabaseUrl::parse("sqlite:///tmp/u.db").ok(), Some(DatabaseUrl::Sqlite("/tmp/u.db".into())));
        assert_eq!(DatabaseUrl::parse("sqlite:u.db").ok(), Some(DatabaseUrl::Sqlite("u.db".into())));
        assert!(matches!(DatabaseUrl::parse("postgres://root@localhost/shop"), Ok(DatabaseUrl::Postgres(_))));
        assert!(matches!(DatabaseUrl::parse("postgresql://root@localhost/shop"), Ok(DatabaseUrl::Postgres(_))));
    }

    #[test]
    fn memory_databases_and_other_schemes_are_refused() {
        for url in ["sqlite::memory:", "sqlite://", "mysql://x", "users.db"] {
            assert!(DatabaseUrl::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn debug_never_prints_a_postgres_password() {
        let url = DatabaseUrl::parse("postgres://shop:hunter2@db/shop").ok();
        assert!(!format!("{url:?}").contains("hunter2"));
    }
}
