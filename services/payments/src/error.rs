//! The payments service's one error type, and its one conversion to the wire.

use shop_runtime::{auth::AuthError, db::DbError, grpc::status, validation::FieldViolation};
use tonic::Status;

/// Everything an RPC of the payments service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, by field.
    #[error("invalid argument")]
    InvalidArgument(Vec<FieldViolation>),
    /// No such payment (or not one the caller may see).
    #[error("payment not found")]
    NotFound,
    /// Refund of a payment that did not succeed.
    #[error("only a succeeded payment can be refunded; this one is {0}")]
    NotRefundable(String),
    /// The processor failed; the same charge may be retried with the same key.
    #[error("the card processor is unavailable; retry with the same idempotency key")]
    ProcessorUnavailable,
    /// Another attempt with the same key is still running.
    #[error("a charge with this idempotency key is in progress; retry with the same key")]
    InProgress,
    /// The caller is anonymous or not allowed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A bug: the charge's task panicked.
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
            Error::NotFound => Status::not_found(error.to_string()),
            Error::NotRefundable(_) => Status::failed_precondition(error.to_string()),
            Error::ProcessorUnavailable | Error::InProgress => Status::unavailable(error.to_string()),
            Error::Auth(auth) => auth.into(),
            Error::Db(db) => status::database(&db),
            Error::Internal(_) => status::internal(&error),
        }
    }
}
