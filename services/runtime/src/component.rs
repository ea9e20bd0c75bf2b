//! A component of the mesh as a process: a gRPC [`Service`], or the edge.
//! Its binary's `main` is one call to [`main`]; the launcher's
//! `shop serve <name>` calls [`run`].

use std::{future::Future, process::ExitCode};

use anyhow::Context as _;

use crate::{
    Shutdown,
    config::TelemetryConfig,
    exit,
    service::{self, Service},
    telemetry,
};

/// What runs as one process.
pub trait Component {
    /// Its flags and environment.
    type Config: clap::Parser + Send + 'static;
    /// Its name in logs, traces and the launcher.
    const NAME: &'static str;

    /// Where its telemetry is configured.
    fn telemetry(config: &Self::Config) -> &TelemetryConfig;

    /// Serves until `shutdown` fires, then drains.
    fn run(config: Self::Config, shutdown: Shutdown) -> impl Future<Output = anyhow::Result<()>> + Send;
}

impl<S: Service> Component for S {
    type Config = S::Config;
    const NAME: &'static str = S::NAME;

    fn telemetry(config: &Self::Config) -> &TelemetryConfig {
        S::settings(config).telemetry
    }

    fn run(config: Self::Config, shutdown: Shutdown) -> impl Future<Output = anyhow::Result<()>> + Send {
        service::run::<S>(config, shutdown)
    }
}

/// Runs `C` with its telemetry installed until SIGTERM or Ctrl-C, drains,
/// then flushes the spans still buffered.
pub async fn run<C: Component>(config: C::Config) -> anyhow::Result<()> {
    let telemetry = telemetry::init(C::NAME, C::telemetry(&config))?;
    let result = C::run(config, Shutdown::on_signals()).await;
    telemetry.shutdown();
    result
}

/// The whole of a component's binary: parses the flags and environment,
/// runs it on a multi-threaded runtime, and turns a failure into one line on
/// stderr and a non-zero exit.
pub fn main<C: Component>() -> ExitCode {
    let config = <C::Config as clap::Parser>::parse();
    let outcome = tokio::runtime::Runtime::new()
        .context("starting the async runtime")
        .and_then(|runtime| runtime.block_on(run::<C>(config)));
    exit::report(outcome)
}
