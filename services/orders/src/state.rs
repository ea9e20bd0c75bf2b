//! The orders service's state: what its RPCs share.

use shop_runtime::{auth::TokenVerifier, db::Db, metrics::LabelledCounter, outbox::Outbox};
use tokio_util::task::TaskTracker;

use crate::{changes::EventBus, clients::Downstreams, config::SagaConfig};

/// What every RPC shares: built once at start-up, cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Verifies access tokens.
    pub verifier: TokenVerifier,
    /// Products, payments and cart, called as this service.
    pub downstreams: Downstreams,
    /// Saga timing.
    pub saga: SagaConfig,
    /// Wakes WatchOrder streams.
    pub events: EventBus,
    /// Orders that reached each status (the saga's outcomes among them).
    pub status_changes: LabelledCounter,
    /// Sagas running detached from the requests that started them.
    pub sagas: TaskTracker,
    /// Where order events go out (OrderPlaced, OrderStatusChanged).
    pub outbox: Outbox,
}
