//! The database layer's error.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What can go wrong below the store functions.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// `DATABASE_URL` has a scheme we do not serve.
    #[error("DATABASE_URL must start with sqlite:// (a file, not :memory:) or postgres://")]
    UnsupportedUrl,
    /// A SQLite `DATABASE_URL` inside a Kubernetes pod.
    #[error(
        "DATABASE_URL is SQLite, but this is a Kubernetes pod: every replica would write a database of its own, \
         lost with the pod; use PostgreSQL (postgres://...)"
    )]
    SqliteInKubernetes,
    /// `DATABASE_PASSWORD_FILE` cannot be used.
    #[error(transparent)]
    PasswordFile(#[from] crate::config::PasswordFileError),
    /// Building the pool failed.
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
    /// No connection could be had in time.
    #[error("no database connection available: {0}")]
    Unavailable(String),
    /// Opening a connection failed.
    #[error("cannot connect to the database")]
    Connect(#[from] diesel::ConnectionError),
    /// Migrations failed.
    #[error("migrations failed: {0}")]
    Migration(String),
    /// A query failed.
    #[error(transparent)]
    Query(#[from] DieselError),
    /// Preparing the database directory failed.
    #[error("cannot prepare the database directory")]
    Io(#[from] std::io::Error),
}

impl DbError {
    /// Whether a unique constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Query(error) if is_unique_violation(error))
    }
}

/// Whether a unique constraint refused the write.
pub fn is_unique_violation(error: &DieselError) -> bool {
    matches!(error, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
}
