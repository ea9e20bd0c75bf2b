//! What the orders service does: checkout and its saga, recovery of stopped checkouts, fulfilment, live status.
//! One module a use case, called by the API and the background rounds (the recovery pass): each takes the
//! [`crate::AppState`]. Proto types are converted at the edges (`convert.rs`).

pub mod checkout;
pub mod fulfilment;
pub mod recovery;
pub mod saga;
pub mod watch;
