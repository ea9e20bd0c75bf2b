//! `shop`: start the whole mesh (`shop`), or one component (`shop serve users`).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Before any thread starts: taking handed sockets edits the environment.
    let handed = shop_runtime::listen::inherit();
    let cli = shop::Cli::parse();
    let outcome = match (handed, tokio::runtime::Runtime::new()) {
        (Ok(_), Ok(runtime)) => runtime.block_on(shop::run(cli)),
        (Err(error), _) => Err(anyhow::Error::new(error).context("taking the sockets handed to this process")),
        (_, Err(error)) => Err(anyhow::Error::new(error).context("starting the async runtime")),
    };
    shop_runtime::exit::report(outcome)
}
