//! The orders service's one error type, and its one conversion to the wire.

use shop_runtime::failure::Failure;
use tonic::Status;

use crate::domain::status::IllegalTransition;

/// Everything an RPC of the orders service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What every service can fail with: bad input, auth, the database, a
    /// service it calls, a bug.
    #[error(transparent)]
    Common(#[from] Failure),
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
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::EmptyCart | Error::Unpriceable(_) | Error::Illegal(_) => {
                Status::failed_precondition(error.to_string())
            }
            Error::NotFound => Status::not_found(error.to_string()),
            Error::Busy | Error::LeaseLost => Status::aborted(error.to_string()),
            Error::Common(failure) => failure.into(),
        }
    }
}

// `?` turns a database, auth or validation failure into `Error::Common`.
shop_runtime::common_failures!(Error);
