//! The bench: one run that starts a mesh (the release `shop` launcher, on
//! SQLite in a temporary directory, on ports below the ephemeral range),
//! measures the edge's /healthz floor and every scenario at 2 and 32 users,
//! and prints one table, the ratios the targets are stated in, the mesh's CPU
//! time per operation and each component's memory, idle and after the load.

use std::{path::PathBuf, time::Duration};

use anyhow::{Context as _, bail};
use goose::config::GooseConfiguration;
use serde::Serialize;
use tokio::process::{Child, Command};

mod postgres;

use crate::{
    ScenarioKind, Summary, TargetArgs, attack,
    procs::{self, Component},
    scenarios, setup,
    summary::header,
};

/// `shop-loadgen bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The launcher to start; build it with `cargo build --release --bins`.
    #[arg(long, default_value = "target/release/shop")]
    pub shop: PathBuf,

    /// Seconds each step runs once its users have started.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,

    /// The edge's port; the services take the next ones down (below 32768,
    /// outside the ephemeral range).
    #[arg(long, default_value_t = 18080)]
    pub port: u16,

    /// Where the HTML and JSON reports go.
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,

    /// Run the services on this PostgreSQL server instead of SQLite: a URL
    /// naming any database the user may connect to. The bench creates its
    /// own databases there and drops them when it ends.
    #[arg(long, env = "SHOP_BENCH_POSTGRES_URL", hide_env_values = true)]
    pub postgres: Option<String>,
}

/// One step of the standard profile.
struct Step {
    scenario: ScenarioKind,
    users: usize,
    /// The request that counts as the operation, for CPU per operation.
    operation: &'static str,
}

const PROFILE: [Step; 11] = [
    Step { scenario: ScenarioKind::Healthz, users: 32, operation: "/healthz" },
    Step { scenario: ScenarioKind::RestPage, users: 2, operation: "page_size=20" },
    Step { scenario: ScenarioKind::RestPage, users: 32, operation: "page_size=20" },
    Step { scenario: ScenarioKind::GraphqlPage, users: 2, operation: "products(first: 20)" },
    Step { scenario: ScenarioKind::GraphqlPage, users: 32, operation: "products(first: 20)" },
    Step { scenario: ScenarioKind::GrpcPage, users: 32, operation: "ListProducts" },
    Step { scenario: ScenarioKind::Product, users: 32, operation: "/api/v1/products/{id}" },
    Step { scenario: ScenarioKind::Cart, users: 32, operation: "PATCH /api/v1/cart/items" },
    Step { scenario: ScenarioKind::Checkout, users: 2, operation: "(checkout)" },
    Step { scenario: ScenarioKind::Checkout, users: 32, operation: "(checkout)" },
    Step { scenario: ScenarioKind::Storefront, users: 32, operation: "" },
];

/// What one step measured.
#[derive(Debug, Serialize)]
struct Measured {
    step: String,
    summary: Summary,
    /// Mesh CPU milliseconds per operation, all components together.
    cpu_ms_per_operation: f64,
    /// The same, by component.
    cpu_ms_by_component: Vec<(String, f64)>,
}

/// What a bench run found, printed as it went.
#[derive(Debug)]
pub struct BenchReport {
    /// Requests sent, every step together.
    pub requests: usize,
    /// Requests that failed.
    pub failures: usize,
}

/// Runs the bench and prints its figures.
pub async fn run(args: BenchArgs) -> anyhow::Result<BenchReport> {
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let data = tempfile::tempdir()?;
    let admin_password = uuid::Uuid::now_v7().simple().to_string();
    let postgres = args.postgres.as_deref().map(postgres::BenchDatabases::new);
    let mut launcher = start_mesh(&args, data.path(), &admin_password, postgres.as_ref())?;
    let outcome = measure(&args, &launcher, admin_password).await;
    stop(&mut launcher).await;
    if let Some(postgres) = postgres {
        postgres.drop_all().await?;
    }
    outcome
}

async fn measure(args: &BenchArgs, launcher: &Child, admin_password: String) -> anyhow::Result<BenchReport> {
    let host = format!("http://127.0.0.1:{}", args.port);
    wait_ready(&host).await?;
    let components = procs::components_of(launcher.id().context("the launcher exited")?)?;
    if components.len() < 6 {
        bail!("found {} components under the launcher, expected 6", components.len());
    }
    let idle: Vec<f64> = components.iter().map(|c| procs::rss_mib(c.pid).unwrap_or(0.0)).collect();
    let target = TargetArgs {
        products_url: format!("http://127.0.0.1:{}", args.port - 28),
        admin_email: Some("admin@example.com".into()),
        admin_password: Some(admin_password),
    };
    setup::prepare(&host, &target, ScenarioKind::Storefront).await?;
    let most_users = PROFILE.iter().map(|s| s.users).max().unwrap_or(0);
    scenarios::sign_up_ahead(&host, most_users).await?;

    let mut measured = Vec::new();
    for step in &PROFILE {
        let name = format!("{} @{}", step.scenario, step.users);
        eprintln!("bench: {name} for {} s", args.seconds);
        let before = cpu(&components);
        let report = args.out.join(format!("{}-{}.html", step.scenario, step.users));
        let metrics = attack(configuration(&host, step.users, args.seconds, &report), step.scenario).await?;
        let after = cpu(&components);
        let summary = Summary::of(&metrics);
        let operations =
            summary.rows.iter().filter(|r| r.request.contains(step.operation)).map(|r| r.count).sum::<usize>();
        let per_op = |seconds: f64| if operations == 0 { 0.0 } else { seconds * 1000.0 / operations as f64 };
        let by_component: Vec<(String, f64)> = components
            .iter()
            .zip(before.iter().zip(&after))
            .map(|(c, (b, a))| (c.name.clone(), per_op(a - b)))
            .collect();
        let total = by_component.iter().map(|(_, ms)| ms).sum();
        measured.push(Measured { step: name, summary, cpu_ms_per_operation: total, cpu_ms_by_component: by_component });
    }
    let loaded: Vec<f64> = components.iter().map(|c| procs::rss_mib(c.pid).unwrap_or(0.0)).collect();

    print_report(&measured, &components, &idle, &loaded);
    let json = serde_json::to_string_pretty(&measured)?;
    std::fs::write(args.out.join("bench.json"), json)?;
    println!("reports: {}/*.html, figures: {}/bench.json", args.out.display(), args.out.display());
    let failures = measured.iter().map(|m| m.summary.failures()).sum();
    let requests = measured.iter().flat_map(|m| &m.summary.rows).map(|r| r.count).sum();
    Ok(BenchReport { requests, failures })
}

