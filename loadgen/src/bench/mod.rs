//! The bench: one run that starts a mesh (the release `shop` launcher, on
//! SQLite in a temporary directory, on ports below the ephemeral range),
//! measures the edge's /healthz floor and every scenario at 2 and 32 users,
//! and prints one table, the ratios the targets are stated in (from rounds
//! of their steps taking turns, [`ratios`]), the mesh's CPU time per
//! operation and each component's memory, idle and after the load; then what
//! exporting traces costs ([`trace_cost`]). `--against` compares two builds
//! instead ([`builds`]); both comparisons run two meshes side by side
//! ([`side_by_side`]).

use std::{collections::HashMap, path::PathBuf, sync::Arc};

use anyhow::{Context as _, bail};
use goose::config::GooseConfiguration;
use serde::Serialize;

mod builds;
mod collector;
mod mesh;
mod postgres;
mod ratios;
mod side_by_side;
mod trace_cost;

use crate::{
    ScenarioKind, Summary, TargetArgs, attack,
    procs::{self, Component, Memory},
    scenarios, setup,
    summary::header,
};

/// `shop-loadgen bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The launcher to start; build it with `cargo build --release --bin shop`.
    #[arg(long, default_value = "target/release/shop")]
    pub shop: PathBuf,

    /// Seconds each step runs once its users have started.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,

    /// The edge's port; the services take the next ones down (below 32768,
    /// outside the ephemeral range).
    #[arg(long, default_value_t = 18080)]
    pub port: u16,

    /// Rounds of the steps compared: the ratios' three steps in turns, each
    /// trace-export step on each of its two meshes, and with `--against`
    /// each step on each build. The two-mesh comparisons run half of them
    /// with the meshes' places swapped, so an odd number is rounded up.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,

    /// Where the HTML and JSON reports go.
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,

    /// Run the services on this PostgreSQL server instead of SQLite: a URL
    /// naming any database the user may connect to. The bench creates its
    /// own databases there and drops them when it ends.
    #[arg(long, env = "SHOP_BENCH_POSTGRES_URL", hide_env_values = true)]
    pub postgres: Option<String>,

    /// Instead of the profile, compare `--shop` with this launcher (the
    /// build before a change): both meshes side by side, in alternating
    /// rounds of the pages, cart and checkout at 32 users (see [`builds`]).
    #[arg(long)]
    pub against: Option<PathBuf>,
}

use self::mesh::{BenchMesh, MeshSpec};

/// One step of a profile.
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

impl Measured {
    /// Requests per second of the request named like `operation`; 0 if none ran.
    fn rate(&self, operation: &str) -> f64 {
        self.summary.row(operation).map_or(0.0, |r| r.per_second)
    }
}

/// What a bench run found, printed as it went.
#[derive(Debug)]
pub struct BenchReport {
    /// Requests sent, every step together.
    pub requests: usize,
    /// Requests that failed.
    pub failures: usize,
    /// Spans the traced mesh exported to the bench's collector.
    pub spans_exported: u64,
}

/// Runs the bench and prints its figures: the standard profile on one mesh,
/// then what exporting traces costs, on two more meshes side by side
/// ([`trace_cost`]). With `--against`, only the comparison of two builds
/// ([`builds`]).
pub async fn run(args: BenchArgs) -> anyhow::Result<BenchReport> {
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    if let Some(before) = &args.against {
        return builds::compare(&args, before).await;
    }
    let mesh =
        BenchMesh::start(&args, &MeshSpec { name: "mesh", shop: &args.shop, collector: None }, args.port).await?;
    let outcome = measure(&args, &mesh).await;
    let _data = mesh.stop().await?;
    let plain = outcome?;
    print_report(&plain);

    let traced = trace_cost::measure(&args).await?;
    trace_cost::print(&traced);

    let json = serde_json::json!({ "steps": plain.steps, "ratios": plain.ratios, "traced": traced.steps });
    let json = serde_json::to_string_pretty(&json)?;
    std::fs::write(args.out.join("bench.json"), json)?;
    println!("reports: {}/*.html, figures: {}/bench.json", args.out.display(), args.out.display());
    let ratio_steps = plain.ratios.iter().flat_map(|r| &r.steps);
    let traced_steps = traced.steps.iter().flat_map(|c| c.first.iter().chain(&c.second));
    Ok(BenchReport::of(plain.steps.iter().chain(ratio_steps).chain(traced_steps), traced.spans))
}

impl BenchReport {
    fn of<'a>(measured: impl Iterator<Item = &'a Measured> + Clone, spans_exported: u64) -> Self {
        let failures = measured.clone().map(|m| m.summary.failures()).sum();
        let requests = measured.flat_map(|m| &m.summary.rows).map(|r| r.count).sum();
        Self { requests, failures, spans_exported }
    }
}

/// What one mesh showed under the standard profile.
struct MeshRun {
    steps: Vec<Measured>,
    ratios: Vec<ratios::Round>,
    components: Vec<Component>,
    /// Each component's resident memory before the load, and after it.
    idle: Vec<Memory>,
    loaded: Vec<Memory>,
}

