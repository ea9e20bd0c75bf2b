//! What exporting traces costs: a few steps on two fresh meshes side by side,
//! one exporting every span (every request is sampled) over OTLP/gRPC to a
//! collector here, the other exporting nothing. Each step runs in rounds
//! that alternate between them (plain, traced, then traced, plain, ...), so
//! that a machine that speeds up or slows down during the run weighs on both
//! alike, and the medians of the rounds are compared. Measured one after the
//! other, minutes apart, the traced mesh came out anywhere from 23% slower to
//! 8% faster than the plain one, from that drift alone.

use serde::Serialize;

use super::{BenchArgs, Driven, Measured, Step, collector::SpanSink, median, mesh::BenchMesh, range};
use crate::ScenarioKind;

/// The steps measured on both meshes.
const PROFILE: [Step; 3] = [
    Step { scenario: ScenarioKind::RestPage, users: 32, operation: "page_size=20" },
    Step { scenario: ScenarioKind::GraphqlPage, users: 32, operation: "products(first: 20)" },
    Step { scenario: ScenarioKind::Checkout, users: 32, operation: "(checkout)" },
];

/// How far below the bench's ports the mesh that exports nothing runs: the
/// traced one takes the bench's own.
const PLAIN_MESH_BELOW: u16 = 100;

/// One step's rounds on each mesh.
#[derive(Debug, Serialize)]
pub(super) struct Comparison {
    /// The step, as `scenario @users`.
    pub step: String,
    /// The operation its rates are read from.
    #[serde(skip)]
    operation: &'static str,
    /// The rounds on the mesh that exports nothing.
    pub plain: Vec<Measured>,
    /// The rounds on the mesh that exports every span.
    pub traced: Vec<Measured>,
}

/// Every step's comparison, and how many spans the collector received.
#[derive(Debug, Serialize)]
pub(super) struct TraceCost {
    pub steps: Vec<Comparison>,
    pub spans: u64,
}

/// Starts the two meshes and the collector, runs the rounds and stops them.
pub(super) async fn measure(args: &BenchArgs) -> anyhow::Result<TraceCost> {
    let collector = SpanSink::start().await?;
    let plain = BenchMesh::start(args, "mesh-untraced", args.port - PLAIN_MESH_BELOW, None).await?;
    let traced = BenchMesh::start(args, "mesh-traced", args.port, Some(&collector.endpoint())).await;
    let traced = match traced {
        Ok(traced) => traced,
        Err(error) => {
            plain.stop().await?;
            return Err(error);
        }
    };
    let outcome = alternate(args, &plain, &traced).await;
    // Stopping flushes the traced mesh's last spans to the collector.
    let stopped = (plain.stop().await, traced.stop().await);
    let steps = outcome?;
    stopped.0?;
    stopped.1?;
    Ok(TraceCost { steps, spans: collector.spans() })
}

async fn alternate(args: &BenchArgs, plain: &BenchMesh, traced: &BenchMesh) -> anyhow::Result<Vec<Comparison>> {
    let users = PROFILE.iter().map(|s| s.users).max().unwrap_or(0);
    let (plain, _) = Driven::prepare(plain, users).await?;
    let (traced, _) = Driven::prepare(traced, users).await?;
    let mut compared = Vec::new();
    for step in &PROFILE {
        let mut comparison = Comparison {
            step: format!("{} @{}", step.scenario, step.users),
            operation: step.operation,
            plain: Vec::new(),
            traced: Vec::new(),
        };
        for round in 1..=args.rounds.max(1) {
            let report = |arm: &str| format!("{}-{}-{arm}-{round}", step.scenario, step.users);
            // Whichever ran second in one round runs first in the next.
            if round % 2 == 1 {
                comparison.plain.push(plain.run(args, step, &report("untraced")).await?);
                comparison.traced.push(traced.run(args, step, &report("traced")).await?);
            } else {
                comparison.traced.push(traced.run(args, step, &report("traced")).await?);
                comparison.plain.push(plain.run(args, step, &report("untraced")).await?);
            }
        }
        compared.push(comparison);
    }
    Ok(compared)
}

/// Each step's median throughput and CPU per operation, traced against plain,
/// with the rounds' range.
pub(super) fn print(cost: &TraceCost) {
    println!(
        "\ntrace export ({} spans received), medians of alternated rounds, against a mesh exporting nothing:",
        cost.spans
    );
    for step in &cost.steps {
        let rates = |rounds: &[Measured]| -> Vec<f64> { rounds.iter().map(|m| m.rate(step.operation)).collect() };
        let cpu = |rounds: &[Measured]| -> Vec<f64> { rounds.iter().map(|m| m.cpu_ms_per_operation).collect() };
        let (plain, traced) = (rates(&step.plain), rates(&step.traced));
        let (before, after) = (median(&plain), median(&traced));
        println!(
            "  {:<16} {before:>8.1} -> {after:>8.1} req/s ({:+.1}%), rounds {} | {}; CPU {:.2} -> {:.2} ms per operation",
            step.step,
            100.0 * (after - before) / before.max(f64::MIN_POSITIVE),
            range(&plain),
            range(&traced),
            median(&cpu(&step.plain)),
            median(&cpu(&step.traced)),
        );
    }
}
