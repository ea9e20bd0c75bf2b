//! `shop-products`: the products service on its own, configured by flags and env.

use std::process::ExitCode;

use clap::Parser;
use shop_runtime::{Shutdown, exit, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let config = shop_products::Config::parse();
    exit::report(
        async {
            let telemetry = telemetry::init(shop_products::SERVICE_NAME, &config.telemetry)?;
            let result = shop_products::run(config, Shutdown::on_signals()).await;
            telemetry.shutdown();
            result
        }
        .await,
    )
}
