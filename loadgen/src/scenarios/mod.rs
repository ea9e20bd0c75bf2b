//! The traffic: each [`ScenarioKind`] is one or more goose scenarios.

mod catalog;
mod grpc;
mod shopper;

use goose::prelude::*;

use crate::scenario_kind::ScenarioKind;
pub use shopper::{customers, restore_customers, sign_up_ahead};

/// The goose scenarios for `kind`.
pub fn build(kind: ScenarioKind) -> Result<Vec<Scenario>, GooseError> {
    Ok(match kind {
        ScenarioKind::Healthz => vec![catalog::healthz_only()],
        ScenarioKind::RestPage => vec![catalog::rest_page_only()],
        ScenarioKind::GraphqlPage => vec![catalog::graphql_page_only()],
        ScenarioKind::Product => vec![catalog::product_only()],
        ScenarioKind::GrpcPage => vec![grpc::page()],
        ScenarioKind::Browse => vec![catalog::browse()?],
        ScenarioKind::Cart => vec![shopper::cart()],
        ScenarioKind::Checkout => vec![shopper::checkout()],
        ScenarioKind::Storefront => {
            vec![catalog::browse()?.set_weight(6)?, shopper::cart().set_weight(3)?, shopper::checkout().set_weight(1)?]
        }
    })
}
