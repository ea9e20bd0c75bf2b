//! The cart service: one cart per user, never priced from stored values but
//! from the catalog each time it is read.
//!
//! [`AppState`] is the service as the runtime sees it (see
//! `shop_runtime::service`).

mod api;
mod clients;
pub mod config;
mod convert;
pub mod domain;
mod error;
mod schema;
mod state;
mod store;
mod usecases;

use anyhow::Context as _;
use shop_proto::cart::v1::cart_service_server::CartServiceServer;
use shop_runtime::{
    grpc::{Dependency, MeshChannel, Upstream},
    service::prelude::*,
};

pub use api::CartApi;
pub use clients::ProductsClient;
pub use config::Config;
pub use error::Error;
pub use state::AppState;

impl Service for AppState {
    type Config = Config;
    const NAME: &'static str = "cart";
    const MIGRATIONS: Migrations = embedded_migrations!();

    /// Prepares the products client.
    async fn build(config: &Config, db: Db) -> anyhow::Result<Self> {
        let products = Upstream::connect(&config.products_url, &config.client).context("configuring PRODUCTS_URL")?;
        Ok(Self {
            db,
            verifier: config.auth.verifier().context("loading the token verification key")?,
            products: ProductsClient::new(MeshChannel::new(products.clone())),
            currency: config.currency.clone(),
            dependencies: vec![Dependency::service("products", products)],
        })
    }

    fn server(self, serve: ServeConfig) -> GrpcServer {
        GrpcServer::new(serve, self.verifier.clone())
            .database(self.db.clone())
            .depends_on(self.dependencies.clone())
            .add_service(CartServiceServer::new(CartApi::new(self)))
    }

    fn settings(config: &Config) -> Settings<'_> {
        Settings::new(config.listen_addr, &config.serve, &config.database, &config.telemetry)
    }
}
