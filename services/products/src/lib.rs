//! The products service: the catalog, stock on hand, and reservations that
//! hold stock for orders until they are committed, released or expire.
//!
//! [`run`] is what the binary and the `shop` launcher call; [`AppState::build`]
//! and [`serve`] are split out so tests can serve on a port of their choosing.

pub mod catalog;
pub mod config;
pub mod domain;
mod error;
mod schema;
pub mod seed;
mod service;
pub mod stock;
pub mod store;

use std::time::Duration;

use anyhow::Context as _;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use shop_proto::products::v1::product_service_server::ProductServiceServer;
use shop_runtime::{
    Shutdown,
    auth::TokenVerifier,
    config::ServeConfig,
    db::{Db, Migrations},
    grpc::{GrpcServer, Listeners, ServeError, bind_and_serve},
    periodic::Periodic,
};

pub use config::Config;
pub use error::{Error, Shortage};
pub use service::ProductsApi;

/// The service's name in telemetry and the launcher.
pub const SERVICE_NAME: &str = "products";

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The products schema, per backend.
pub const MIGRATIONS: Migrations = Migrations { sqlite: || SQLITE_MIGRATIONS, postgres: || POSTGRES_MIGRATIONS };

/// What every RPC shares.
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
}

impl AppState {
    /// Connects and migrates the database, and seeds the demo catalog if asked.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let verifier = config.auth.verifier().context("loading the token verification key")?;
        let db = Db::connect(&config.database).await.context("opening the database")?;
        db.migrate(&MIGRATIONS).await.context("migrating the database")?;
        let state = Self {
            db,
            verifier,
            currency: config.catalog.currency.clone(),
            reservation_ttl: config.catalog.reservation_ttl(),
            sweep_interval: config.catalog.sweep_interval(),
        };
        if config.catalog.seed_demo_catalog {
            seed::seed_demo_catalog(&state).await.context("seeding the demo catalog")?;
        }
        Ok(state)
    }
}

/// Serves the products API on `listeners`, and expires overdue reservations,
/// until `shutdown` fires.
pub async fn serve(
    listeners: Listeners,
    state: AppState,
    config: ServeConfig,
    shutdown: Shutdown,
) -> Result<(), ServeError> {
    let sweeping = state.clone();
    let sweeper = Periodic::every("reservation sweep", state.sweep_interval, shutdown.clone(), move || {
        let state = sweeping.clone();
        async move { stock::sweep_once(&state).await }
    });
    let drain = Duration::from_secs(config.drain_secs);
    let served = GrpcServer::new(config, state.verifier.clone())
        .database(state.db.clone())
        .add_service(ProductServiceServer::new(ProductsApi::new(state)))
        .serve(listeners, shutdown)
        .await;
    sweeper.finish(drain).await;
    served
}

/// Builds the state, binds the configured address and serves until `shutdown`.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let state = AppState::build(&config).await?;
    let (addr, admin, backend) = (config.listen_addr, config.serve.admin_listen_addr, state.db.backend());
    bind_and_serve(SERVICE_NAME, addr, admin, backend, |listeners| serve(listeners, state, config.serve, shutdown))
        .await?;
    Ok(())
}
