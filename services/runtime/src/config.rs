//! Configuration shared by every service, parsed once from flags and the
//! environment (12-factor). Services flatten these into their own `Config`;
//! nothing outside config code reads the environment.

use std::{path::PathBuf, time::Duration};

use crate::{
    auth::{KeyError, TokenVerifier},
    secret::Secret,
};

/// How logs are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line, with trace and span ids.
    Json,
}

/// Whether log lines carry ANSI colours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogColor {
    /// When standard output is a terminal.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Logging and tracing.
#[derive(Clone, Debug, clap::Args)]
pub struct TelemetryConfig {
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Colours in text logs.
    #[arg(long, env = "LOG_COLOR", value_enum, default_value_t = LogColor::Auto)]
    pub log_color: LogColor,

    /// Log filter, in `tracing_subscriber::EnvFilter` syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log_filter: String,

    /// OTLP/gRPC collector endpoint, e.g. http://localhost:4317. Spans are
    /// exported only when it is set.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// The `deployment.environment.name` resource attribute.
    #[arg(long, env = "DEPLOYMENT_ENVIRONMENT", default_value = "development")]
    pub environment: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Text,
            log_color: LogColor::Auto,
            log_filter: "info".into(),
            otlp_endpoint: None,
            environment: "development".into(),
        }
    }
}

/// The service's database.
#[derive(Clone, Debug, clap::Args)]
pub struct DatabaseConfig {
    /// `sqlite://path/to/file.db` (embedded) or `postgres://user@host/db`.
    #[arg(long = "database-url", env = "DATABASE_URL", hide_env_values = true)]
    pub url: Secret,

    /// Most connections the pool opens.
    #[arg(long = "database-pool-size", env = "DATABASE_POOL_SIZE", default_value_t = 10)]
    pub pool_size: usize,

    /// Longest wait for a pooled connection, in seconds.
    #[arg(long = "database-timeout-secs", env = "DATABASE_TIMEOUT_SECS", default_value_t = 5)]
    pub timeout_secs: u64,
}

impl DatabaseConfig {
    /// A config for `url` with the default pool settings.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: Secret::new(url), pool_size: 10, timeout_secs: 5 }
    }

    /// The pool wait limit.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// Where the public key that verifies access tokens comes from.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct AuthConfig {
    /// The Ed25519 public key (PEM, SubjectPublicKeyInfo) that verifies access tokens.
    #[arg(long, env = "JWT_PUBLIC_KEY", conflicts_with = "jwt_public_key_file")]
    pub jwt_public_key: Option<String>,

    /// A file holding that PEM.
    #[arg(long, env = "JWT_PUBLIC_KEY_FILE")]
    pub jwt_public_key_file: Option<PathBuf>,
}

impl AuthConfig {
    /// Loads the key and builds the verifier.
    pub fn verifier(&self) -> Result<TokenVerifier, KeyError> {
        let pem = match (&self.jwt_public_key, &self.jwt_public_key_file) {
            (Some(pem), _) => pem.clone().into_bytes(),
            (None, Some(path)) => {
                std::fs::read(path).map_err(|source| KeyError::Read { path: path.clone(), source })?
            }
            (None, None) => return Err(KeyError::Missing("JWT_PUBLIC_KEY or JWT_PUBLIC_KEY_FILE")),
        };
        TokenVerifier::from_public_pem(&pem)
    }
}

/// How a gRPC server runs.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeConfig {
    /// Address of the admin HTTP port (Prometheus `/metrics`); off when unset.
    #[arg(long, env = "ADMIN_LISTEN_ADDR")]
    pub admin_listen_addr: Option<std::net::SocketAddr>,

    /// Longest time any one RPC may run (a shorter client deadline wins).
    #[arg(long, env = "GRPC_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Most concurrent RPCs on one connection.
    #[arg(long, env = "GRPC_CONCURRENCY_PER_CONNECTION", default_value_t = 256)]
    pub concurrency_per_connection: usize,

    /// After SIGTERM, how long in-flight RPCs get to finish.
    #[arg(long, env = "SHUTDOWN_DRAIN_SECS", default_value_t = 20)]
    pub drain_secs: u64,

    /// How often grpc.health.v1 re-checks the database and the services this
    /// one calls, in milliseconds.
    #[arg(long, env = "HEALTH_CHECK_INTERVAL_MS", default_value_t = 5_000)]
    pub health_check_interval_ms: u64,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            admin_listen_addr: None,
            request_timeout_secs: 30,
            concurrency_per_connection: 256,
            drain_secs: 20,
            health_check_interval_ms: 5_000,
        }
    }
}

/// This service's client credentials, for calls it makes to other services.
#[derive(Clone, Debug, clap::Args)]
pub struct ServiceCredentialsConfig {
    /// Client id registered with the users service, e.g. "orders".
    #[arg(long, env = "SERVICE_CLIENT_ID")]
    pub client_id: String,

    /// The matching secret.
    #[arg(long, env = "SERVICE_CLIENT_SECRET")]
    pub client_secret: Secret,
}

/// Outgoing gRPC calls.
#[derive(Clone, Debug, clap::Args)]
pub struct ClientConfig {
    /// Longest time to establish a connection, in milliseconds.
    #[arg(long, env = "GRPC_CONNECT_TIMEOUT_MS", default_value_t = 2_000)]
    pub connect_timeout_ms: u64,

    /// Longest time one outgoing call may take when no deadline is inherited, in milliseconds.
    #[arg(long, env = "GRPC_CALL_TIMEOUT_MS", default_value_t = 10_000)]
    pub call_timeout_ms: u64,

    /// How often an upstream's host name is resolved again and each of its
    /// addresses' health checked, in milliseconds: new replicas get calls
    /// within this, and gone ones stop getting them.
    #[arg(long, env = "GRPC_RESOLVE_INTERVAL_MS", default_value_t = 5_000)]
    pub resolve_interval_ms: u64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self { connect_timeout_ms: 2_000, call_timeout_ms: 10_000, resolve_interval_ms: 5_000 }
    }
}

/// Parses an ISO 4217 currency code (three upper-case letters), for
/// `value_parser`.
pub fn currency_code(value: &str) -> Result<String, String> {
    if value.len() == 3 && value.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(value.to_owned())
    } else {
        Err("an ISO 4217 code: three upper-case letters, e.g. USD".to_owned())
    }
}
