//! The products service's state: what its RPCs share.

use std::time::Duration;

use shop_runtime::{auth::TokenVerifier, db::Db, outbox::Outbox};

/// What every RPC shares: built once at start-up, cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Verifies access tokens.
    pub verifier: TokenVerifier,
    /// The catalog currency.
    pub currency: String,
    /// The default reservation hold.
    pub reservation_ttl: Duration,
    /// How often overdue reservations are expired.
    pub sweep_interval: Duration,
    /// Below this many available units a product is announced as low on stock.
    pub stock_low_threshold: i32,
    /// Where stock events go out (StockLow).
    pub outbox: Outbox,
}
