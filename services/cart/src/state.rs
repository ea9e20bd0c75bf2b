//! The cart service's state: what its RPCs share.

use shop_runtime::{auth::TokenVerifier, db::Db, grpc::Dependency};

use crate::clients::ProductsClient;

/// What every RPC shares: built once at start-up, cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Verifies access tokens.
    pub verifier: TokenVerifier,
    /// The products service.
    pub products: ProductsClient,
    /// The catalog's currency.
    pub currency: String,
    /// The products service, for health.
    pub dependencies: Vec<Dependency>,
}
