//! The users service's one error type, and its one conversion to the wire.

use shop_runtime::{auth::AuthError, db::DbError, grpc::status, validation::FieldViolation};
use tonic::Status;

/// Everything an RPC of the users service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, by field.
    #[error("invalid argument")]
    InvalidArgument(Vec<FieldViolation>),
    /// Registration with an email that has an account.
    #[error("email: already registered")]
    EmailTaken,
    /// Wrong email or password (deliberately the same for both).
    #[error("invalid email or password")]
    BadCredentials,
    /// A refresh token that is unknown, spent, revoked or expired.
    #[error("invalid or expired refresh token")]
    BadRefreshToken,
    /// Wrong service client id or secret.
    #[error("invalid client credentials")]
    BadClientCredentials,
    /// Too many attempts of one kind: try again after `retry_after`.
    #[error("too many {what}; retry in {} s", retry_after.as_secs().max(1))]
    Throttled {
        /// What was counted, e.g. "sign-in attempts for this account".
        what: &'static str,
        /// When the next attempt will be taken.
        retry_after: std::time::Duration,
    },
    /// No such account (or not one the caller may see).
    #[error("user not found")]
    UserNotFound,
    /// The caller is anonymous or not allowed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Anything else that is our fault.
    #[error("{0}")]
    Internal(String),
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        Error::Db(DbError::from(error))
    }
}

impl From<FieldViolation> for Error {
    fn from(violation: FieldViolation) -> Self {
        Error::InvalidArgument(vec![violation])
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(violations) => status::invalid_argument(&violations),
            Error::EmailTaken => Status::already_exists(error.to_string()),
            Error::BadCredentials | Error::BadRefreshToken | Error::BadClientCredentials => {
                Status::unauthenticated(error.to_string())
            }
            Error::UserNotFound => Status::not_found(error.to_string()),
            Error::Throttled { retry_after, .. } => status::resource_exhausted(error.to_string(), retry_after),
            Error::Auth(auth) => auth.into(),
            Error::Db(db) => status::database(&db),
            Error::Internal(_) => status::internal(&error),
        }
    }
}
