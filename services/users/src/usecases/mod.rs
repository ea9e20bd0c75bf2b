//! What the users service does: register, sign in, refresh and revoke sessions, manage accounts.
//! One module a use case, called by the API: each takes the
//! [`crate::AppState`]. Proto types are converted at the edges (`convert.rs`).

pub mod accounts;
