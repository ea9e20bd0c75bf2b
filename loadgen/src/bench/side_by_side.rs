//! Two meshes measured side by side: each step runs in rounds that alternate
//! between them (A then B, then B then A, ...), so that a machine that
//! speeds up or slows down during the run weighs on both alike, and the
//! medians of the rounds are compared. Measured one after the other, minutes
//! apart, a mesh exporting traces came out anywhere from 23% slower to 8%
//! faster than one exporting nothing; and two benches of the code before and
//! after a change gave checkout 470.5 and 404.5 orders/s, while side by side
//! the code after was the faster in every round.
//!
//! Half the rounds run with the meshes' places swapped: the mesh started
//! second, on the bench's own ports, came out slower whatever build it ran
//! (two builds compared in both orders: on the cached pages, whichever was
//! second was 0.1% to 7.5% slower; on PostgreSQL, its notifications used
//! 0.3 ms more CPU per order), which a comparison with one placement counted
//! against whichever side had it.

use serde::Serialize;

use super::{
    BenchArgs, Driven, Measured, Step, median,
    mesh::{BenchMesh, MeshSpec},
    range,
};

/// One mesh of the two, made ready for load, and what its rounds are
/// called in report names (`untraced`, `before`, ...).
struct Arm<'a> {
    label: &'static str,
    mesh: Driven<'a>,
}

/// One step's rounds on each mesh.
#[derive(Debug, Serialize)]
pub(super) struct Comparison {
    /// The step, as `scenario @users`.
    pub step: String,
    /// What the first mesh's rounds are called, then the second's.
    pub labels: (&'static str, &'static str),
    /// The operation its rates are read from.
    #[serde(skip)]
    operation: &'static str,
    /// The rounds on the first mesh (the baseline).
    pub first: Vec<Measured>,
    /// The rounds on the second.
    pub second: Vec<Measured>,
}

/// Starts a mesh for each side (a label for its rounds' reports, and what
/// to start), runs every step of `steps` in rounds on both, taking turns at
/// going first, and stops both meshes (which flushes a traced mesh's last
/// spans); then does it again with the meshes' places swapped (ports and
/// order of start). `--rounds` is split between the two placements, rounded
/// up to an even number.
pub(super) async fn measure(
    args: &BenchArgs,
    steps: &[Step],
    first: (&'static str, MeshSpec<'_>),
    second: (&'static str, MeshSpec<'_>),
) -> anyhow::Result<Vec<Comparison>> {
    let mut compared: Vec<Comparison> = steps
        .iter()
        .map(|step| Comparison {
            step: format!("{} @{}", step.scenario, step.users),
            labels: (first.0, second.0),
            operation: step.operation,
            first: Vec::new(),
            second: Vec::new(),
        })
        .collect();
    let rounds_per_placement = args.rounds.max(1).div_ceil(2);
    // Deleted only at the end: on ext4, creating files right after many were
    // deleted is slow, and the second placement's meshes would pay for it.
    let mut data_dirs = Vec::new();
    for swapped in [false, true] {
        let names =
            [first.1.name, second.1.name].map(|name| if swapped { format!("{name}-swapped") } else { name.to_owned() });
        let specs = (MeshSpec { name: &names[0], ..first.1 }, MeshSpec { name: &names[1], ..second.1 });
        let (a, b) = if swapped {
            let (b, a) = BenchMesh::start_two(args, &specs.1, &specs.0).await?;
            (a, b)
        } else {
            BenchMesh::start_two(args, &specs.0, &specs.1).await?
        };
        // Numbered on from the first placement's, in report names.
        let rounds =
            if swapped { rounds_per_placement + 1..2 * rounds_per_placement + 1 } else { 1..rounds_per_placement + 1 };
        let outcome = prepare_and_alternate(args, steps, rounds, (first.0, &a), (second.0, &b), &mut compared).await;
        let stopped = (a.stop().await, b.stop().await);
        outcome?;
        data_dirs.push(stopped.0?);
        data_dirs.push(stopped.1?);
    }
    Ok(compared)
}

async fn prepare_and_alternate(
    args: &BenchArgs,
    steps: &[Step],
    rounds: std::ops::Range<usize>,
    first: (&'static str, &BenchMesh),
    second: (&'static str, &BenchMesh),
    compared: &mut [Comparison],
) -> anyhow::Result<()> {
    let users = steps.iter().map(|s| s.users).max().unwrap_or(0);
    let first = Arm { label: first.0, mesh: Driven::prepare(first.1, users).await?.0 };
    let second = Arm { label: second.0, mesh: Driven::prepare(second.1, users).await?.0 };
    for (step, comparison) in steps.iter().zip(compared.iter_mut()) {
        for round in rounds.clone() {
            let report = |arm: &Arm| format!("{}-{}-{}-{round}", step.scenario, step.users, arm.label);
            // Whichever ran second in one round runs first in the next.
            if round % 2 == 1 {
                comparison.first.push(first.mesh.run(args, step, &report(&first)).await?);
                comparison.second.push(second.mesh.run(args, step, &report(&second)).await?);
            } else {
                comparison.second.push(second.mesh.run(args, step, &report(&second)).await?);
                comparison.first.push(first.mesh.run(args, step, &report(&first)).await?);
            }
        }
    }
    Ok(())
}

/// Each step's median throughput and CPU per operation, second against
/// first, with the rounds' range; with `by_component`, the CPU medians of
/// each component too.
pub(super) fn print(comparisons: &[Comparison], by_component: bool) {
    for step in comparisons {
        let rates = |rounds: &[Measured]| -> Vec<f64> { rounds.iter().map(|m| m.rate(step.operation)).collect() };
        let cpu = |rounds: &[Measured]| -> Vec<f64> { rounds.iter().map(|m| m.cpu_ms_per_operation).collect() };
        let (first, second) = (rates(&step.first), rates(&step.second));
        let (before, after) = (median(&first), median(&second));
        println!(
            "  {:<16} {before:>8.1} -> {after:>8.1} req/s ({:+.1}%), rounds {} | {}; CPU {:.2} -> {:.2} ms per operation",
            step.step,
            100.0 * (after - before) / before.max(f64::MIN_POSITIVE),
            range(&first),
            range(&second),
            median(&cpu(&step.first)),
            median(&cpu(&step.second)),
        );
        if by_component {
            println!("  {:<16} {}", "", component_medians(&step.first, &step.second).join(", "));
        }
    }
}

/// `orders 1.32 -> 1.15` for each component that used CPU, medians of the rounds.
fn component_medians(first: &[Measured], second: &[Measured]) -> Vec<String> {
    let names = first.first().map(|m| m.cpu_ms_by_component.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>());
    let of = |rounds: &[Measured], name: &str| -> f64 {
        let values: Vec<f64> = rounds
            .iter()
            .filter_map(|m| m.cpu_ms_by_component.iter().find(|(n, _)| n == name).map(|(_, ms)| *ms))
            .collect();
        median(&values)
    };
    names
        .unwrap_or_default()
        .iter()
        .map(|name| (name, of(first, name), of(second, name)))
        .filter(|(_, before, after)| before.max(*after) >= 0.005)
        .map(|(name, before, after)| format!("{name} {before:.2} -> {after:.2}"))
        .collect()
}
