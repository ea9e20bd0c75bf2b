//! The cart service's one error type, and its one conversion to the wire.

use shop_runtime::{
    auth::AuthError,
    db::DbError,
    grpc::status::{self, PreconditionViolation},
    validation::FieldViolation,
};
use tonic::{Code, Status};

use crate::domain::PricingError;

/// Everything an RPC of the cart service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, by field.
    #[error("invalid argument")]
    InvalidArgument(Vec<FieldViolation>),
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
    /// The products service failed.
    #[error("products service: {0}")]
    Products(Status),
    /// The caller is anonymous or not allowed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
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
            Error::ProductNotFound(_) => Status::not_found(error.to_string()),
            Error::NotEnoughStock { ref product_id, available } => {
                let violation =
                    PreconditionViolation::new("STOCK", product_id.clone(), format!("available {available}"));
                status::failed_precondition(error.to_string(), vec![violation])
            }
            Error::Conflict => Status::aborted(error.to_string()),
            Error::Products(upstream) => match upstream.code() {
                // Passed on so that callers can retry or give up in time.
                code @ (Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::ResourceExhausted) => {
                    Status::new(code, "the catalog is unavailable, retry later")
                }
                _ => status::internal(&upstream.message()),
            },
            Error::Auth(auth) => auth.into(),
            Error::Db(db) => status::database(&db),
            Error::Pricing(_) => status::internal(&error),
        }
    }
}
