//! Carts.

use async_graphql::{ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shop_proto::cart::v1 as pb;
use utoipa::ToSchema;

use super::money::{Money, money};
use crate::error::ApiError;

/// A user's cart, priced now.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct Cart {
    /// The lines, in the order they were first added.
    pub lines: Vec<CartLine>,
    /// Sum of the line subtotals.
    pub total: Money,
    /// Sum of the quantities.
    pub item_count: i32,
    /// When the cart last changed; absent for a cart never written.
    pub updated_at: Option<DateTime<Utc>>,
}

/// One product in a cart, priced now.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(complex)]
pub struct CartLine {
    /// The product.
    #[schema(value_type = String)]
    pub product_id: ID,
    /// Units.
    pub quantity: i32,
    /// The product's current name.
    pub name: String,
    /// The product's sku.
    pub sku: String,
    /// The product's current unit price.
    pub unit_price: Money,
    /// unit price x quantity.
    pub subtotal: Money,
    /// Units of the product available now.
    pub available_stock: i32,
    /// The product's image URL.
    pub image_url: String,
}

impl TryFrom<Option<pb::Cart>> for Cart {
    type Error = ApiError;

    fn try_from(cart: Option<pb::Cart>) -> Result<Self, ApiError> {
        let cart = cart.ok_or_else(|| ApiError::new(tonic::Code::Internal, "internal error"))?;
        Ok(Self {
            lines: cart
                .lines
                .into_iter()
                .map(|line| CartLine {
                    product_id: ID(line.product_id),
                    quantity: line.quantity,
                    name: line.name,
                    sku: line.sku,
                    unit_price: money(line.unit_price),
                    subtotal: money(line.subtotal),
                    available_stock: line.available_stock,
                    image_url: line.image_url,
                })
                .collect(),
            total: money(cart.total),
            item_count: cart.item_count,
            updated_at: cart.updated_at.as_ref().and_then(shop_runtime::time::from_proto),
        })
    }
}

/// Units of a product to put in the cart.
#[derive(Debug, Clone, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
pub struct AddItemInput {
    /// The product.
    #[schema(min_length = 1)]
    pub product_id: String,
    /// Units to add, 1 to 99.
    #[schema(minimum = 1, maximum = 99)]
    pub quantity: i32,
}

/// A new quantity for a cart line.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetQuantityInput {
    /// The new quantity, 0 to 99; 0 removes the line.
    #[schema(minimum = 0, maximum = 99)]
    pub quantity: i32,
}
