//! The orders service: checkout as a persisted saga over products, payments
//! and cart; idempotent placement; recovery of checkouts that stopped; order
//! history and live status.
//!
//! [`AppState`] is the service as the runtime sees it (see
//! `shop_runtime::service`).

mod api;
mod changes;
mod clients;
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
use shop_proto::orders::v1::order_service_server::OrderServiceServer;
use shop_runtime::{metrics::LabelledCounter, outbox::Outbox, service::prelude::*};
use tokio_util::task::TaskTracker;

pub use api::OrdersApi;
pub use changes::EventBus;
pub use clients::Downstreams;
pub use config::Config;
pub use error::Error;
pub use state::AppState;

impl Service for AppState {
    type Config = Config;
    const NAME: &'static str = "orders";
    const MIGRATIONS: Migrations = embedded_migrations!();
    const PUBLISHES_EVENTS: bool = true;

    /// Prepares the clients of the services the saga calls.
    async fn build(config: &Config, db: Db) -> anyhow::Result<Self> {
        let downstreams = Downstreams::new(&config.upstreams, &config.credentials, &config.client)
            .context("configuring the upstream URLs")?;
        Ok(Self {
            outbox: Outbox::new(db.clone(), &config.outbox),
            db,
            verifier: config.auth.verifier().context("loading the token verification key")?,
            downstreams,
            saga: config.saga.clone(),
            events: EventBus::default(),
            status_changes: LabelledCounter::new("status"),
            sagas: TaskTracker::new(),
        })
    }

    /// Also recovers stuck checkouts every recovery interval. Checkouts whose
    /// callers went away are still running at shutdown: they get the drain
    /// limit to finish their step, or are left to recovery (here or in
    /// another replica) once their lease runs out.
    fn server(self, serve: ServeConfig) -> GrpcServer {
        let server = GrpcServer::new(serve, self.verifier.clone())
            .database(self.db.clone())
            .depends_on(self.downstreams.dependencies.clone());
        self.status_changes.register(
            &server.metrics(),
            "orders_status_changes",
            "Orders that reached each status: checkout outcomes (paid, rejected, payment_failed, cancelled) and fulfilment",
        );
        let recover = |state: Self| async move { usecases::recovery::recover_once(&state).await.map(drop) };
        self.outbox
            .serve_on(server)
            .every("recovery pass", self.saga.recovery_interval(), self.clone(), recover)
            .detached("checkouts", self.sagas.clone())
            .add_service(OrderServiceServer::new(OrdersApi::new(self)))
    }

    fn settings(config: &Config) -> Settings<'_> {
        Settings::new(config.listen_addr, &config.serve, &config.database, &config.telemetry)
    }
}
