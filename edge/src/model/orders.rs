//! Orders, checkout input, payments.

use async_graphql::{Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shop_proto::{orders::v1 as pb, payments::v1 as payments_pb};
use utoipa::ToSchema;

use super::money::{Money, money};
use crate::error::ApiError;

/// Where an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Checkout in progress.
    Pending,
    /// Paid; stock committed.
    Paid,
    /// With the carrier.
    Shipped,
    /// Received.
    Delivered,
    /// Cancelled (refunded and restocked if it had been paid).
    Cancelled,
    /// Not enough stock.
    Rejected,
    /// The card was declined.
    PaymentFailed,
}

impl OrderStatus {
    fn from_proto(value: i32) -> Option<Self> {
        Some(match pb::OrderStatus::try_from(value).ok()? {
            pb::OrderStatus::Unspecified => return None,
            pb::OrderStatus::Pending => OrderStatus::Pending,
            pb::OrderStatus::Paid => OrderStatus::Paid,
            pb::OrderStatus::Shipped => OrderStatus::Shipped,
            pb::OrderStatus::Delivered => OrderStatus::Delivered,
            pb::OrderStatus::Cancelled => OrderStatus::Cancelled,
            pb::OrderStatus::Rejected => OrderStatus::Rejected,
            pb::OrderStatus::PaymentFailed => OrderStatus::PaymentFailed,
        })
    }
}

impl From<OrderStatus> for pb::OrderStatus {
    fn from(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Pending => pb::OrderStatus::Pending,
            OrderStatus::Paid => pb::OrderStatus::Paid,
            OrderStatus::Shipped => pb::OrderStatus::Shipped,
            OrderStatus::Delivered => pb::OrderStatus::Delivered,
            OrderStatus::Cancelled => pb::OrderStatus::Cancelled,
            OrderStatus::Rejected => pb::OrderStatus::Rejected,
            OrderStatus::PaymentFailed => pb::OrderStatus::PaymentFailed,
        }
    }
}

/// A shipping address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, SimpleObject, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(input_name = "AddressInput")]
pub struct Address {
    /// Recipient, up to 200 characters.
    #[schema(
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 200
    )]
    pub name: String,
    /// Street and number, up to 200 characters.
    #[schema(
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 200
    )]
    pub line1: String,
    /// Apartment, suite, ... (may be empty), up to 200 characters.
    #[serde(default)]
    #[graphql(default)]
    #[schema(pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$", max_length = 200)]
    pub line2: String,
    /// City, up to 100 characters.
    #[schema(
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 100
    )]
    pub city: String,
    /// Postal code as printed (a string: leading zeros and letters matter):
    /// letters, digits, spaces and dashes, up to 20.
    #[schema(pattern = r"^\s*[A-Za-z0-9 -]*[A-Za-z0-9-][A-Za-z0-9 -]*\s*$", max_length = 20)]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, e.g. "DE" (any case).
    #[schema(pattern = r"^\s*[A-Za-z]{2}\s*$")]
    pub country: String,
}

/// A payment card. Passed to payments; never stored by orders or logged.
#[derive(Clone, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
#[graphql(name = "CardInput")]
pub struct CardInput {
    /// 12 to 19 digits (spaces and dashes ignored) that pass the Luhn check.
    /// Test cards: 4242424242424242 succeeds, 4000000000000002 is declined,
    /// 4000000000009995 has insufficient funds.
    #[schema(pattern = r"^[ -]*([0-9][ -]*){12,19}$")]
    pub number: String,
    /// 1 to 12; with `exp_year`, not in the past.
    #[schema(minimum = 1, maximum = 12)]
    pub exp_month: i32,
    /// Four-digit year; with `exp_month`, not in the past.
    #[schema(minimum = 1000, maximum = 9999)]
    pub exp_year: i32,
    /// 3 or 4 digits.
    #[schema(pattern = r"^[0-9]{3,4}$")]
    pub cvc: String,
}

