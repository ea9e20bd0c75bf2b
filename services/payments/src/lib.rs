//! The payments service: charges through a simulated card processor with the
//! public sandboxes' test cards, once per idempotency key, and full refunds.
//!
//! [`run`] is what the binary and the `shop` launcher call; [`AppState::build`]
//! and [`serve`] are split out so tests can serve on a port of their choosing.

pub mod charges;
pub mod config;
pub mod domain;
mod error;
mod schema;
mod service;
pub mod store;

use anyhow::Context as _;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use shop_proto::payments::v1::payment_service_server::PaymentServiceServer;
use shop_runtime::{
    Shutdown,
    auth::TokenVerifier,
    config::ServeConfig,
    db::{Db, Migrations},
    grpc::{GrpcServer, Listeners, ServeError, bind_and_serve},
    metrics::LabelledCounter,
};

pub use config::Config;
pub use error::Error;
pub use service::PaymentsApi;

/// The service's name in telemetry and the launcher.
pub const SERVICE_NAME: &str = "payments";

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The payments schema, per backend.
pub const MIGRATIONS: Migrations = Migrations { sqlite: || SQLITE_MIGRATIONS, postgres: || POSTGRES_MIGRATIONS };

/// What every RPC shares.
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
}

impl AppState {
    /// Connects and migrates the database.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let verifier = config.auth.verifier().context("loading the token verification key")?;
        let db = Db::connect(&config.database).await.context("opening the database")?;
        db.migrate(&MIGRATIONS).await.context("migrating the database")?;
        let charge_claim = chrono::TimeDelta::from_std(config.charge_claim()).context("CHARGE_CLAIM_SECS")?;
        Ok(Self { db, verifier, results: LabelledCounter::new("result"), charge_claim })
    }
}

/// Serves the payments API on `listeners` until `shutdown` fires.
pub async fn serve(
    listeners: Listeners,
    state: AppState,
    config: ServeConfig,
    shutdown: Shutdown,
) -> Result<(), ServeError> {
    let server = GrpcServer::new(config, state.verifier.clone()).database(state.db.clone());
    state.results.register(
        &server.metrics(),
        "payments_results",
        "Charge attempts by the processor's answer (succeeded, card_declined, insufficient_funds, processor_error), and refunds (refunded), voided keys (voided)",
    );
    server.add_service(PaymentServiceServer::new(PaymentsApi::new(state))).serve(listeners, shutdown).await
}

/// Builds the state, binds the configured address and serves until `shutdown`.
pub async fn run(config: Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let state = AppState::build(&config).await?;
    let (addr, admin, backend) = (config.listen_addr, config.serve.admin_listen_addr, state.db.backend());
    bind_and_serve(SERVICE_NAME, addr, admin, backend, |listeners| serve(listeners, state, config.serve, shutdown))
        .await?;
    Ok(())
}
