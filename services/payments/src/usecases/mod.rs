//! What the payments service does: charges, voids and refunds through the simulated processor.
//! One module a use case, called by the API: each takes the
//! [`crate::AppState`]. Proto types are converted at the edges (`convert.rs`).

pub mod charges;
