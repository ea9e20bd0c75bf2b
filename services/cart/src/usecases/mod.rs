//! What the cart service does: add, change and remove lines, each checked against the catalog.
//! One module a use case, called by the API: each takes the
//! [`crate::AppState`]. Proto types are converted at the edges (`convert.rs`).

pub mod lines;