fn configuration(host: &str, users: usize, seconds: u64, report: &std::path::Path) -> GooseConfiguration {
    let mut configuration = GooseConfiguration::default();
    configuration.host = Some(host.to_owned());
    configuration.users = Some(users);
    configuration.increase_rate = Some(users.to_string());
    configuration.run_time = Some(seconds.to_string());
    configuration.report_file = vec![report.display().to_string()];
    configuration.no_print_metrics = true;
    configuration.quiet = 1;
    // Goose's defaults (`attack`'s NoTelnet) do not reach a configuration built here.
    configuration.no_telnet = true;
    configuration
}

fn cpu(components: &[Component]) -> Vec<f64> {
    components.iter().map(|c| procs::cpu_seconds(c.pid).unwrap_or(0.0)).collect()
}

fn print_report(measured: &[Measured], components: &[Component], idle: &[f64], loaded: &[f64]) {
    println!("\n{}", header().replacen("request ", "step / request ", 1));
    for m in measured {
        for row in m.summary.rows.iter().filter(|r| !r.request.contains("register")) {
            print!("{}", row.line(&format!("{} {}", m.step, row.request)));
        }
    }
    let rate = |step: &str, name: &str| {
        measured.iter().find(|m| m.step == step).and_then(|m| m.summary.row(name)).map_or(0.0, |r| r.per_second)
    };
    let floor = rate("healthz @32", "/healthz");
    let rest = rate("rest-page @32", "page_size=20");
    let graphql = rate("graphql-page @32", "products(first: 20)");
    println!(
        "\nratios: REST page @32 / healthz @32 = {:.1}%; GraphQL page @32 / REST page @32 = {:.1}%",
        100.0 * rest / floor.max(f64::MIN_POSITIVE),
        100.0 * graphql / rest.max(f64::MIN_POSITIVE)
    );
    println!("\nmesh CPU per operation (ms):");
    for m in measured.iter().filter(|m| m.cpu_ms_per_operation > 0.0) {
        let parts: Vec<String> =
            m.cpu_ms_by_component.iter().filter(|(_, ms)| *ms >= 0.005).map(|(n, ms)| format!("{n} {ms:.2}")).collect();
        println!("  {:<20} {:>6.2}  ({})", m.step, m.cpu_ms_per_operation, parts.join(", "));
    }
    println!("\nRSS (MiB), idle -> after the load:");
    for (c, (i, l)) in components.iter().zip(idle.iter().zip(loaded)) {
        println!("  {:<10} {i:>6.1} -> {l:>6.1}", c.name);
    }
}

fn start_mesh(
    args: &BenchArgs,
    data: &std::path::Path,
    admin_password: &str,
    postgres: Option<&postgres::BenchDatabases>,
) -> anyhow::Result<Child> {
    let port = |offset: u16| (args.port - offset).to_string();
    let log = std::fs::File::create(args.out.join("mesh.log"))?;
    let mut command = Command::new(&args.shop);
    if let Some(postgres) = postgres {
        command.env("SHOP_POSTGRES_URL", &postgres.server).env("SHOP_POSTGRES_DATABASE_PREFIX", &postgres.prefix);
    }
    command
        .env("SHOP_DATA_DIR", data)
        .env("SHOP_EDGE_PORT", port(0))
        .env("SHOP_USERS_PORT", port(29))
        .env("SHOP_PRODUCTS_PORT", port(28))
        .env("SHOP_CART_PORT", port(27))
        .env("SHOP_ORDERS_PORT", port(26))
        .env("SHOP_PAYMENTS_PORT", port(25))
        .env("SHOP_ADMIN_PASSWORD", admin_password)
        // All the load comes from one address: the abuse limits would throttle it.
        .env("REGISTRATIONS_PER_HOUR_PER_ADDRESS", "0")
        .env("LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS", "0")
        .env("LOG_COLOR", "never")
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {} (build it with cargo build --release --bins)", args.shop.display()))
}

async fn wait_ready(host: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    for _ in 0..240 {
        if http.get(format!("{host}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!("the mesh was not ready within 60 s (see its log in the --out directory)")
}

async fn stop(launcher: &mut Child) {
    if let Some(pid) = launcher.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
    }
    if tokio::time::timeout(Duration::from_secs(30), launcher.wait()).await.is_err() {
        let _ = launcher.kill().await;
    }
}
