//! Every query of the products service. Each takes a connection, so callers
//! compose them inside one transaction; each is written once for both backends.

mod listing;
mod products;
mod stock;

pub use listing::{list_categories, list_products};
pub use products::{
    ProductChanges, ProductRow, archive_product, count_products, find_product, find_products, insert_product,
    update_product,
};
pub use stock::{
    LedgerRow, ReservationItemRow, ReservationRow, adjust_on_hand, find_reservation, hold, insert_ledger,
    insert_reservation, insert_reservation_items, insert_reservation_unless_exists, overdue_reservations, sell,
    set_reservation_status, unhold,
};
