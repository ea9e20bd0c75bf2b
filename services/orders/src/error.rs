//! The orders service's one error type, and its one conversion to the wire.

use shop_runtime::{auth::AuthError, db::DbError, grpc::status, validation::FieldViolation};
use tonic::{Code, Status};

use crate::domain::status::IllegalTransition;

/// Everything an RPC of the orders service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, by field.
    #[error("invalid argument")]
    InvalidArgument(Vec<FieldViolation>),
    /// No such order (or not one the caller may see).
    #[error("order not found")]
    NotFound,
    /// Checkout of an empty cart.
    #[error("cart: is empty; add products before checking out")]
    EmptyCart,
    /// A product in the cart the catalog no longer knows.
    #[error("product {0} is no longer in the catalog; remove it from the cart")]
    Unpriceable(String),
    /// A status change the rules forbid.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// Another call is working on the order right now.
    #[error("the order is being processed right now; retry shortly")]
    Busy,
    /// This call lost the saga lease to another (it stops; the other goes on).
    #[error("the order was taken over by another process; retry shortly")]
    LeaseLost,
    /// A service the saga calls failed.
    #[error("{service}: {}", .status.message())]
    Downstream {
        /// Which.
        service: &'static str,
        /// Its answer.
        status: Status,
    },
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

impl Error {
    /// A failed call to `service`.
    pub fn downstream(service: &'static str) -> impl FnOnce(Status) -> Self {
        move |status| Error::Downstream { service, status }
    }
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
            Error::EmptyCart | Error::Unpriceable(_) | Error::Illegal(_) => {
                Status::failed_precondition(error.to_string())
            }
            Error::Busy | Error::LeaseLost => Status::aborted(error.to_string()),
            Error::Downstream { service, status } => match status.code() {
                // Transient: the client retries with the same idempotency key and the saga resumes.
                code @ (Code::Unavailable
                | Code::DeadlineExceeded
                | Code::Cancelled
                | Code::Aborted
                | Code::ResourceExhausted) => {
                    tracing::warn!(service, ?code, message = status.message(), "downstream failure");
                    Status::new(code, format!("{service} is unavailable; retry with the same idempotency key"))
                }
                _ => status::internal(&format!("{service}: {}", status.message())),
            },
            Error::Auth(auth) => auth.into(),
            Error::Db(db) => status::database(&db),
            Error::Internal(_) => status::internal(&error),
        }
    }
}
