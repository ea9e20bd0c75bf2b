//! The users service's configuration, from flags and the environment.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use shop_runtime::{
    Secret, SecretFileError,
    auth::KeyError,
    config::{DatabaseConfig, OutboxConfig, ServeConfig, TelemetryConfig},
    secret::{read_secret_file, value_or_file},
};

use crate::service_clients::ServiceClients;

/// Everything the users service needs to start.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "shop-users", version, about = "The shop mesh's users service (gRPC)")]
pub struct Config {
    /// Address to serve gRPC on; port 0 picks a free port.
    #[arg(long, env = "GRPC_LISTEN_ADDR", default_value = "0.0.0.0:50051")]
    pub listen_addr: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub signing_key: SigningKeyConfig,

    #[command(flatten)]
    pub tokens: TokenTtls,

    #[command(flatten)]
    pub admin: AdminSeedConfig,

    #[command(flatten)]
    pub limits: AbuseLimits,

    /// Services allowed to obtain `service` tokens: `id=secret,id=secret`
    /// (secrets of at least 16 characters).
    #[arg(long, env = "SERVICE_CLIENTS", default_value = "", hide_env_values = true)]
    pub service_clients: ServiceClients,

    /// A file holding more of them, in the same form (a mounted secret).
    #[arg(long, env = "SERVICE_CLIENTS_FILE")]
    pub service_clients_file: Option<PathBuf>,

    #[command(flatten)]
    pub outbox: OutboxConfig,

    #[command(flatten)]
    pub serve: ServeConfig,

    #[command(flatten)]
    pub telemetry: TelemetryConfig,
}

/// The private key that signs access tokens.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct SigningKeyConfig {
    /// Ed25519 private key, PKCS#8 PEM.
    #[arg(
        long,
        env = "JWT_PRIVATE_KEY",
        hide_env_values = true,
        conflicts_with = "jwt_private_key_file",
        required_unless_present = "jwt_private_key_file"
    )]
    pub jwt_private_key: Option<Secret>,

    /// A file holding that PEM.
    #[arg(long, env = "JWT_PRIVATE_KEY_FILE")]
    pub jwt_private_key_file: Option<PathBuf>,
}

impl SigningKeyConfig {
    /// The configured private key.
    pub fn load(&self) -> Result<Secret, KeyError> {
        match (&self.jwt_private_key, &self.jwt_private_key_file) {
            (Some(pem), _) => Ok(pem.clone()),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map(Secret::new)
                .map_err(|source| KeyError::Read { path: path.clone(), source }),
            (None, None) => Err(KeyError::Missing("JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE")),
        }
    }
}

/// Token lifetimes.
#[derive(Clone, Debug, clap::Args)]
pub struct TokenTtls {
    /// Access token lifetime, in seconds.
    #[arg(long, env = "ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Refresh token lifetime, in seconds (each rotation starts a new one).
    #[arg(long, env = "REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    pub refresh_token_ttl_secs: u64,

    /// Service token lifetime, in seconds.
    #[arg(long, env = "SERVICE_TOKEN_TTL_SECS", default_value_t = 300)]
    pub service_token_ttl_secs: u64,
}

impl Default for TokenTtls {
    fn default() -> Self {
        Self { access_token_ttl_secs: 900, refresh_token_ttl_secs: 30 * 24 * 3600, service_token_ttl_secs: 300 }
    }
}

impl TokenTtls {
    /// Access token lifetime.
    pub fn access_token(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl_secs)
    }

    /// Service token lifetime.
    pub fn service_token(&self) -> Duration {
        Duration::from_secs(self.service_token_ttl_secs)
    }

    /// Refresh token lifetime, as a date offset.
    pub fn refresh_token(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::seconds(i64::try_from(self.refresh_token_ttl_secs).unwrap_or(i64::MAX / 1000))
    }
}

/// Abuse limits on sign-in, refresh and registration; 0 turns one off.
/// Each allows its whole budget at once, then one more per share of the period.
#[derive(Clone, Debug, clap::Args)]
pub struct AbuseLimits {
    /// Sign-in attempts per minute for one account from one client address.
    #[arg(long, env = "LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = 10)]
    pub login_attempts_per_minute: u32,

    /// Sign-in attempts per minute from one client address, for any accounts.
    #[arg(long, env = "LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS", default_value_t = 60)]
    pub login_attempts_per_minute_per_address: u32,

    /// Token refreshes per minute for one account.
    #[arg(long, env = "REFRESHES_PER_MINUTE", default_value_t = 30)]
    pub refreshes_per_minute: u32,

    /// Token refreshes per minute from one client address.
    #[arg(long, env = "REFRESHES_PER_MINUTE_PER_ADDRESS", default_value_t = 120)]
    pub refreshes_per_minute_per_address: u32,

    /// Registrations per hour from one client address.
    #[arg(long, env = "REGISTRATIONS_PER_HOUR_PER_ADDRESS", default_value_t = 30)]
    pub registrations_per_hour_per_address: u32,
}

impl Default for AbuseLimits {
    fn default() -> Self {
        Self {
            login_attempts_per_minute: 10,
            login_attempts_per_minute_per_address: 60,
            refreshes_per_minute: 30,
            refreshes_per_minute_per_address: 120,
            registrations_per_hour_per_address: 30,
        }
    }
}

impl AbuseLimits {
    /// No limits at all (tests that make many accounts from one address).
    pub fn off() -> Self {
        Self {
            login_attempts_per_minute: 0,
            login_attempts_per_minute_per_address: 0,
            refreshes_per_minute: 0,
            refreshes_per_minute_per_address: 0,
            registrations_per_hour_per_address: 0,
        }
    }
}

/// The admin account made sure of at start-up.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct AdminSeedConfig {
    /// Email of the admin account to create (or promote) at start-up.
    #[arg(long, env = "SHOP_ADMIN_EMAIL", requires = "admin_password_source")]
    pub admin_email: Option<String>,

    /// Its password, used only when the account is created.
    #[arg(
        long,
        env = "SHOP_ADMIN_PASSWORD",
        hide_env_values = true,
        requires = "admin_email",
        group = "admin_password_source"
    )]
    pub admin_password: Option<Secret>,

    /// A file holding the password.
    #[arg(long, env = "SHOP_ADMIN_PASSWORD_FILE", requires = "admin_email", group = "admin_password_source")]
    pub admin_password_file: Option<PathBuf>,
}

impl AdminSeedConfig {
    /// The admin's email and password, when an admin is to be seeded.
    pub fn load(&self) -> Result<Option<(String, Secret)>, SecretFileError> {
        let password = value_or_file(self.admin_password.as_ref(), self.admin_password_file.as_deref())?;
        Ok(self.admin_email.clone().zip(password))
    }
}

impl Config {
    /// `SERVICE_CLIENTS` and those in `SERVICE_CLIENTS_FILE`.
    pub fn service_clients(&self) -> anyhow::Result<ServiceClients> {
        let Some(file) = &self.service_clients_file else {
            return Ok(self.service_clients.clone());
        };
        let from_file: ServiceClients = read_secret_file(file)?
            .expose()
            .parse()
            .map_err(|why| anyhow::anyhow!("SERVICE_CLIENTS_FILE {}: {why}", file.display()))?;
        Ok(self.service_clients.merged(from_file))
    }
}
