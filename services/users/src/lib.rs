//! The users service: accounts, passwords, access tokens signed with the
//! mesh's private key, rotating refresh tokens, and service tokens.
//!
//! [`AppState`] is the service as the runtime sees it (see
//! `shop_runtime::service`).

mod api;
pub mod config;
mod convert;
pub mod domain;
mod error;
pub mod keys;
mod passwords;
mod schema;
mod service_clients;
mod state;
mod store;
mod throttle;
mod tokens;
mod usecases;

use std::sync::Arc;

use anyhow::Context as _;
use shop_proto::users::v1::user_service_server::UserServiceServer;
use shop_runtime::{outbox::Outbox, service::prelude::*};

use crate::{passwords::Passwords, throttle::Throttles, tokens::TokenSigner};

pub use api::UsersApi;
pub use config::Config;
pub use error::Error;
pub use service_clients::ServiceClients;
pub use state::AppState;

impl Service for AppState {
    type Config = Config;
    const NAME: &'static str = "users";
    const MIGRATIONS: Migrations = embedded_migrations!();
    const PUBLISHES_EVENTS: bool = true;

    /// Loads the signing key and seeds the admin.
    async fn build(config: &Config, db: Db) -> anyhow::Result<Self> {
        let private_key = config.signing_key.load().context("loading the signing key")?;
        let (signer, verifier) = TokenSigner::from_private_pem(&private_key).context("loading the signing key")?;
        let state = Self {
            outbox: Outbox::new(db.clone(), &config.outbox),
            db,
            verifier,
            signer: Arc::new(signer),
            passwords: Passwords::new().await.context("preparing password hashing")?,
            clients: config.service_clients()?,
            ttls: config.tokens.clone(),
            throttles: Throttles::new(&config.limits),
        };
        if let Some((email, password)) = config.admin.load()? {
            usecases::accounts::seed_admin(&state, &email, password.expose())
                .await
                .context("seeding the admin account")?;
        }
        Ok(state)
    }

    /// Also publishes account events (relayed from its outbox, fed to consumers).
    fn server(self, serve: ServeConfig) -> GrpcServer {
        let server = GrpcServer::new(serve, self.verifier.clone()).database(self.db.clone());
        self.outbox.serve_on(server).add_service(UserServiceServer::new(UsersApi::new(self)))
    }

    fn settings(config: &Config) -> Settings<'_> {
        Settings::new(config.listen_addr, &config.serve, &config.database, &config.telemetry)
    }
}
