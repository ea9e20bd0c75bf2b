//! Domain values as the wire shows them.

use shop_proto::{cart::v1 as pb, common::v1::Money};
use shop_runtime::time;

use crate::domain::PricedCart;

/// A priced cart as the wire shows it.
pub fn cart(user_id: &str, cart: PricedCart, updated_at: Option<chrono::NaiveDateTime>) -> pb::Cart {
    let money = |amount_minor: i64| Some(Money { amount_minor, currency: cart.currency.clone() });
    pb::Cart {
        user_id: user_id.to_owned(),
        lines: cart
            .lines
            .iter()
            .map(|line| pb::CartLine {
                product_id: line.product.id.clone(),
                quantity: line.quantity,
                name: line.product.name.clone(),
                sku: line.product.sku.clone(),
                unit_price: money(line.product.unit_price),
                subtotal: money(line.subtotal),
                available_stock: line.product.available,
                image_url: line.product.image_url.clone(),
            })
            .collect(),
        total: money(cart.total),
        item_count: cart.item_count,
        updated_at: updated_at.map(time::to_proto),
    }
}
