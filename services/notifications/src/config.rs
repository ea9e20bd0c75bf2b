//! The notifications service's configuration, from flags and the environment.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use shop_runtime::{
    Secret,
    config::{
        AuthConfig, ClientConfig, DatabaseConfig, NatsConfig, ServeConfig, ServiceCredentialsConfig, TelemetryConfig,
    },
};

/// Everything the notifications service needs to start.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "shop-notifications", version, about = "The shop mesh's notifications service (gRPC)")]
pub struct Config {
    /// Address to serve gRPC on; port 0 picks a free port.
    #[arg(long, env = "GRPC_LISTEN_ADDR", default_value = "0.0.0.0:50056")]
    pub listen_addr: SocketAddr,

    #[command(flatten)]
    pub producers: Producers,

    #[command(flatten)]
    pub mail: MailConfig,

    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub auth: AuthConfig,

    #[command(flatten)]
    pub credentials: ServiceCredentialsConfig,

    #[command(flatten)]
    pub client: ClientConfig,

    #[command(flatten)]
    pub serve: ServeConfig,

    #[command(flatten)]
    pub telemetry: TelemetryConfig,
}

/// Where the events come from, and the users service (addresses).
#[derive(Clone, Debug, clap::Args)]
pub struct Producers {
    /// The users service: its events, account addresses and service tokens.
    #[arg(long, env = "USERS_URL", default_value = "http://127.0.0.1:50051")]
    pub users_url: String,

    /// The products service's events.
    #[arg(long, env = "PRODUCTS_URL", default_value = "http://127.0.0.1:50052")]
    pub products_url: String,

    /// The orders service's events.
    #[arg(long, env = "ORDERS_URL", default_value = "http://127.0.0.1:50054")]
    pub orders_url: String,

    /// The payments service's events.
    #[arg(long, env = "PAYMENTS_URL", default_value = "http://127.0.0.1:50055")]
    pub payments_url: String,

    /// With `NATS_URL` set, events are consumed from JetStream (a durable
    /// consumer per producer's stream); unset, from each producer's feed.
    #[command(flatten)]
    pub nats: NatsConfig,
}

/// How mails are sent.
#[derive(Clone, Debug, clap::Args)]
pub struct MailConfig {
    /// SMTP server, e.g. smtp://mailpit:1025 (lettre's URL form). Unset, mails
    /// are written to MAIL_DIR as .eml files.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,

    /// Where mails go without SMTP_URL: one .eml file per mail.
    #[arg(long, env = "MAIL_DIR", default_value = "data/mail")]
    pub mail_dir: PathBuf,

    /// The From address.
    #[arg(long, env = "MAIL_FROM", default_value = "Shop Mesh <shop@shop-mesh.localhost>")]
    pub from: String,

    /// Send attempts before a mail goes to the dead-letter table.
    #[arg(long, env = "MAIL_MAX_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,

    /// The wait after the first failed attempt, in milliseconds; it doubles
    /// with each failure, up to five minutes.
    #[arg(long, env = "MAIL_RETRY_MS", default_value_t = 1000)]
    pub retry_ms: u64,

    /// Longest wait for the SMTP server, per mail, in milliseconds.
    #[arg(long, env = "SMTP_TIMEOUT_MS", default_value_t = 10_000)]
    pub smtp_timeout_ms: u64,
}

impl MailConfig {
    /// Mails to `mail_dir`, retried from `retry_ms`.
    pub fn to_directory(mail_dir: PathBuf) -> Self {
        Self {
            smtp_url: None,
            mail_dir,
            from: "Shop Mesh <shop@shop-mesh.localhost>".to_owned(),
            max_attempts: 8,
            retry_ms: 1000,
            smtp_timeout_ms: 10_000,
        }
    }

    /// The wait after the first failed attempt.
    pub fn first_retry(&self) -> Duration {
        Duration::from_millis(self.retry_ms.max(1))
    }

    /// The SMTP timeout.
    pub fn smtp_timeout(&self) -> Duration {
        Duration::from_millis(self.smtp_timeout_ms.max(1))
    }
}
