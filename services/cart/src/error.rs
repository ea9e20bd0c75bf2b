//! The cart service's one error type, and its one conversion to the wire.

use shop_runtime::{
    failure::Failure,
    grpc::status::{self, PreconditionViolation},
};
use tonic::Status;

use crate::domain::PricingError;

/// Everything an RPC of the cart service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What every service can fail with: bad input, auth, the database, a
    /// service it calls, a bug.
    #[error(transparent)]
    Common(#[from] Failure),
    /// No such product, or an archived one.
    #[error("product_id: no product {0} in the catalog")]
    ProductNotFound(String),
    /// More than is available.
    #[error("quantity: only {available} of product {product_id} available")]
    NotEnoughStock {
        /// The product.
        product_id: String,
        /// Units available now.
        available: i32,
    },
    /// The cart cannot be priced.
    #[error(transparent)]
    Pricing(#[from] PricingError),
    /// A concurrent change won; retrying is safe.
    #[error("the cart changed concurrently; retry")]
    Conflict,
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::ProductNotFound(_) => Status::not_found(error.to_string()),
            Error::NotEnoughStock { ref product_id, available } => {
                let violation =
                    PreconditionViolation::new("STOCK", product_id.clone(), format!("available {available}"));
                status::failed_precondition(error.to_string(), vec![violation])
            }
            Error::Conflict => Status::aborted(error.to_string()),
            Error::Common(failure) => failure.into(),
            Error::Pricing(_) => status::internal(&error),
        }
    }
}

// `?` turns a database, auth or validation failure into `Error::Common`.
shop_runtime::common_failures!(Error);
