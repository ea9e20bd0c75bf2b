//! The notifications service: it consumes the mesh's domain events (over
//! each producer's feed, or NATS JetStream), and mails customers (and, for
//! low stock, admins) exactly once per event and recipient: over SMTP, or
//! as .eml files in a directory.
//!
//! [`AppState`] is the service as the runtime sees it (see
//! `shop_runtime::service`).

mod api;
mod clients;
pub mod config;
mod convert;
pub mod domain;
mod error;
mod mailer;
mod metrics;
mod positions;
mod schema;
mod state;
mod store;
mod templates;
pub mod testing;
mod usecases;

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;
use shop_proto::notifications::v1::notification_service_server::NotificationServiceServer;
use shop_runtime::service::prelude::*;

use crate::{clients::Clients, mailer::Mailer, metrics::NotificationMetrics, templates::Templates, usecases::consume};

pub use api::NotificationsApi;
pub use config::Config;
pub use error::Error;
pub use state::{AppState, Delivery};

impl Service for AppState {
    type Config = Config;
    const NAME: &'static str = "notifications";
    const MIGRATIONS: Migrations = embedded_migrations!();

    async fn build(config: &Config, db: Db) -> anyhow::Result<Self> {
        let mailer = Mailer::new(&config.mail)?;
        tracing::info!(to = %mailer.describe(), "mails go here");
        Ok(Self {
            db,
            verifier: config.auth.verifier().context("loading the token verification key")?,
            clients: Clients::new(&config.producers, &config.credentials, &config.client)?,
            templates: Templates::load().context("compiling the mail templates")?,
            mailer,
            delivery: Delivery {
                max_attempts: config.mail.max_attempts,
                first_retry: config.mail.first_retry(),
                claim: config.mail.smtp_timeout() + Duration::from_secs(30),
            },
            nats: config.producers.nats.clone(),
            metrics: NotificationMetrics::new(),
            recorded: Arc::default(),
            positions: Arc::default(),
        })
    }

    fn server(self, serve: ServeConfig) -> GrpcServer {
        let mut server = GrpcServer::new(serve, self.verifier.clone())
            .database(self.db.clone())
            .depends_on(self.clients.dependencies.clone());
        self.metrics.register(&server.metrics());
        let consumer = self.clone();
        server = match self.nats.nats_url.clone() {
            None => server.worker("event feeds", move |stop| consume::from_feeds(consumer, stop)),
            Some(url) => server.worker("event streams", move |stop| consume::from_streams(consumer, url, stop)),
        };
        let sender = self.clone();
        server
            .worker("mail delivery", move |stop| usecases::deliver::run(sender, stop))
            .add_service(NotificationServiceServer::new(NotificationsApi::new(self)))
    }

    fn settings(config: &Config) -> Settings<'_> {
        Settings::new(config.listen_addr, &config.serve, &config.database, &config.telemetry)
    }
}
