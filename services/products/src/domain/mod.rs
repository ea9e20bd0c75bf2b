//! Catalog and stock rules. No I/O here.

pub mod listing;
pub mod product;
pub mod reservation;