impl std::fmt::Debug for CardInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardInput([redacted])")
    }
}

impl From<CardInput> for payments_pb::Card {
    fn from(card: CardInput) -> Self {
        Self { number: card.number, exp_month: card.exp_month, exp_year: card.exp_year, cvc: card.cvc }
    }
}

/// What GraphQL's `checkout` takes.
#[derive(Debug, Clone, InputObject)]
pub struct CheckoutInput {
    /// Client-chosen; a retry with the same key returns the same order.
    pub idempotency_key: String,
    /// Where to ship.
    pub shipping_address: Address,
    /// What to charge.
    pub card: CardInput,
}

/// The body of `POST /api/v1/orders` (the key goes in the `Idempotency-Key` header).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    /// Where to ship.
    pub shipping_address: Address,
    /// What to charge.
    pub card: CardInput,
}

/// The request that places an order.
pub fn place_order_request(idempotency_key: String, address: Address, card: CardInput) -> pb::PlaceOrderRequest {
    pb::PlaceOrderRequest {
        idempotency_key,
        shipping_address: Some(pb::Address {
            name: address.name,
            line1: address.line1,
            line2: address.line2,
            city: address.city,
            postal_code: address.postal_code,
            country: address.country,
        }),
        card: Some(card.into()),
    }
}

/// One product of an order, priced when it was placed.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(complex)]
pub struct OrderLine {
    /// The product.
    #[schema(value_type = String)]
    pub product_id: ID,
    /// Its sku then.
    pub sku: String,
    /// Its name then.
    pub name: String,
    /// Its unit price then.
    pub unit_price: Money,
    /// Units.
    pub quantity: i32,
    /// unit price x quantity.
    pub subtotal: Money,
}

/// A status change.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct OrderEvent {
    /// The status before; absent for the first event.
    pub from_status: Option<OrderStatus>,
    /// The status after.
    pub to_status: OrderStatus,
    /// Why.
    pub reason: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

impl OrderEvent {
    /// An event from the wire.
    pub fn from_proto(event: pb::OrderEvent) -> Self {
        Self {
            from_status: OrderStatus::from_proto(event.from_status),
            to_status: OrderStatus::from_proto(event.to_status).unwrap_or(OrderStatus::Pending),
            reason: event.reason,
            occurred_at: event.occurred_at.as_ref().and_then(shop_runtime::time::from_proto).unwrap_or_default(),
        }
    }
}

/// An order.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(complex)]
pub struct Order {
    /// UUIDv7.
    #[schema(value_type = String)]
    pub id: ID,
    /// The customer.
    pub user_id: String,
    /// Where it is.
    pub status: OrderStatus,
    /// Why, for REJECTED, PAYMENT_FAILED and CANCELLED orders.
    pub status_reason: String,
    /// What was ordered.
    pub lines: Vec<OrderLine>,
    /// What was charged.
    pub total: Money,
    /// Where it goes.
    pub shipping_address: Option<Address>,
    /// The key it was placed with.
    pub idempotency_key: String,
    /// Every status change, oldest first.
    pub events: Vec<OrderEvent>,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<Option<pb::Order>> for Order {
    type Error = ApiError;

    fn try_from(order: Option<pb::Order>) -> Result<Self, ApiError> {
        let order = order.ok_or_else(|| ApiError::new(tonic::Code::Internal, "internal error"))?;
        let at =
            |t: Option<prost_types::Timestamp>| t.as_ref().and_then(shop_runtime::time::from_proto).unwrap_or_default();
        Ok(Self {
            id: ID(order.id),
            user_id: order.user_id,
            status: OrderStatus::from_proto(order.status).unwrap_or(OrderStatus::Pending),
            status_reason: order.status_reason,
            lines: order
                .lines
                .into_iter()
                .map(|line| OrderLine {
                    product_id: ID(line.product_id),
                    sku: line.sku,
                    name: line.name,
                    unit_price: money(line.unit_price),
                    quantity: line.quantity,
                    subtotal: money(line.subtotal),
                })
                .collect(),
            total: money(order.total),
            shipping_address: order.shipping_address.map(|a| Address {
                name: a.name,
                line1: a.line1,
                line2: a.line2,
                city: a.city,
                postal_code: a.postal_code,
                country: a.country,
            }),
            idempotency_key: order.idempotency_key,
            events: order.events.into_iter().map(OrderEvent::from_proto).collect(),
            created_at: at(order.created_at),
            updated_at: at(order.updated_at),
        })
    }
}

/// One page of orders.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderPage {
    /// Newest first.
    pub items: Vec<Order>,
    /// Pass as `page_token` for the next page; empty on the last page.
    pub next_page_token: String,
}

