//! The products service's one error type, and its one conversion to the wire.

use shop_runtime::{
    failure::Failure,
    grpc::status::{self, PreconditionViolation},
};
use tonic::Status;

use crate::domain::reservation;

/// A product that could not be held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortage {
    /// The product.
    pub product_id: String,
    /// Units asked for.
    pub requested: i32,
    /// Units available (0 for an archived or unknown product).
    pub available: i32,
}

/// Everything an RPC of the products service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What every service can fail with: bad input, auth, the database, a
    /// service it calls, a bug.
    #[error(transparent)]
    Common(#[from] Failure),
    /// No such product.
    #[error("product_id: no product {0}")]
    ProductNotFound(String),
    /// Another product has the sku.
    #[error("sku: already used by another product")]
    SkuTaken,
    /// Not enough stock for some items of a reservation.
    #[error("insufficient stock")]
    InsufficientStock(Vec<Shortage>),
    /// An adjustment would leave less on hand than is reserved.
    #[error("delta: would leave {on_hand} on hand, below the {reserved} units reserved")]
    BelowReserved {
        /// On hand after the change.
        on_hand: i32,
        /// Units reserved.
        reserved: i32,
    },
    /// No reservation for the order.
    #[error("order_id: no reservation for this order")]
    ReservationNotFound,
    /// The reservation can no longer be committed.
    #[error("the reservation is {}", .0.as_str())]
    ReservationClosed(reservation::Status),
    /// A concurrent call changed the reservation first; retrying is safe.
    #[error("the reservation changed concurrently; retry")]
    Conflict,
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::ProductNotFound(_) | Error::ReservationNotFound => Status::not_found(error.to_string()),
            Error::SkuTaken => Status::already_exists(error.to_string()),
            Error::InsufficientStock(shortages) => {
                let message = shortages
                    .iter()
                    .map(|s| format!("product {}: requested {}, available {}", s.product_id, s.requested, s.available))
                    .collect::<Vec<_>>()
                    .join("; ");
                let violations = shortages
                    .into_iter()
                    .map(|s| {
                        let description = format!("requested {}, available {}", s.requested, s.available);
                        PreconditionViolation::new("STOCK", s.product_id, description)
                    })
                    .collect();
                status::failed_precondition(format!("insufficient stock: {message}"), violations)
            }
            Error::BelowReserved { .. } | Error::ReservationClosed(_) => Status::failed_precondition(error.to_string()),
            Error::Conflict => Status::aborted(error.to_string()),
            Error::Common(failure) => failure.into(),
        }
    }
}

// `?` turns a database, auth or validation failure into `Error::Common`.
shop_runtime::common_failures!(Error);