async fn measure(args: &BenchArgs, mesh: &BenchMesh) -> anyhow::Result<MeshRun> {
    let most_users = PROFILE.iter().map(|s| s.users).max().unwrap_or(0);
    let (driven, idle) = Driven::prepare(mesh, most_users).await?;
    let mut steps = Vec::new();
    for step in &PROFILE {
        let report = format!("{}-{}", step.scenario, step.users);
        steps.push(driven.run(args, step, &report).await?);
    }
    let ratios = ratios::measure(args, &driven).await?;
    let loaded = memory(&driven.components);
    Ok(MeshRun { steps, ratios, components: driven.components, idle, loaded })
}

/// A mesh made ready for load: its components, and the products and
/// customers the load generator found or made on it.
struct Driven<'a> {
    mesh: &'a BenchMesh,
    components: Vec<Component>,
    target: Arc<setup::Target>,
    customers: HashMap<usize, String>,
}

impl<'a> Driven<'a> {
    /// Finds `mesh`'s components, then its catalog, makes products to buy
    /// and signs up `users` customers. Returns the components' memory from
    /// before that, idle.
    async fn prepare(mesh: &'a BenchMesh, users: usize) -> anyhow::Result<(Self, Vec<Memory>)> {
        let components = procs::components_of(mesh.launcher_pid()?)?;
        if components.len() < 6 {
            bail!("found {} components under the launcher, expected 6", components.len());
        }
        let idle = memory(&components);
        let target = TargetArgs {
            products_url: mesh.products_url(),
            admin_email: Some("admin@example.com".into()),
            admin_password: Some(mesh.admin_password.clone()),
        };
        setup::prepare(&mesh.host(), &target, ScenarioKind::Storefront).await?;
        scenarios::sign_up_ahead(&mesh.host(), users).await?;
        let driven = Self { mesh, components, target: setup::current()?, customers: scenarios::customers() };
        Ok((driven, idle))
    }

    /// Runs `step` against this mesh, its HTML report `<out>/<report>.html`,
    /// and measures the mesh's CPU time per operation.
    async fn run(&self, args: &BenchArgs, step: &Step, report: &str) -> anyhow::Result<Measured> {
        // The load generator holds one mesh's products and customers at a time.
        setup::restore(self.target.clone());
        scenarios::restore_customers(self.customers.clone());
        let name = format!("{} @{}", step.scenario, step.users);
        eprintln!("bench: {name} for {} s on {}", args.seconds, self.mesh.name);
        let before = cpu(&self.components);
        let report = args.out.join(format!("{report}.html"));
        let metrics =
            attack(configuration(&self.mesh.host(), step.users, args.seconds, &report), step.scenario).await?;
        let after = cpu(&self.components);
        let summary = Summary::of(&metrics);
        let operations =
            summary.rows.iter().filter(|r| r.request.contains(step.operation)).map(|r| r.count).sum::<usize>();
        let per_op = |seconds: f64| if operations == 0 { 0.0 } else { seconds * 1000.0 / operations as f64 };
        let by_component: Vec<(String, f64)> = self
            .components
            .iter()
            .zip(before.iter().zip(&after))
            .map(|(c, (b, a))| (c.name.clone(), per_op(a - b)))
            .collect();
        let total = by_component.iter().map(|(_, ms)| ms).sum();
        Ok(Measured { step: name, summary, cpu_ms_per_operation: total, cpu_ms_by_component: by_component })
    }
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

fn memory(components: &[Component]) -> Vec<Memory> {
    components.iter().map(|c| procs::memory(c.pid).unwrap_or_default()).collect()
}

fn cpu(components: &[Component]) -> Vec<f64> {
    components.iter().map(|c| procs::cpu_seconds(c.pid).unwrap_or(0.0)).collect()
}

fn print_report(run: &MeshRun) {
    let MeshRun { steps: measured, ratios, components, idle, loaded } = run;
    println!("\n{}", header().replacen("request ", "step / request ", 1));
    for m in measured {
        for row in m.summary.rows.iter().filter(|r| !r.request.contains("register")) {
            print!("{}", row.line(&format!("{} {}", m.step, row.request)));
        }
    }
    ratios::print(ratios);
    println!("\nmesh CPU per operation (ms):");
    for m in measured.iter().filter(|m| m.cpu_ms_per_operation > 0.0) {
        let parts: Vec<String> =
            m.cpu_ms_by_component.iter().filter(|(_, ms)| *ms >= 0.005).map(|(n, ms)| format!("{n} {ms:.2}")).collect();
        println!("  {:<20} {:>6.2}  ({})", m.step, m.cpu_ms_per_operation, parts.join(", "));
    }
    println!("\nRSS (MiB), idle -> after the load; of it anonymous (heap, stacks), the rest mostly shared code:");
    for (c, (i, l)) in components.iter().zip(idle.iter().zip(loaded)) {
        println!(
            "  {:<13} {:>6.1} -> {:>6.1}   anonymous {:>5.1} -> {:>5.1}",
            c.name, i.resident, l.resident, i.anonymous, l.anonymous
        );
    }
}

/// The middle value (the mean of the middle two of an even count); 0 for none.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// `low-high`, to no decimals; `-` for none.
fn range(values: &[f64]) -> String {
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.is_empty() { "-".into() } else { format!("{low:.0}-{high:.0}") }
}

#[cfg(test)]
mod tests {
    use super::{median, range};

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_middle_two() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[7.0]), 7.0);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn a_range_is_its_lowest_and_highest_value() {
        assert_eq!(range(&[86.7, 75.3, 140.8]), "75-141");
        assert_eq!(range(&[]), "-");
    }
}
