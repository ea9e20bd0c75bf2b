//! The cart service's configuration, from flags and the environment.

use std::net::SocketAddr;

use shop_runtime::config::{AuthConfig, ClientConfig, DatabaseConfig, ServeConfig, TelemetryConfig, currency_code};

/// Everything the cart service needs to start.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "shop-cart", version, about = "The shop mesh's cart service (gRPC)")]
pub struct Config {
    /// Address to serve gRPC on; port 0 picks a free port.
    #[arg(long, env = "GRPC_LISTEN_ADDR", default_value = "0.0.0.0:50053")]
    pub listen_addr: SocketAddr,

    /// The products service.
    #[arg(long, env = "PRODUCTS_URL", default_value = "http://127.0.0.1:50052")]
    pub products_url: String,

    /// The catalog's currency (ISO 4217): an empty cart's total is zero in it.
    #[arg(long, env = "CATALOG_CURRENCY", default_value = "USD", value_parser = currency_code)]
    pub currency: String,

    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub auth: AuthConfig,

    #[command(flatten)]
    pub client: ClientConfig,

    #[command(flatten)]
    pub serve: ServeConfig,

    #[command(flatten)]
    pub telemetry: TelemetryConfig,
}
