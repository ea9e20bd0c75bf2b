//! The orders service's configuration, from flags and the environment.

use std::{net::SocketAddr, time::Duration};

use shop_runtime::config::{
    AuthConfig, ClientConfig, DatabaseConfig, OutboxConfig, ServeConfig, ServiceCredentialsConfig, TelemetryConfig,
};

/// Everything the orders service needs to start.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "shop-orders", version, about = "The shop mesh's orders service (gRPC)")]
pub struct Config {
    /// Address to serve gRPC on; port 0 picks a free port.
    #[arg(long, env = "GRPC_LISTEN_ADDR", default_value = "0.0.0.0:50054")]
    pub listen_addr: SocketAddr,

    #[command(flatten)]
    pub upstreams: Upstreams,

    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub auth: AuthConfig,

    #[command(flatten)]
    pub credentials: ServiceCredentialsConfig,

    #[command(flatten)]
    pub client: ClientConfig,

    #[command(flatten)]
    pub saga: SagaConfig,

    #[command(flatten)]
    pub outbox: OutboxConfig,

    #[command(flatten)]
    pub serve: ServeConfig,

    #[command(flatten)]
    pub telemetry: TelemetryConfig,
}

/// Where the services the saga calls are.
#[derive(Clone, Debug, clap::Args)]
pub struct Upstreams {
    /// The users service (for this service's own token).
    #[arg(long, env = "USERS_URL", default_value = "http://127.0.0.1:50051")]
    pub users_url: String,

    /// The products service.
    #[arg(long, env = "PRODUCTS_URL", default_value = "http://127.0.0.1:50052")]
    pub products_url: String,

    /// The cart service.
    #[arg(long, env = "CART_URL", default_value = "http://127.0.0.1:50053")]
    pub cart_url: String,

    /// The payments service.
    #[arg(long, env = "PAYMENTS_URL", default_value = "http://127.0.0.1:50055")]
    pub payments_url: String,
}

/// How the checkout saga runs and recovers.
#[derive(Clone, Debug, clap::Args)]
pub struct SagaConfig {
    /// How long a checkout may drive an order before recovery may take it
    /// over, in seconds; also how long recovery leaves a failed checkout for
    /// the client to retry.
    #[arg(long, env = "SAGA_LEASE_SECS", default_value_t = 60)]
    pub saga_lease_secs: u64,

    /// How often the recovery loop looks for stuck orders, in milliseconds.
    #[arg(long, env = "RECOVERY_INTERVAL_MS", default_value_t = 2000)]
    pub recovery_interval_ms: u64,

    /// How long products hold an order's stock, in seconds.
    #[arg(long, env = "RESERVATION_TTL_SECS", default_value_t = 900)]
    pub reservation_ttl_secs: i32,
}

impl Default for SagaConfig {
    fn default() -> Self {
        Self { saga_lease_secs: 60, recovery_interval_ms: 2000, reservation_ttl_secs: 900 }
    }
}

impl SagaConfig {
    /// The lease.
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.saga_lease_secs)
    }

    /// The recovery interval.
    pub fn recovery_interval(&self) -> Duration {
        Duration::from_millis(self.recovery_interval_ms.max(10))
    }
}
