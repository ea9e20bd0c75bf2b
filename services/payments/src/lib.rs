//! The payments service: charges through a simulated card processor with the
//! public sandboxes' test cards, once per idempotency key, and full refunds.
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
pub mod testing;
mod usecases;

use anyhow::Context as _;
use shop_proto::payments::v1::payment_service_server::PaymentServiceServer;
use shop_runtime::{metrics::LabelledCounter, outbox::Outbox, service::prelude::*};

pub use api::PaymentsApi;
pub use config::Config;
pub use error::Error;
pub use state::AppState;

impl Service for AppState {
    type Config = Config;
    const NAME: &'static str = "payments";
    const MIGRATIONS: Migrations = embedded_migrations!();
    const PUBLISHES_EVENTS: bool = true;

    async fn build(config: &Config, db: Db) -> anyhow::Result<Self> {
        let charge_claim = chrono::TimeDelta::from_std(config.charge_claim()).context("CHARGE_CLAIM_SECS")?;
        Ok(Self {
            outbox: Outbox::new(db.clone(), &config.outbox),
            db,
            verifier: config.auth.verifier().context("loading the token verification key")?,
            results: LabelledCounter::new("result"),
            charge_claim,
        })
    }

    fn server(self, serve: ServeConfig) -> GrpcServer {
        let server = GrpcServer::new(serve, self.verifier.clone()).database(self.db.clone());
        self.results.register(
            &server.metrics(),
            "payments_results",
            "Charge attempts by the processor's answer (succeeded, card_declined, insufficient_funds, processor_error), and refunds (refunded), voided keys (voided)",
        );
        self.outbox.serve_on(server).add_service(PaymentServiceServer::new(PaymentsApi::new(self)))
    }

    fn settings(config: &Config) -> Settings<'_> {
        Settings::new(config.listen_addr, &config.serve, &config.database, &config.telemetry)
    }
}
