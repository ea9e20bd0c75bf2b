//! The cart service: one cart per user, never priced from stored values but
//! from the catalog each time it is read.
//!
//! [`run`] is what the binary and the `shop` launcher call; [`AppState::build`]
//! and [`serve`] are split out so tests can serve on a port of their choosing.

mod catalog;
pub mod config;
pub mod domain;
mod error;
mod lines;
mod schema;
mod service;
pub mod store;

use anyhow::Context as _;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use shop_proto::cart::v1::cart_service_server::CartServiceServer;
use shop_runtime::{
    Shutdown,
    auth::TokenVerifier,
    config::ServeConfig,
    db::{Db, Migrations},
    grpc::{Dependency, GrpcServer, Listeners, MeshChannel, ServeError, Upstream, bind_and_serve},
};

pub use catalog::Catalog;
pub use config::Config;
pub use error::Error;
pub use service::CartApi;

/// The service's name in telemetry and the launcher.
pub const SERVICE_NAME: &str = "cart";

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The cart schema, per backend.
pub const MIGRATIONS: Migrations = Migrations { sqlite: || SQLITE_MIGRATIONS, postgres: || POSTGRES_MIGRATIONS };

/// What every RPC shares.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Verifies access tokens.
    pub verifier: TokenVerifier,
    /// The products service.
    pub catalog: Catalog,
    /// The catalog's currency.
    pub currency: String,
    /// The products service, for health.
    pub dependencies: Vec<Dependency>,
}

impl AppState {
    /// Connects and migrates the database and prepares the products client.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let verifier = config.auth.verifier().context("loading the token verification key")?;
        let products = Upstream::connect(&config.products_url, &config.client).context("configuring PRODUCTS_URL")?;
        let db = Db::connect(&config.database).await.context("opening the database")?;
        db.migrate(&MIGRATIONS).await.context("migrating the database")?;
        Ok(Self {
            db,
            verifier,
            catalog: Catalog::new(MeshChannel::new(products.clone())),
            currency: config.currency.clone(),
            dependencies: vec![Dependency::service("products", products)],
        })
    }
}

/// Serves the cart API on `listeners` until `shutdown` fires.
pub async fn serve(
    listeners: Listeners,
    state: AppState,
    config: ServeConfig,
    shutdown: Shutdown,
) -> Result<(), ServeError> {
    GrpcServer::new(config, state.verifier.clone())
        .database(state.db.clone())
        .depends_on(state.dependencies.clone())
        .add_service(CartServiceServer::new(CartApi::new(state)))
        .serve(listeners, shutdown)
        .await
}

/// Builds the state, binds the configured address and serves until `shutdown`.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let state = AppState::build(&config).await?;
    let (addr, admin, backend) = (config.listen_addr, config.serve.admin_listen_addr, state.db.backend());
    bind_and_serve(SERVICE_NAME, addr, admin, backend, |listeners| serve(listeners, state, config.serve, shutdown))
        .await?;
    Ok(())
}
