//! Money: integer minor units and a currency code, never a float.

use async_graphql::{InputObject, SimpleObject};
use serde::{Deserialize, Serialize};
use shop_proto::common::v1 as pb;
use utoipa::ToSchema;

/// An amount of money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, SimpleObject, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(input_name = "MoneyInput")]
pub struct Money {
    /// The amount in minor units (cents for USD), e.g. 1999 for 19.99.
    pub amount_minor: i64,
    /// ISO 4217 currency code, e.g. "USD".
    pub currency: String,
}

impl From<pb::Money> for Money {
    fn from(money: pb::Money) -> Self {
        Self { amount_minor: money.amount_minor, currency: money.currency }
    }
}

impl From<Money> for pb::Money {
    fn from(money: Money) -> Self {
        Self { amount_minor: money.amount_minor, currency: money.currency }
    }
}

/// A money field of a response; absent only from a broken upstream.
pub fn money(value: Option<pb::Money>) -> Money {
    value.map(Money::from).unwrap_or(Money { amount_minor: 0, currency: String::new() })
}
