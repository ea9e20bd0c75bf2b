//! The payments service's configuration, from flags and the environment.

use std::{net::SocketAddr, time::Duration};

use shop_runtime::config::{AuthConfig, DatabaseConfig, OutboxConfig, ServeConfig, TelemetryConfig};

/// Everything the payments service needs to start.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "shop-payments", version, about = "The shop mesh's payments service (gRPC)")]
pub struct Config {
    /// Address to serve gRPC on; port 0 picks a free port.
    #[arg(long, env = "GRPC_LISTEN_ADDR", default_value = "0.0.0.0:50055")]
    pub listen_addr: SocketAddr,

    /// How long one processor attempt holds a charge, in seconds. An attempt
    /// that stops before it records the processor's answer (its process died,
    /// or its database went away) keeps the charge this long; until then no
    /// other attempt may charge and no void may close it, so an order waiting
    /// on it stays PENDING. Keep it longer than the processor's longest call
    /// and no longer than orders' `SAGA_LEASE_SECS`, so recovery finishes such
    /// an order within one lease.
    #[arg(long, env = "CHARGE_CLAIM_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub charge_claim_secs: u64,

    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub auth: AuthConfig,

    #[command(flatten)]
    pub outbox: OutboxConfig,

    #[command(flatten)]
    pub serve: ServeConfig,

    #[command(flatten)]
    pub telemetry: TelemetryConfig,
}

impl Config {
    /// How long one processor attempt holds a charge.
    pub fn charge_claim(&self) -> Duration {
        Duration::from_secs(self.charge_claim_secs)
    }
}
