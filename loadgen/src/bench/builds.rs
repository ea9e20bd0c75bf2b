//! Two builds compared: `shop-loadgen bench --against <before> --shop
//! <after>` starts a mesh of each side by side ([`side_by_side`]) and runs
//! the steps a change to the services is judged by in alternating rounds:
//! the catalog pages, cart and checkout at 32 users. One bench per build,
//! minutes apart, cannot tell most changes from the instance's drift (see
//! [`side_by_side`]).

use std::path::Path;

use super::{BenchArgs, BenchReport, Step, mesh::MeshSpec, side_by_side};
use crate::ScenarioKind;

/// The steps compared.
const PROFILE: [Step; 5] = [
    Step { scenario: ScenarioKind::RestPage, users: 32, operation: "page_size=20" },
    Step { scenario: ScenarioKind::GraphqlPage, users: 32, operation: "products(first: 20)" },
    Step { scenario: ScenarioKind::GrpcPage, users: 32, operation: "ListProducts" },
    Step { scenario: ScenarioKind::Cart, users: 32, operation: "PATCH /api/v1/cart/items" },
    Step { scenario: ScenarioKind::Checkout, users: 32, operation: "(checkout)" },
];

/// Runs the comparison of `before` with `--shop` and prints it; the figures
/// go to `<out>/compare.json`.
pub(super) async fn compare(args: &BenchArgs, before: &Path) -> anyhow::Result<BenchReport> {
    let first = MeshSpec { name: "mesh-before", shop: before, collector: None };
    let second = MeshSpec { name: "mesh-after", shop: &args.shop, collector: None };
    let steps = side_by_side::measure(args, &PROFILE, ("before", first), ("after", second)).await?;
    println!("\n{} against {}, medians of alternated rounds:", args.shop.display(), before.display());
    side_by_side::print(&steps, true);
    std::fs::write(args.out.join("compare.json"), serde_json::to_string_pretty(&steps)?)?;
    println!("reports: {}/*.html, figures: {}/compare.json", args.out.display(), args.out.display());
    Ok(BenchReport::of(steps.iter().flat_map(|c| c.first.iter().chain(&c.second)), 0))
}
