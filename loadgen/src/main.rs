//! `shop-loadgen`: see the library for what it runs.

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shop_loadgen::main(shop_loadgen::Cli::parse()).await
}
