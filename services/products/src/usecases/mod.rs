//! What the products service does: the catalog, stock and reservations, the demo catalog seed.
//! One module a use case, called by the API and the reservation sweep: each takes the
//! [`crate::AppState`]. Proto types are converted at the edges (`convert.rs`).

pub mod catalog;
pub mod seed;
pub mod stock;
