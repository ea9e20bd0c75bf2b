//! The payments service's state: what its RPCs share.

use shop_runtime::{auth::TokenVerifier, db::Db, metrics::LabelledCounter, outbox::Outbox};

/// What every RPC shares: built once at start-up, cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Verifies access tokens.
    pub verifier: TokenVerifier,
    /// Processor answers and refunds, by result.
    pub results: LabelledCounter,
    /// How long one processor attempt holds a charge.
    pub charge_claim: chrono::TimeDelta,
    /// Where payment events go out (PaymentSucceeded, PaymentRefunded).
    pub outbox: Outbox,
}
