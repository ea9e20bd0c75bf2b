//! The users service's state: what its RPCs share.

use std::sync::Arc;

use shop_runtime::{auth::TokenVerifier, db::Db, outbox::Outbox};

use crate::{
    config::TokenTtls, passwords::Passwords, service_clients::ServiceClients, throttle::Throttles, tokens::TokenSigner,
};

/// What every RPC shares: built once at start-up, cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Verifies access tokens (the public half of the signing key).
    pub verifier: TokenVerifier,
    pub(crate) signer: Arc<TokenSigner>,
    pub(crate) passwords: Passwords,
    pub(crate) clients: ServiceClients,
    pub(crate) ttls: TokenTtls,
    pub(crate) throttles: Throttles,
    /// Where account events go out (UserRegistered).
    pub(crate) outbox: Outbox,
}
