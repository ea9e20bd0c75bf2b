//! Stored rows as the wire shows them.

use shop_proto::{common::v1::Money, payments::v1 as pb};
use shop_runtime::time;

use crate::{domain::DeclineReason, store::PaymentRow};

/// A stored payment as the wire shows it.
pub fn payment(row: &PaymentRow) -> pb::Payment {
    let status = match row.status.as_str() {
        "pending" => pb::PaymentStatus::Pending,
        "succeeded" => pb::PaymentStatus::Succeeded,
        "declined" => pb::PaymentStatus::Declined,
        "refunded" => pb::PaymentStatus::Refunded,
        "voided" => pb::PaymentStatus::Voided,
        _ => pb::PaymentStatus::Unspecified,
    };
    let failure_reason = match row.failure_reason.as_deref().and_then(DeclineReason::parse) {
        Some(DeclineReason::CardDeclined) => pb::FailureReason::CardDeclined,
        Some(DeclineReason::InsufficientFunds) => pb::FailureReason::InsufficientFunds,
        None => pb::FailureReason::Unspecified,
    };
    pb::Payment {
        id: row.id.clone(),
        order_id: row.order_id.clone(),
        user_id: row.user_id.clone(),
        amount: Some(Money { amount_minor: row.amount_minor, currency: row.currency.clone() }),
        status: status.into(),
        failure_reason: failure_reason.into(),
        failure_message: row.failure_message.clone(),
        card_brand: row.card_brand.clone(),
        card_last4: row.card_last4.clone(),
        idempotency_key: row.idempotency_key.clone(),
        created_at: Some(time::to_proto(row.created_at)),
        updated_at: Some(time::to_proto(row.updated_at)),
    }
}
