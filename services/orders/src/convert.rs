//! Stored rows as the wire shows them.

use shop_proto::{
    common::v1::Money,
    events::v1::{self as events, event::Payload},
    orders::v1 as pb,
};
use shop_runtime::{outbox, service::Service as _, time};

use crate::{
    AppState,
    domain::status::OrderStatus,
    store::{AddressRow, EventRow, LineRow, OrderRow},
};

/// A status on the wire.
pub fn status(status: OrderStatus) -> pb::OrderStatus {
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

/// A status from the wire (`None` for unspecified or unknown).
pub fn status_from_proto(value: i32) -> Option<OrderStatus> {
    match pb::OrderStatus::try_from(value).ok()? {
        pb::OrderStatus::Unspecified => None,
        pb::OrderStatus::Pending => Some(OrderStatus::Pending),
        pb::OrderStatus::Paid => Some(OrderStatus::Paid),
        pb::OrderStatus::Shipped => Some(OrderStatus::Shipped),
        pb::OrderStatus::Delivered => Some(OrderStatus::Delivered),
        pb::OrderStatus::Cancelled => Some(OrderStatus::Cancelled),
        pb::OrderStatus::Rejected => Some(OrderStatus::Rejected),
        pb::OrderStatus::PaymentFailed => Some(OrderStatus::PaymentFailed),
    }
}

fn stored_status(name: Option<&str>) -> i32 {
    name.and_then(OrderStatus::parse).map_or(pb::OrderStatus::Unspecified, status).into()
}

/// An event on the wire.
pub fn event(row: &EventRow) -> pb::OrderEvent {
    pb::OrderEvent {
        from_status: stored_status(row.from_status.as_deref()),
        to_status: stored_status(Some(&row.to_status)),
        reason: row.reason.clone(),
        occurred_at: Some(time::to_proto(row.occurred_at)),
    }
}

/// The domain event a new order is.
pub fn placed(order: &OrderRow, lines: &[LineRow]) -> events::Event {
    let money = |amount_minor| Some(Money { amount_minor, currency: order.currency.clone() });
    let lines = lines
        .iter()
        .map(|line| events::OrderedLine {
            product_id: line.product_id.clone(),
            name: line.name.clone(),
            quantity: line.quantity,
            unit_price: money(line.unit_price_minor),
        })
        .collect();
    let placed = events::OrderPlaced {
        order_id: order.id.clone(),
        user_id: order.user_id.clone(),
        total: money(order.total_minor),
        lines,
    };
    outbox::event(AppState::NAME, &order.id, Payload::OrderPlaced(placed))
}

/// The domain event `order` reaching `to` from the stored status `from` is.
pub fn status_changed(order: &OrderRow, from: &str, to: OrderStatus, reason: &str) -> events::Event {
    let changed = events::OrderStatusChanged {
        order_id: order.id.clone(),
        user_id: order.user_id.clone(),
        from: stored_status(Some(from)),
        to: status(to).into(),
        reason: reason.to_owned(),
    };
    outbox::event(AppState::NAME, &order.id, Payload::OrderStatusChanged(changed))
}

/// The details of a set of orders, loaded together.
#[derive(Debug, Default)]
pub struct Details {
    /// Their addresses.
    pub addresses: Vec<AddressRow>,
    /// Their lines.
    pub lines: Vec<LineRow>,
    /// Their events.
    pub events: Vec<EventRow>,
}

impl Details {
    /// One order's details as its writer holds them, in the order the
    /// store reads them back in (lines by product, events by id).
    pub fn of_one(address: AddressRow, mut lines: Vec<LineRow>, mut events: Vec<EventRow>) -> Self {
        lines.sort_by(|a, b| a.product_id.cmp(&b.product_id));
        events.sort_by(|a, b| a.id.cmp(&b.id));
        Self { addresses: vec![address], lines, events }
    }
}

/// An order on the wire, with its own address, lines and events from `details`.
pub fn order(row: &OrderRow, details: &Details) -> pb::Order {
    let (lines, events) = (&details.lines, &details.events);
    let money = |amount_minor: i64| Some(Money { amount_minor, currency: row.currency.clone() });
    pb::Order {
        id: row.id.clone(),
        user_id: row.user_id.clone(),
        status: stored_status(Some(&row.status)),
        status_reason: row.status_reason.clone(),
        lines: lines
            .iter()
            .filter(|l| l.order_id == row.id)
            .map(|l| pb::OrderLine {
                product_id: l.product_id.clone(),
                sku: l.sku.clone(),
                name: l.name.clone(),
                unit_price: money(l.unit_price_minor),
                quantity: l.quantity,
                subtotal: money(l.subtotal_minor),
            })
            .collect(),
        total: money(row.total_minor),
        shipping_address: details.addresses.iter().find(|a| a.order_id == row.id).map(|a| pb::Address {
            name: a.name.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        }),
        idempotency_key: row.idempotency_key.clone(),
        events: events.iter().filter(|e| e.order_id == row.id).map(event).collect(),
        created_at: Some(time::to_proto(row.created_at)),
        updated_at: Some(time::to_proto(row.updated_at)),
    }
}
