//! What exporting traces costs: a few steps on two fresh meshes side by side
//! ([`side_by_side`]), one exporting every span (every request is sampled)
//! over OTLP/gRPC to a collector here, the other exporting nothing.

use serde::Serialize;

use super::{
    BenchArgs, Driven, Step,
    collector::SpanSink,
    mesh::{BenchMesh, MeshSpec},
    side_by_side::{self, Arm, Comparison},
};
use crate::ScenarioKind;

/// The steps measured on both meshes.
const PROFILE: [Step; 3] = [
    Step { scenario: ScenarioKind::RestPage, users: 32, operation: "page_size=20" },
    Step { scenario: ScenarioKind::GraphqlPage, users: 32, operation: "products(first: 20)" },
    Step { scenario: ScenarioKind::Checkout, users: 32, operation: "(checkout)" },
];

/// Every step's comparison, and how many spans the collector received.
#[derive(Debug, Serialize)]
pub(super) struct TraceCost {
    pub steps: Vec<Comparison>,
    pub spans: u64,
}

/// Starts the two meshes and the collector, runs the rounds and stops them.
pub(super) async fn measure(args: &BenchArgs) -> anyhow::Result<TraceCost> {
    let collector = SpanSink::start().await?;
    let endpoint = collector.endpoint();
    let plain = MeshSpec { name: "mesh-untraced", shop: &args.shop, collector: None };
    let traced = MeshSpec { name: "mesh-traced", shop: &args.shop, collector: Some(&endpoint) };
    let (plain, traced) = BenchMesh::start_two(args, &plain, &traced).await?;
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
    let plain = Arm { label: "untraced", mesh: Driven::prepare(plain, users).await?.0 };
    let traced = Arm { label: "traced", mesh: Driven::prepare(traced, users).await?.0 };
    side_by_side::alternate(args, &PROFILE, &plain, &traced).await
}

/// Each step's median throughput and CPU per operation, traced against plain.
pub(super) fn print(cost: &TraceCost) {
    println!(
        "\ntrace export ({} spans received), medians of alternated rounds, against a mesh exporting nothing:",
        cost.spans
    );
    side_by_side::print(&cost.steps, false);
}
