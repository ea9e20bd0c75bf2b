//! Order rules: statuses and their transitions, saga steps, and what a valid
//! checkout is. No I/O here.

pub mod checkout;
pub mod status;
