//! Every query of the orders service. Each takes a connection, so callers
//! compose them inside one transaction; each is written once for both backends.

mod events;
mod orders;

pub use events::{EventRow, events_after, events_of, insert_event, latest_event};
pub use orders::{
    AddressRow, LineRow, OrderChanges, OrderRow, addresses_of, claim, claim_for_cancel, find, find_by_key,
    insert_order, lines_of, list, stuck, update_fenced, update_status,
};
