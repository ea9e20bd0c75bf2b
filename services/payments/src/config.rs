//! The payments service's configuration, from flags and the environment.

use std::net::SocketAddr;

use shop_runtime::config::{AuthConfig, DatabaseConfig, ServeConfig, TelemetryConfig};

/// Everything the payments service needs to start.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "shop-payments", version, about = "The shop mesh's payments service (gRPC)")]
pub struct Config {
    /// Address to serve gRPC on; port 0 picks a free port.
    #[arg(long, env = "GRPC_LISTEN_ADDR", default_value = "0.0.0.0:50055")]
    pub listen_addr: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub auth: AuthConfig,

    #[command(flatten)]
    pub serve: ServeConfig,

    #[command(flatten)]
    pub telemetry: TelemetryConfig,
}
