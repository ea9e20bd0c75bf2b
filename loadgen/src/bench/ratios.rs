//! The ratios the targets are stated in (the REST page against /healthz, the
//! GraphQL page against the REST page, at 32 users), from rounds in which
//! the three steps take turns on the same mesh, each round starting with the
//! next step. Each round's ratios compare steps run seconds apart; the
//! medians over rounds are printed. Read off the profile's single steps,
//! minutes apart, the GraphQL page came out at 75% and at 87% of the REST
//! page in two runs of the same code, from the machine's drift alone.

use serde::Serialize;

use super::{BenchArgs, Driven, Measured, Step, median, range};
use crate::ScenarioKind;

const FLOOR: Step = Step { scenario: ScenarioKind::Healthz, users: 32, operation: "/healthz" };
const REST: Step = Step { scenario: ScenarioKind::RestPage, users: 32, operation: "page_size=20" };
const GRAPHQL: Step = Step { scenario: ScenarioKind::GraphqlPage, users: 32, operation: "products(first: 20)" };

/// One round: each step's rate, requests per second, and what it measured.
#[derive(Debug, Serialize)]
pub(super) struct Round {
    pub healthz: f64,
    pub rest: f64,
    pub graphql: f64,
    /// The steps in the order they ran.
    pub steps: Vec<Measured>,
}

impl Round {
    fn rest_of_floor(&self) -> f64 {
        self.rest / self.healthz.max(f64::MIN_POSITIVE)
    }

    fn graphql_of_rest(&self) -> f64 {
        self.graphql / self.rest.max(f64::MIN_POSITIVE)
    }
}

/// Runs `args.rounds` rounds of the three steps on `driven`.
pub(super) async fn measure(args: &BenchArgs, driven: &Driven<'_>) -> anyhow::Result<Vec<Round>> {
    let steps = [FLOOR, REST, GRAPHQL];
    let mut rounds = Vec::new();
    for round in 0..args.rounds.max(1) {
        let mut rates = [0.0; 3];
        let mut measured = Vec::new();
        for turn in 0..steps.len() {
            // Whichever step ran first in one round runs last in the next.
            let which = (round + turn) % steps.len();
            let step = &steps[which];
            let report = format!("{}-{}-ratio-{}", step.scenario, step.users, round + 1);
            let one = driven.run(args, step, &report).await?;
            rates[which] = one.rate(step.operation);
            measured.push(one);
        }
        let [healthz, rest, graphql] = rates;
        rounds.push(Round { healthz, rest, graphql, steps: measured });
    }
    Ok(rounds)
}

/// The median of each ratio over the rounds, and the rounds' range.
pub(super) fn print(rounds: &[Round]) {
    let percent = |ratios: Vec<f64>| {
        let percents: Vec<f64> = ratios.iter().map(|r| 100.0 * r).collect();
        format!("{:.1}% (rounds {}%)", median(&percents), range(&percents))
    };
    println!(
        "\nratios, medians of {} rounds taking turns: REST page @32 / healthz @32 = {}; GraphQL page @32 / REST page @32 = {}",
        rounds.len(),
        percent(rounds.iter().map(Round::rest_of_floor).collect()),
        percent(rounds.iter().map(Round::graphql_of_rest).collect()),
    );
}
