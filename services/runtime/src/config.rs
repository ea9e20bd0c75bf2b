//! Configuration shared by every service, parsed once from flags and the
//! environment (12-factor). Services flatten these into their own `Config`;
//! nothing outside config code reads the environment.

mod otlp;

use std::{path::PathBuf, time::Duration};

pub use otlp::{OtlpConfig, OtlpConfigError};

use crate::{
    auth::{KeyError, TokenVerifier},
    secret::{Secret, SecretFileError, read_secret_file, value_or_file},
};

/// Why `DATABASE_PASSWORD_FILE` cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("DATABASE_PASSWORD_FILE: {0}")]
pub struct PasswordFileError(String);

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

    /// Which spans reach traces, in `tracing_subscriber` targets syntax.
    /// Database statements are DEBUG spans under `shop_runtime::db`
    /// (`info,shop_runtime::db=debug` adds them); transactions are INFO.
    #[arg(long, env = "TRACE_FILTER", default_value = "info")]
    pub trace_filter: String,

    /// Where spans are exported, if anywhere, and how they are batched.
    #[command(flatten)]
    pub otlp: OtlpConfig,

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
            trace_filter: "info".into(),
            otlp: OtlpConfig::default(),
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

    /// A file holding the PostgreSQL password, for a `DATABASE_URL` without one
    /// (a mounted secret).
    #[arg(long = "database-password-file", env = "DATABASE_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,

    /// Set by Kubernetes in every pod. There, SQLite is refused: each
    /// replica would write a database of its own, lost with its pod.
    #[arg(long, env = "KUBERNETES_SERVICE_HOST", hide = true)]
    pub kubernetes_service_host: Option<String>,
}

impl DatabaseConfig {
    /// A config for `url` with the default pool settings.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: Secret::new(url),
            pool_size: 10,
            timeout_secs: 5,
            password_file: None,
            kubernetes_service_host: None,
        }
    }

    /// `DATABASE_URL`, with the password from `DATABASE_PASSWORD_FILE` when
    /// one is named (PostgreSQL only; the file wins over a password in the URL).
    pub fn connection_url(&self) -> Result<Secret, PasswordFileError> {
        let Some(file) = &self.password_file else {
            return Ok(self.url.clone());
        };
        let password = read_secret_file(file).map_err(|e| PasswordFileError(e.to_string()))?;
        let mut url = url::Url::parse(self.url.expose())
            .ok()
            .filter(|url| matches!(url.scheme(), "postgres" | "postgresql") && url.has_host())
            .ok_or_else(|| PasswordFileError("needs a postgres:// DATABASE_URL with a host".to_owned()))?;
        url.set_password(Some(password.expose()))
            .map_err(|()| PasswordFileError("DATABASE_URL cannot take a password".to_owned()))?;
        Ok(Secret::new(String::from(url)))
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
    #[arg(
        long,
        env = "JWT_PUBLIC_KEY",
        conflicts_with = "jwt_public_key_file",
        required_unless_present = "jwt_public_key_file"
    )]
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
    #[arg(
        long,
        env = "SERVICE_CLIENT_SECRET",
        hide_env_values = true,
        required_unless_present = "client_secret_file",
        conflicts_with = "client_secret_file"
    )]
    pub client_secret: Option<Secret>,

    /// A file holding the secret.
    #[arg(long, env = "SERVICE_CLIENT_SECRET_FILE")]
    pub client_secret_file: Option<PathBuf>,
}

impl ServiceCredentialsConfig {
    /// Credentials given directly.
    pub fn new(client_id: impl Into<String>, client_secret: Secret) -> Self {
        Self { client_id: client_id.into(), client_secret: Some(client_secret), client_secret_file: None }
    }

    /// The secret, given or read from its file.
    pub fn secret(&self) -> Result<Secret, SecretFileError> {
        let secret = value_or_file(self.client_secret.as_ref(), self.client_secret_file.as_deref())?;
        // clap requires one of the two.
        Ok(secret.unwrap_or_else(|| Secret::new("")))
    }
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

/// A producer's outbox of domain events.
#[derive(Clone, Debug, clap::Args)]
pub struct OutboxConfig {
    /// How often committed events are given their place in the feed, in
    /// milliseconds: the most an event waits before consumers can have it.
    #[arg(long, env = "OUTBOX_RELAY_INTERVAL_MS", default_value_t = 100)]
    pub relay_interval_ms: u64,

    /// How long published events are kept, in hours. A consumer that falls
    /// further behind than this misses events.
    #[arg(long, env = "OUTBOX_RETENTION_HOURS", default_value_t = 168)]
    pub retention_hours: u64,

    #[command(flatten)]
    pub nats: NatsConfig,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self { relay_interval_ms: 100, retention_hours: 168, nats: NatsConfig::default() }
    }
}

/// NATS JetStream as the events' transport (see [`crate::nats`]).
#[derive(Clone, Debug, clap::Args)]
pub struct NatsConfig {
    /// NATS server URL, e.g. nats://127.0.0.1:4222. When set, events go
    /// through JetStream: producers' relays publish each event there before
    /// giving it its feed position, and consumers read the streams. Unset,
    /// the producers' feeds are the only transport.
    #[arg(long, env = "NATS_URL")]
    pub nats_url: Option<String>,

    /// Names this mesh's streams and subjects (`<PREFIX>_EVENTS_USERS`,
    /// `<prefix>.events.users.>`), so that meshes can share a server.
    #[arg(long, env = "NATS_PREFIX", default_value = "shop", value_parser = nats_prefix)]
    pub nats_prefix: String,

    /// How long the streams keep events, in hours.
    #[arg(long, env = "NATS_MAX_AGE_HOURS", default_value_t = 168)]
    pub nats_max_age_hours: u64,
}

impl Default for NatsConfig {
    fn default() -> Self {
        Self { nats_url: None, nats_prefix: "shop".to_owned(), nats_max_age_hours: 168 }
    }
}

/// A NATS prefix: letters, digits, `_` and `-` (it is a stream name's
/// start and a subject's first token).
fn nats_prefix(value: &str) -> Result<String, String> {
    let fits = !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match fits {
        true => Ok(value.to_owned()),
        false => Err("letters, digits, '_' and '-' only, e.g. shop".to_owned()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_file_completes_a_postgres_url() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("postgres-password");
        std::fs::write(&file, "p@ss/word\n").unwrap();
        let config = DatabaseConfig {
            password_file: Some(file),
            ..DatabaseConfig::new("postgres://shop@postgres:5432/users?sslmode=disable")
        };
        assert_eq!(
            config.connection_url().unwrap().expose(),
            "postgres://shop:p%40ss%2Fword@postgres:5432/users?sslmode=disable"
        );
    }

    #[test]
    fn a_password_file_needs_a_postgres_url_and_a_readable_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("postgres-password");
        std::fs::write(&file, "secret").unwrap();
        let sqlite = DatabaseConfig { password_file: Some(file), ..DatabaseConfig::new("sqlite://users.db") };
        assert!(sqlite.connection_url().unwrap_err().to_string().starts_with("DATABASE_PASSWORD_FILE"));
        let missing = DatabaseConfig {
            password_file: Some(dir.path().join("nope")),
            ..DatabaseConfig::new("postgres://shop@db/users")
        };
        assert!(missing.connection_url().unwrap_err().to_string().contains("nope"));
        assert_eq!(DatabaseConfig::new("sqlite://u.db").connection_url().unwrap().expose(), "sqlite://u.db");
    }
}
