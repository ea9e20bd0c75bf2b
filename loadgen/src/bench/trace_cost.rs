//! What exporting traces costs: a few steps on two fresh meshes side by side
//! ([`side_by_side`]), one exporting every span (every request is sampled)
//! over OTLP/gRPC to a collector here, the other exporting nothing.

use serde::Serialize;

use super::{
    BenchArgs, Step,
    collector::SpanSink,
    mesh::MeshSpec,
    side_by_side::{self, Comparison},
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

/// Starts the collector and the two meshes, runs the rounds and stops them.
pub(super) async fn measure(args: &BenchArgs) -> anyhow::Result<TraceCost> {
    let collector = SpanSink::start().await?;
    let endpoint = collector.endpoint();
    let plain = MeshSpec { name: "mesh-untraced", shop: &args.shop, collector: None };
    let traced = MeshSpec { name: "mesh-traced", shop: &args.shop, collector: Some(&endpoint) };
    let steps = side_by_side::measure(args, &PROFILE, ("untraced", plain), ("traced", traced)).await?;
    Ok(TraceCost { steps, spans: collector.spans() })
}

/// Each step's median throughput and CPU per operation, traced against plain.
pub(super) fn print(cost: &TraceCost) {
    println!(
        "\ntrace export ({} spans received), medians of alternated rounds, against a mesh exporting nothing:",
        cost.spans
    );
    side_by_side::print(&cost.steps, false);
}
