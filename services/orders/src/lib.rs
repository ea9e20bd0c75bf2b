//! The orders service: checkout as a persisted saga over products, payments
//! and cart; idempotent placement; recovery of checkouts that stopped; order
//! history and live status.
//!
//! [`run`] is what the binary and the `shop` launcher call; [`AppState::build`]
//! and [`serve`] are split out so tests can serve on a port of their choosing.

pub mod checkout;
pub mod clients;
pub mod config;
mod convert;
pub mod domain;
mod error;
pub mod fulfilment;
pub mod recovery;
pub mod saga;
mod schema;
mod service;
pub mod store;
pub mod watch;

use std::time::Duration;

use anyhow::Context as _;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use shop_proto::orders::v1::order_service_server::OrderServiceServer;
use shop_runtime::{
    Shutdown,
    auth::TokenVerifier,
    config::ServeConfig,
    db::{Db, Migrations},
    grpc::{GrpcServer, Listeners, ServeError, bind_and_serve},
    metrics::LabelledCounter,
    periodic::Periodic,
};
use tokio_util::task::TaskTracker;

pub use clients::Downstreams;
pub use config::Config;
pub use error::Error;
pub use service::OrdersApi;
pub use watch::EventBus;

/// The service's name in telemetry and the launcher.
pub const SERVICE_NAME: &str = "orders";

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The orders schema, per backend.
pub const MIGRATIONS: Migrations = Migrations { sqlite: || SQLITE_MIGRATIONS, postgres: || POSTGRES_MIGRATIONS };

/// What every RPC shares.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Verifies access tokens.
    pub verifier: TokenVerifier,
    /// Products, payments and cart, called as this service.
    pub downstreams: Downstreams,
    /// Saga timing.
    pub saga: config::SagaConfig,
    /// Wakes WatchOrder streams.
    pub events: EventBus,
    /// Orders that reached each status (the saga's outcomes among them).
    pub status_changes: LabelledCounter,
    /// Sagas running detached from the requests that started them.
    pub sagas: TaskTracker,
}

impl AppState {
    /// Connects and migrates the database and prepares the clients.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let verifier = config.auth.verifier().context("loading the token verification key")?;
        let downstreams = Downstreams::new(&config.upstreams, &config.credentials, &config.client)
            .context("configuring the upstream URLs")?;
        let db = Db::connect(&config.database).await.context("opening the database")?;
        db.migrate(&MIGRATIONS).await.context("migrating the database")?;
        Ok(Self {
            db,
            verifier,
            downstreams,
            saga: config.saga.clone(),
            events: EventBus::default(),
            status_changes: LabelledCounter::new("status"),
            sagas: TaskTracker::new(),
        })
    }
}

/// Serves the orders API on `listeners`, and recovers stuck checkouts, until
/// `shutdown` fires.
pub async fn serve(
    listeners: Listeners,
    state: AppState,
    config: ServeConfig,
    shutdown: Shutdown,
) -> Result<(), ServeError> {
    let drain = Duration::from_secs(config.drain_secs);
    let server = GrpcServer::new(config, state.verifier.clone())
        .database(state.db.clone())
        .depends_on(state.downstreams.dependencies.clone());
    state.status_changes.register(
        &server.metrics(),
        "orders_status_changes",
        "Orders that reached each status: checkout outcomes (paid, rejected, payment_failed, cancelled) and fulfilment",
    );
    let recovering = state.clone();
    let recovery = Periodic::every("recovery pass", state.saga.recovery_interval(), shutdown.clone(), move || {
        let state = recovering.clone();
        async move { recovery::recover_once(&state).await.map(drop) }
    });
    let sagas = state.sagas.clone();
    let served = server.add_service(OrderServiceServer::new(OrdersApi::new(state))).serve(listeners, shutdown).await;
    recovery.finish(drain).await;
    // Checkouts whose callers went away are still running: let them finish
    // their step, or leave them to recovery (here or in another replica)
    // once their lease runs out.
    sagas.close();
    if tokio::time::timeout(drain, sagas.wait()).await.is_err() {
        tracing::warn!(running = sagas.len(), "checkouts still running at shutdown; recovery will finish them");
    }
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
