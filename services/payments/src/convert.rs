//! Stored rows as the wire shows them.

use shop_proto::{
    common::v1::Money,
    events::v1::{self as events, event::Payload},
    payments::v1 as pb,
};
use shop_runtime::{outbox, service::Service as _, time};

use crate::{AppState, domain::DeclineReason, store::PaymentRow};

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

/// The domain event `payment` succeeding is.
pub fn succeeded(payment: &PaymentRow) -> events::Event {
    let succeeded = events::PaymentSucceeded {
        payment_id: payment.id.clone(),
        order_id: payment.order_id.clone(),
        user_id: payment.user_id.clone(),
        amount: Some(Money { amount_minor: payment.amount_minor, currency: payment.currency.clone() }),
        card_brand: payment.card_brand.clone(),
        card_last4: payment.card_last4.clone(),
    };
    outbox::event(AppState::NAME, &payment.id, Payload::PaymentSucceeded(succeeded))
}

/// The domain event `payment` refunded for `reason` is.
pub fn refunded(payment: &PaymentRow, reason: &str) -> events::Event {
    let refunded = events::PaymentRefunded {
        payment_id: payment.id.clone(),
        order_id: payment.order_id.clone(),
        user_id: payment.user_id.clone(),
        amount: Some(Money { amount_minor: payment.amount_minor, currency: payment.currency.clone() }),
        reason: reason.to_owned(),
    };
    outbox::event(AppState::NAME, &payment.id, Payload::PaymentRefunded(refunded))
}