/// Why an order is cancelled.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Optional, up to 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: String,
}

/// A fulfilment step (admins).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// Where the order goes next.
    pub status: FulfilmentStatus,
    /// Optional note, e.g. a tracking number.
    #[serde(default)]
    pub reason: String,
}

/// The statuses fulfilment moves an order to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FulfilmentStatus {
    /// Handed to the carrier (from PAID).
    Shipped,
    /// Received (from SHIPPED).
    Delivered,
}

impl From<FulfilmentStatus> for pb::OrderStatus {
    fn from(status: FulfilmentStatus) -> Self {
        match status {
            FulfilmentStatus::Shipped => pb::OrderStatus::Shipped,
            FulfilmentStatus::Delivered => pb::OrderStatus::Delivered,
        }
    }
}

/// A payment's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    /// Being processed.
    Pending,
    /// Money taken.
    Succeeded,
    /// The card was declined.
    Declined,
    /// Money returned.
    Refunded,
    /// Closed before any money was taken.
    Voided,
}

/// A payment of an order.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct Payment {
    /// UUIDv7.
    #[schema(value_type = String)]
    pub id: ID,
    /// The amount.
    pub amount: Money,
    /// Its state.
    pub status: PaymentStatus,
    /// Why it was declined; empty otherwise.
    pub failure_message: String,
    /// Card brand, e.g. "visa".
    pub card_brand: String,
    /// The card's last four digits.
    pub card_last4: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl From<payments_pb::Payment> for Payment {
    fn from(p: payments_pb::Payment) -> Self {
        let status = match payments_pb::PaymentStatus::try_from(p.status) {
            Ok(payments_pb::PaymentStatus::Succeeded) => PaymentStatus::Succeeded,
            Ok(payments_pb::PaymentStatus::Declined) => PaymentStatus::Declined,
            Ok(payments_pb::PaymentStatus::Refunded) => PaymentStatus::Refunded,
            Ok(payments_pb::PaymentStatus::Voided) => PaymentStatus::Voided,
            _ => PaymentStatus::Pending,
        };
        Self {
            id: ID(p.id),
            amount: money(p.amount),
            status,
            failure_message: p.failure_message,
            card_brand: p.card_brand,
            card_last4: p.card_last4,
            created_at: p.created_at.as_ref().and_then(shop_runtime::time::from_proto).unwrap_or_default(),
        }
    }
}

/// Payments of an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentList {
    /// Oldest first.
    pub items: Vec<Payment>,
}

/// A change of an order's status, as the subscription delivers it.
#[derive(Debug, Clone, SimpleObject)]
pub struct OrderStatusChange {
    /// The order.
    pub order_id: ID,
    /// Its status now.
    pub status: OrderStatus,
    /// The change (in the first message, the latest one).
    pub event: Option<OrderEvent>,
}

impl From<pb::WatchOrderResponse> for OrderStatusChange {
    fn from(change: pb::WatchOrderResponse) -> Self {
        Self {
            order_id: ID(change.order_id),
            status: OrderStatus::from_proto(change.status).unwrap_or(OrderStatus::Pending),
            event: change.event.map(OrderEvent::from_proto),
        }
    }
}
