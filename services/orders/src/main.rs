//! `shop-orders`: the orders service on its own, configured by flags and env.

use std::process::ExitCode;

use clap::Parser;
use shop_runtime::{Shutdown, exit, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let config = shop_orders::Config::parse();
    exit::report(
        async {
            let telemetry = telemetry::init(shop_orders::SERVICE_NAME, &config.telemetry)?;
            let result = shop_orders::run(config, Shutdown::on_signals()).await;
            telemetry.shutdown();
            result
        }
        .await,
    )
}
