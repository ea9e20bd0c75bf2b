//! The users service: accounts, passwords, access tokens signed with the
//! mesh's private key, rotating refresh tokens, and service tokens.
//!
//! [`run`] is what the binary and the `shop` launcher call; [`AppState::build`]
//! and [`serve`] are split out so tests can serve on a port of their choosing.

pub mod accounts;
mod clients;
pub mod config;
pub mod domain;
mod error;
pub mod keys;
mod passwords;
mod schema;
mod service;
pub mod store;
mod throttle;
pub mod tokens;

use std::sync::Arc;

use anyhow::Context as _;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use shop_proto::users::v1::user_service_server::UserServiceServer;
use shop_runtime::{
    Shutdown,
    auth::TokenVerifier,
    config::ServeConfig,
    db::{Db, Migrations},
    grpc::{GrpcServer, Listeners, ServeError, bind_and_serve},
};

pub use clients::ServiceClients;
pub use config::Config;
pub use error::Error;
pub use service::UsersApi;

use crate::{config::TokenTtls, passwords::Passwords, throttle::Throttles, tokens::TokenSigner};

/// The service's name in telemetry and the launcher.
pub const SERVICE_NAME: &str = "users";

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The users schema, per backend.
pub const MIGRATIONS: Migrations = Migrations { sqlite: || SQLITE_MIGRATIONS, postgres: || POSTGRES_MIGRATIONS };

/// What every RPC shares.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Verifies access tokens (the public half of the signing key).
    pub verifier: TokenVerifier,
    signer: Arc<TokenSigner>,
    passwords: Passwords,
    clients: ServiceClients,
    ttls: TokenTtls,
    throttles: Throttles,
}

impl AppState {
    /// Connects and migrates the database, loads the signing key and seeds the admin.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let private_key = config.signing_key.load().context("loading the signing key")?;
        let (signer, verifier) = TokenSigner::from_private_pem(&private_key).context("loading the signing key")?;
        let db = Db::connect(&config.database).await.context("opening the database")?;
        db.migrate(&MIGRATIONS).await.context("migrating the database")?;
        let state = Self {
            db,
            verifier,
            signer: Arc::new(signer),
            passwords: Passwords::new().await.context("preparing password hashing")?,
            clients: config.service_clients()?,
            ttls: config.tokens.clone(),
            throttles: Throttles::new(&config.limits),
        };
        if let Some((email, password)) = config.admin.load()? {
            accounts::seed_admin(&state, &email, password.expose()).await.context("seeding the admin account")?;
        }
        Ok(state)
    }
}

/// Serves the users API on `listeners` until `shutdown` fires.
pub async fn serve(
    listeners: Listeners,
    state: AppState,
    config: ServeConfig,
    shutdown: Shutdown,
) -> Result<(), ServeError> {
    GrpcServer::new(config, state.verifier.clone())
        .database(state.db.clone())
        .add_service(UserServiceServer::new(UsersApi::new(state)))
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
