//! The products service: the catalog, stock on hand, and reservations that
//! hold stock for orders until they are committed, released or expire.
//!
//! [`AppState`] is the service as the runtime sees it (see
//! `shop_runtime::service`).

mod api;
pub mod config;
mod convert;
pub mod domain;
mod error;
mod schema;
mod state;
mod store;
mod usecases;

use anyhow::Context as _;
use shop_proto::products::v1::product_service_server::ProductServiceServer;
use shop_runtime::{outbox::Outbox, service::prelude::*};

pub use api::ProductsApi;
pub use config::Config;
pub use error::{Error, Shortage};
pub use state::AppState;
pub use usecases::seed::seed_demo_catalog;

impl Service for AppState {
    type Config = Config;
    const NAME: &'static str = "products";
    const MIGRATIONS: Migrations = embedded_migrations!();
    const PUBLISHES_EVENTS: bool = true;

    /// Seeds the demo catalog if asked.
    async fn build(config: &Config, db: Db) -> anyhow::Result<Self> {
        let state = Self {
            outbox: Outbox::new(db.clone(), &config.outbox),
            db,
            verifier: config.auth.verifier().context("loading the token verification key")?,
            currency: config.catalog.currency.clone(),
            reservation_ttl: config.catalog.reservation_ttl(),
            sweep_interval: config.catalog.sweep_interval(),
            stock_low_threshold: config.catalog.stock_low_threshold,
        };
        if config.catalog.seed_demo_catalog {
            seed_demo_catalog(&state).await.context("seeding the demo catalog")?;
        }
        Ok(state)
    }

    /// Also expires overdue reservations every sweep interval.
    fn server(self, serve: ServeConfig) -> GrpcServer {
        let sweep = |state: Self| async move { usecases::stock::sweep_once(&state).await };
        let server = GrpcServer::new(serve, self.verifier.clone()).database(self.db.clone());
        self.outbox
            .serve_on(server)
            .every("reservation sweep", self.sweep_interval, self.clone(), sweep)
            .add_service(ProductServiceServer::new(ProductsApi::new(self)))
    }

    fn settings(config: &Config) -> Settings<'_> {
        Settings::new(config.listen_addr, &config.serve, &config.database, &config.telemetry)
    }
}
