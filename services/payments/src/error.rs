//! The payments service's one error type, and its one conversion to the wire.

use shop_runtime::failure::Failure;
use tonic::Status;

/// Everything an RPC of the payments service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What every service can fail with: bad input, auth, the database, a
    /// service it calls, a bug.
    #[error(transparent)]
    Common(#[from] Failure),
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
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::ProcessorUnavailable | Error::InProgress => Status::unavailable(error.to_string()),
            Error::NotFound => Status::not_found(error.to_string()),
            Error::NotRefundable(_) => Status::failed_precondition(error.to_string()),
            Error::Common(failure) => failure.into(),
        }
    }
}

// `?` turns a database, auth or validation failure into `Error::Common`.
shop_runtime::common_failures!(Error);
