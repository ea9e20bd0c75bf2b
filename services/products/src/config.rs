//! The products service's configuration, from flags and the environment.

use std::{net::SocketAddr, time::Duration};

use shop_runtime::config::{AuthConfig, DatabaseConfig, OutboxConfig, ServeConfig, TelemetryConfig, currency_code};

/// Everything the products service needs to start.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "shop-products", version, about = "The shop mesh's products service (gRPC)")]
pub struct Config {
    /// Address to serve gRPC on; port 0 picks a free port.
    #[arg(long, env = "GRPC_LISTEN_ADDR", default_value = "0.0.0.0:50052")]
    pub listen_addr: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub auth: AuthConfig,

    #[command(flatten)]
    pub catalog: CatalogConfig,

    #[command(flatten)]
    pub outbox: OutboxConfig,

    #[command(flatten)]
    pub serve: ServeConfig,

    #[command(flatten)]
    pub telemetry: TelemetryConfig,
}

/// The catalog and its stock.
#[derive(Clone, Debug, clap::Args)]
pub struct CatalogConfig {
    /// The one currency every price is in (ISO 4217).
    #[arg(long, env = "CATALOG_CURRENCY", default_value = "USD", value_parser = currency_code)]
    pub currency: String,

    /// Seed the demo catalog into an empty database.
    #[arg(long, env = "SEED_DEMO_CATALOG", default_value_t = false, action = clap::ArgAction::Set)]
    pub seed_demo_catalog: bool,

    /// How long a reservation holds stock when the caller does not say, in seconds.
    #[arg(long, env = "RESERVATION_TTL_SECS", default_value_t = 900)]
    pub reservation_ttl_secs: u64,

    /// How often overdue reservations are expired, in milliseconds.
    #[arg(long, env = "RESERVATION_SWEEP_MS", default_value_t = 1000)]
    pub reservation_sweep_ms: u64,

    /// A product whose available stock falls below this many units is
    /// announced with a StockLow event (once per fall).
    #[arg(long, env = "STOCK_LOW_THRESHOLD", default_value_t = 5, value_parser = clap::value_parser!(i32).range(1..))]
    pub stock_low_threshold: i32,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        Self {
            currency: "USD".into(),
            seed_demo_catalog: false,
            reservation_ttl_secs: 900,
            reservation_sweep_ms: 1000,
            stock_low_threshold: 5,
        }
    }
}

impl CatalogConfig {
    /// The default reservation hold.
    pub fn reservation_ttl(&self) -> Duration {
        Duration::from_secs(self.reservation_ttl_secs)
    }

    /// The sweep interval.
    pub fn sweep_interval(&self) -> Duration {
        Duration::from_millis(self.reservation_sweep_ms.max(10))
    }
}
