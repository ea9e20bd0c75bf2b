//! The shape every gRPC service of the mesh takes. A service is its state
//! (an `AppState` implementing [`Service`]) and its configuration; the
//! runtime opens and migrates its database, builds the state, binds, serves
//! and drains. [`crate::component`] turns a service into a binary.
//!
//! ```text
//! impl Service for AppState {
//!     type Config = Config;
//!     const NAME: &'static str = "payments";
//!     const MIGRATIONS: Migrations = shop_runtime::embedded_migrations!();
//!
//!     async fn build(config: &Config, db: Db) -> anyhow::Result<Self> { .. }
//!
//!     fn server(self, serve: ServeConfig) -> GrpcServer {
//!         GrpcServer::new(serve, self.verifier.clone())
//!             .database(self.db.clone())
//!             .add_service(PaymentServiceServer::new(PaymentsApi::new(self)))
//!     }
//!
//!     fn settings(config: &Config) -> Settings<'_> {
//!         Settings::new(config.listen_addr, &config.serve, &config.database, &config.telemetry)
//!     }
//! }
//! ```

use std::{future::Future, net::SocketAddr};

use anyhow::Context as _;

use crate::{
    Shutdown,
    config::{DatabaseConfig, ServeConfig, TelemetryConfig},
    db::{Db, Migrations},
    grpc::{GrpcServer, Listeners, ServeError, bind_and_serve},
    outbox,
};

/// The settings every service's configuration holds, wherever it keeps them.
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    /// Where gRPC is served (`GRPC_LISTEN_ADDR`).
    pub listen_addr: SocketAddr,
    /// How it is served.
    pub serve: &'a ServeConfig,
    /// The service's own database.
    pub database: &'a DatabaseConfig,
    /// Logs and traces.
    pub telemetry: &'a TelemetryConfig,
}

impl<'a> Settings<'a> {
    /// The settings, from where a configuration keeps them.
    pub fn new(
        listen_addr: SocketAddr,
        serve: &'a ServeConfig,
        database: &'a DatabaseConfig,
        telemetry: &'a TelemetryConfig,
    ) -> Self {
        Self { listen_addr, serve, database, telemetry }
    }
}

/// A gRPC service: implemented by the state its calls share.
pub trait Service: Sized + Send + 'static {
    /// Its flags and environment.
    type Config: clap::Parser + Send + Sync + 'static;
    /// Its name in logs, traces, metrics and the launcher.
    const NAME: &'static str;
    /// Its schema, per backend ([`crate::embedded_migrations!`]).
    const MIGRATIONS: Migrations;
    /// Whether it publishes domain events: its database then has the
    /// outbox table too ([`crate::outbox`]).
    const PUBLISHES_EVENTS: bool = false;

    /// The state, on the service's database (already migrated).
    fn build(config: &Self::Config, db: Db) -> impl Future<Output = anyhow::Result<Self>> + Send;

    /// The server for this state: its API, and what else it needs — the
    /// services it depends on, its own metrics, work done in the background.
    fn server(self, serve: ServeConfig) -> GrpcServer;

    /// Where `config` keeps the settings the runtime reads.
    fn settings(config: &Self::Config) -> Settings<'_>;
}

/// What a service's `lib.rs` uses to implement [`Service`].
pub mod prelude {
    pub use super::{Service, Settings};
    pub use crate::{
        auth::TokenVerifier,
        config::ServeConfig,
        db::{Db, Migrations},
        embedded_migrations,
        grpc::GrpcServer,
    };
}

/// Opens and migrates the service's database and builds its state.
pub async fn build<S: Service>(config: &S::Config) -> anyhow::Result<S> {
    S::build(config, database::<S>(config).await?).await
}

async fn database<S: Service>(config: &S::Config) -> anyhow::Result<Db> {
    let db = Db::connect(S::settings(config).database).await.context("opening the database")?;
    db.migrate(&S::MIGRATIONS).await.context("migrating the database")?;
    if S::PUBLISHES_EVENTS {
        db.migrate(&outbox::MIGRATIONS).await.context("migrating the outbox")?;
    }
    Ok(db)
}

/// Serves `state` on `listeners` until `shutdown` fires, then drains.
pub async fn serve<S: Service>(
    state: S,
    listeners: Listeners,
    serve: ServeConfig,
    shutdown: Shutdown,
) -> Result<(), ServeError> {
    state.server(serve).serve(listeners, shutdown).await
}

/// Builds the state, binds the configured addresses and serves until `shutdown`.
pub async fn run<S: Service>(config: S::Config, shutdown: Shutdown) -> anyhow::Result<()> {
    let db = database::<S>(&config).await?;
    let backend = db.backend();
    let state = S::build(&config, db).await?;
    let settings = S::settings(&config);
    let (grpc, admin, serve_config) = (settings.listen_addr, settings.serve.admin_listen_addr, settings.serve.clone());
    bind_and_serve(S::NAME, grpc, admin, backend, |listeners| serve(state, listeners, serve_config, shutdown)).await?;
    Ok(())
}

/// The service's migrations for both backends, embedded from the calling
/// crate's `migrations/sqlite` and `migrations/postgres` directories.
#[macro_export]
macro_rules! embedded_migrations {
    () => {{
        const SQLITE: ::diesel_migrations::EmbeddedMigrations =
            ::diesel_migrations::embed_migrations!("migrations/sqlite");
        const POSTGRES: ::diesel_migrations::EmbeddedMigrations =
            ::diesel_migrations::embed_migrations!("migrations/postgres");
        $crate::db::Migrations { sqlite: || SQLITE, postgres: || POSTGRES }
    }};
}
