//! `shop`: start the whole mesh (`shop`), or one component (`shop serve users`).

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    shop_runtime::exit::report(shop::run(shop::Cli::parse()).await)
}
