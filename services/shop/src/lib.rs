//! `shop`: the whole mesh on one machine with one command, each service in
//! its own process speaking real gRPC over loopback, on SQLite files in a
//! data dir. The same binary runs a single component with `shop serve <name>`.

pub mod cli;
mod databases;
mod probe;
mod secrets;
mod supervisor;
mod up;

use shop_runtime::{Shutdown, telemetry};

pub use cli::{Cli, Command, Component, ServeArgs, UpArgs};
pub use up::up;

/// Runs what the command line asks for.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => up(cli.up).await,
        Some(Command::Up(args)) => up(args).await,
        Some(Command::Serve(ServeArgs { check: true, component })) => {
            println!("{component:#?}");
            Ok(())
        }
        Some(Command::Serve(ServeArgs { check: false, component })) => serve(component).await,
        Some(Command::Probe(args)) => probe::probe(args).await,
        Some(Command::GenerateSecrets { dir }) => {
            let created = secrets::generate_deployment_secrets(&dir)
                .map_err(|e| anyhow::anyhow!("generating secrets in {}: {e}", dir.display()))?;
            eprintln!(
                "secrets in {}: created {}",
                dir.display(),
                if created.is_empty() { "none".to_owned() } else { created.join(", ") }
            );
            Ok(())
        }
    }
}

async fn serve(component: Component) -> anyhow::Result<()> {
    let (name, telemetry_config) = match &component {
        Component::Users(config) => (shop_users::SERVICE_NAME, config.telemetry.clone()),
        Component::Products(config) => (shop_products::SERVICE_NAME, config.telemetry.clone()),
        Component::Cart(config) => (shop_cart::SERVICE_NAME, config.telemetry.clone()),
        Component::Orders(config) => (shop_orders::SERVICE_NAME, config.telemetry.clone()),
        Component::Payments(config) => (shop_payments::SERVICE_NAME, config.telemetry.clone()),
        Component::Edge(config) => (shop_edge::SERVICE_NAME, config.telemetry.clone()),
    };
    let telemetry = telemetry::init(name, &telemetry_config)?;
    if let Ok(launcher) = std::env::var(supervisor::LAUNCHER_PID_ENV) {
        supervisor::die_with_launcher(&launcher);
    }
    let shutdown = Shutdown::on_signals();
    let result = match component {
        Component::Users(config) => shop_users::run(config, shutdown).await,
        Component::Products(config) => shop_products::run(config, shutdown).await,
        Component::Cart(config) => shop_cart::run(config, shutdown).await,
        Component::Orders(config) => shop_orders::run(config, shutdown).await,
        Component::Payments(config) => shop_payments::run(config, shutdown).await,
        Component::Edge(config) => shop_edge::run(config, shutdown).await,
    };
    telemetry.shutdown();
    result
}
