//! The mails the notifications service sent a user, and their choices.

use async_graphql::{Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shop_proto::notifications::v1 as pb;
use utoipa::ToSchema;

/// What a mail is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotificationKind {
    /// Welcome, on registration.
    Welcome,
    /// The order was placed.
    OrderConfirmation,
    /// A payment went through.
    PaymentReceipt,
    /// The order could not be completed.
    OrderFailed,
    /// The order was cancelled.
    OrderCancelled,
    /// A payment was refunded.
    Refund,
    /// The order shipped or was delivered (can be turned off).
    ShippingUpdate,
    /// A product is running out (admins).
    StockLow,
}

/// Where a mail is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Not sent yet, or being retried.
    Pending,
    /// Sent.
    Sent,
    /// Failed every attempt.
    DeadLettered,
}

/// One mail to the user.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct Notification {
    /// UUIDv7.
    #[schema(value_type = String)]
    pub id: ID,
    /// What it is about.
    pub kind: NotificationKind,
    /// The domain event that caused it.
    pub event_id: String,
    /// The address it went to.
    pub recipient: String,
    /// Its subject line.
    pub subject: String,
    /// Its plain-text body.
    pub text_body: String,
    /// Where it is in its delivery.
    pub status: DeliveryStatus,
    /// Send attempts so far.
    pub attempts: i32,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<pb::Notification> for Notification {
    fn from(n: pb::Notification) -> Self {
        let kind = match n.kind() {
            pb::NotificationKind::Welcome | pb::NotificationKind::Unspecified => NotificationKind::Welcome,
            pb::NotificationKind::OrderConfirmation => NotificationKind::OrderConfirmation,
            pb::NotificationKind::PaymentReceipt => NotificationKind::PaymentReceipt,
            pb::NotificationKind::OrderFailed => NotificationKind::OrderFailed,
            pb::NotificationKind::OrderCancelled => NotificationKind::OrderCancelled,
            pb::NotificationKind::Refund => NotificationKind::Refund,
            pb::NotificationKind::ShippingUpdate => NotificationKind::ShippingUpdate,
            pb::NotificationKind::StockLow => NotificationKind::StockLow,
        };
        let status = match n.status() {
            pb::DeliveryStatus::Sent => DeliveryStatus::Sent,
            pb::DeliveryStatus::DeadLettered => DeliveryStatus::DeadLettered,
            pb::DeliveryStatus::Pending | pb::DeliveryStatus::Unspecified => DeliveryStatus::Pending,
        };
        let at = |t: Option<prost_types::Timestamp>| t.as_ref().and_then(shop_runtime::time::from_proto);
        Self {
            id: ID(n.id),
            kind,
            event_id: n.event_id,
            recipient: n.recipient,
            subject: n.subject,
            text_body: n.text_body,
            status,
            attempts: n.attempts,
            created_at: at(n.created_at).unwrap_or_default(),
            sent_at: at(n.sent_at),
        }
    }
}

/// One page of a user's mails.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationPage {
    /// Newest first.
    pub items: Vec<Notification>,
    /// Pass as `page_token` for the next page; empty on the last page.
    pub next_page_token: String,
}

/// What a customer chooses to receive. Receipts, confirmations and notices
/// about money are always sent.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, SimpleObject, InputObject)]
#[graphql(input_name = "NotificationPreferencesInput")]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferences {
    /// Mails when an order ships or is delivered.
    pub shipping_updates: bool,
}

impl From<Option<pb::Preferences>> for NotificationPreferences {
    fn from(p: Option<pb::Preferences>) -> Self {
        Self { shipping_updates: p.is_none_or(|p| p.shipping_updates) }
    }
}

impl From<NotificationPreferences> for pb::Preferences {
    fn from(p: NotificationPreferences) -> Self {
        Self { shipping_updates: p.shipping_updates }
    }
}
