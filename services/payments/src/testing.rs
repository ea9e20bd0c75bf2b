//! What tests read from and plant in a payments database (feature
//! `test-support`): the one door tests use instead of the store, which
//! stays private.

#![cfg(feature = "test-support")]

use shop_runtime::db::Db;

pub use crate::store::PaymentRow;
use crate::{AppState, error::Error, store};

/// The stored payment `payment_id`, as the database holds it.
pub async fn stored_payment(db: &Db, payment_id: &str) -> Result<Option<PaymentRow>, Error> {
    Ok(store::find(&mut db.conn().await?, payment_id).await?)
}

/// Writes what a charge attempt leaves behind when it stops between
/// claiming the charge and recording the processor's answer (its process
/// died, or its database went away): a pending Visa charge of
/// `amount_minor` USD for `order_id`, keyed `order-<order_id>` as orders
/// keys its charges, claimed for one claim period from now.
pub async fn plant_claimed_charge(
    state: &AppState,
    order_id: &str,
    user_id: &str,
    amount_minor: i64,
) -> Result<(), Error> {
    let now = shop_runtime::time::now();
    let row = PaymentRow {
        id: uuid::Uuid::now_v7().to_string(),
        order_id: order_id.into(),
        user_id: user_id.into(),
        idempotency_key: format!("order-{order_id}"),
        amount_minor,
        currency: "USD".into(),
        status: "pending".into(),
        failure_reason: None,
        failure_message: String::new(),
        card_brand: "visa".into(),
        card_last4: "4242".into(),
        attempts: 0,
        claimed_until: None,
        refund_reason: None,
        created_at: now,
        updated_at: now,
    };
    let mut conn = state.db.conn().await?;
    store::insert(&mut conn, &row).await?;
    match store::claim(&mut conn, &row.id, now, now + state.charge_claim).await? {
        Some(1) => Ok(()),
        claimed => {
            Err(shop_runtime::failure::Failure::internal(format!("claiming the planted charge gave {claimed:?}"))
                .into())
        }
    }
}
