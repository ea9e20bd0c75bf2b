//! What tests plant in an orders database to stand for a checkout whose
//! process died (feature `test-support`): the one door tests use instead of
//! the store and the saga, which stay private.

#![cfg(feature = "test-support")]

use crate::{
    AppState,
    domain::status::{OrderStatus, Step},
    error::Error,
    store::{self, AddressRow, LineRow, OrderRow},
    usecases::saga::new_event,
};

/// The one line of a planted checkout.
#[derive(Clone, Copy, Debug)]
pub struct PlantedLine<'a> {
    /// The product.
    pub product_id: &'a str,
    /// Its sku.
    pub sku: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Its price, in the catalog's currency (USD), in minor units.
    pub unit_price_minor: i64,
    /// Units.
    pub quantity: i32,
}

/// Writes a PENDING order as the saga leaves it when its process dies
/// before `step`, with a lease that has already run out, so the next
/// recovery pass takes it. Returns the order's id; its idempotency key is
/// `stopped-<step>`.
pub async fn plant_stopped_checkout(
    state: &AppState,
    user_id: &str,
    step: Step,
    line: PlantedLine<'_>,
) -> Result<String, Error> {
    let now = shop_runtime::time::now();
    let id = uuid::Uuid::now_v7().to_string();
    let subtotal_minor = line.unit_price_minor * i64::from(line.quantity);
    let order = OrderRow {
        id: id.clone(),
        user_id: user_id.to_owned(),
        idempotency_key: format!("stopped-{}", step.as_str()),
        status: OrderStatus::Pending.as_str().into(),
        status_reason: String::new(),
        step: step.as_str().into(),
        total_minor: subtotal_minor,
        currency: "USD".into(),
        payment_id: None,
        lease_owner: Some("a process that died".into()),
        lease_until: Some(now - chrono::TimeDelta::seconds(1)),
        created_at: now,
        updated_at: now,
    };
    let address = AddressRow {
        order_id: id.clone(),
        name: "Ada".into(),
        line1: "1 St".into(),
        line2: String::new(),
        city: "London".into(),
        postal_code: "NW1".into(),
        country: "GB".into(),
    };
    let lines = [LineRow {
        order_id: id.clone(),
        product_id: line.product_id.to_owned(),
        sku: line.sku.to_owned(),
        name: line.name.to_owned(),
        unit_price_minor: line.unit_price_minor,
        quantity: line.quantity,
        subtotal_minor,
    }];
    let mut conn = state.db.conn().await?;
    conn.transaction(async |tx| {
        store::insert_order(tx, &order, &address, &lines).await?;
        store::insert_event(tx, &new_event(&id, None, OrderStatus::Pending, "order placed")).await
    })
    .await?;
    Ok(id)
}
