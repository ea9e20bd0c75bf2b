//! `shop`: the whole mesh on one machine with one command, each service in
//! its own process speaking real gRPC over loopback, on SQLite files in a
//! data dir. The same binary runs a single component with `shop serve <name>`.

pub mod cli;
mod databases;
mod probe;
mod secrets;
mod supervisor;
mod up;

use shop_runtime::component;

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
    if let Ok(launcher) = std::env::var(supervisor::LAUNCHER_PID_ENV) {
        supervisor::die_with_launcher(&launcher);
    }
    match component {
        Component::Users(config) => component::run::<shop_users::AppState>(config).await,
        Component::Products(config) => component::run::<shop_products::AppState>(config).await,
        Component::Cart(config) => component::run::<shop_cart::AppState>(config).await,
        Component::Orders(config) => component::run::<shop_orders::AppState>(config).await,
        Component::Payments(config) => component::run::<shop_payments::AppState>(config).await,
        Component::Notifications(config) => component::run::<shop_notifications::AppState>(config).await,
        Component::Edge(config) => component::run::<shop_edge::Edge>(config).await,
    }
}
