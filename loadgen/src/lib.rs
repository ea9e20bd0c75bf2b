//! The shop mesh's load generator, on [goose]: storefront traffic over the
//! edge's REST and GraphQL APIs, and products' gRPC API as a floor.
//!
//! `shop-loadgen run` drives one scenario against a running mesh, with
//! goose's options (`--users`, `--run-time`, `--running-metrics` for live
//! progress, `--report-file report.html|.json|.md`); `shop-loadgen bench`
//! starts a mesh of its own and runs the standard profile (see [`bench`]).

pub mod bench;
mod http;
mod procs;
mod scenario_kind;
mod scenarios;
mod setup;
mod summary;

use std::process::ExitCode;

use goose::{config::GooseConfiguration, prelude::*};

pub use scenario_kind::ScenarioKind;
pub use setup::TargetArgs;
pub use summary::Summary;

/// The edge, unless `--host` says otherwise.
pub const DEFAULT_HOST: &str = "http://127.0.0.1:8080";

/// `shop-loadgen`'s command line.
#[derive(Debug, clap::Parser)]
#[command(name = "shop-loadgen", version, about = "Load generator for the shop mesh (goose)")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Drives one scenario against a running mesh; goose's options apply.
    Run(Box<RunArgs>),
    /// Starts a mesh (the release `shop` launcher) and runs the standard
    /// profile: the /healthz floor and every scenario at 2 and 32 users; prints
    /// one table, the ratios, CPU time per operation and each service's RSS.
    /// With `--against <shop>`, compares that build with `--shop` instead.
    Bench(bench::BenchArgs),
}

/// One scenario against a running mesh.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The traffic to send.
    #[arg(long, value_enum, default_value_t = ScenarioKind::Storefront)]
    pub scenario: ScenarioKind,

    #[command(flatten)]
    pub target: TargetArgs,

    /// Exit with status 1 if any request failed (CI's smoke run).
    #[arg(long)]
    pub fail_on_errors: bool,

    #[command(flatten)]
    pub goose: GooseConfiguration,
}

/// Runs the command line; the exit status says whether it went well.
pub async fn main(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Command::Run(args) => run(*args).await,
        Command::Bench(args) => bench::run(args)
            .await
            .map(|report| if report.failures == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("shop-loadgen: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let host = args.goose.host.clone().unwrap_or_else(|| DEFAULT_HOST.to_owned());
    setup::prepare(&host, &args.target, args.scenario).await?;
    let metrics = attack(args.goose, args.scenario).await?;
    let summary = Summary::of(&metrics);
    println!("{}", summary.table(&format!("{} ({} users)", args.scenario, metrics.maximum_users)));
    Ok(if args.fail_on_errors && summary.failures() > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Runs `scenario` with goose's `configuration` against a prepared target.
pub async fn attack(configuration: GooseConfiguration, scenario: ScenarioKind) -> anyhow::Result<GooseMetrics> {
    let mut attack =
        *GooseAttack::initialize_with_config(configuration)?.set_default(GooseDefault::Host, DEFAULT_HOST)?;
    for one in scenarios::build(scenario)? {
        attack = attack.register_scenario(one);
    }
    Ok(attack.execute().await?)
}
