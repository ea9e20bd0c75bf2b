//! Stored rows to the wire.

use shop_proto::notifications::v1 as pb;
use shop_runtime::time;

use crate::{
    domain::{Kind, Preferences, Status},
    store::NotificationRow,
};

/// A stored mail, as the API shows it.
pub fn notification(row: &NotificationRow) -> pb::Notification {
    let kind = match Kind::parse(&row.kind) {
        Some(Kind::Welcome) => pb::NotificationKind::Welcome,
        Some(Kind::OrderConfirmation) => pb::NotificationKind::OrderConfirmation,
        Some(Kind::PaymentReceipt) => pb::NotificationKind::PaymentReceipt,
        Some(Kind::OrderFailed) => pb::NotificationKind::OrderFailed,
        Some(Kind::OrderCancelled) => pb::NotificationKind::OrderCancelled,
        Some(Kind::Refund) => pb::NotificationKind::Refund,
        Some(Kind::ShippingUpdate) => pb::NotificationKind::ShippingUpdate,
        Some(Kind::StockLow) => pb::NotificationKind::StockLow,
        None => pb::NotificationKind::Unspecified,
    };
    let status = match Status::parse(&row.status) {
        Some(Status::Pending) => pb::DeliveryStatus::Pending,
        Some(Status::Sent) => pb::DeliveryStatus::Sent,
        Some(Status::DeadLettered) => pb::DeliveryStatus::DeadLettered,
        None => pb::DeliveryStatus::Unspecified,
    };
    pb::Notification {
        id: row.id.clone(),
        kind: kind as i32,
        event_id: row.event_id.clone(),
        user_id: row.user_id.clone(),
        recipient: row.recipient.clone(),
        subject: row.subject.clone(),
        text_body: row.text_body.clone(),
        status: status as i32,
        attempts: row.attempts,
        created_at: Some(time::to_proto(row.created_at)),
        sent_at: row.sent_at.map(time::to_proto),
        message_id: row.message_id.clone(),
    }
}

/// Choices, as the API shows them.
pub fn preferences(preferences: Preferences) -> pb::Preferences {
    pb::Preferences { shipping_updates: preferences.shipping_updates }
}
