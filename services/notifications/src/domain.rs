//! What each domain event asks this service to send, and to whom: a pure
//! reading of the event, with no I/O.

use serde_json::{Value, json};
use shop_proto::{
    common::v1::Money,
    events::v1::{Event, event::Payload},
    orders::v1::OrderStatus,
};

/// What a mail is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
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
    /// The order shipped or was delivered.
    ShippingUpdate,
    /// A product is running out (admins).
    StockLow,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 8] = [
        Kind::Welcome,
        Kind::OrderConfirmation,
        Kind::PaymentReceipt,
        Kind::OrderFailed,
        Kind::OrderCancelled,
        Kind::Refund,
        Kind::ShippingUpdate,
        Kind::StockLow,
    ];

    /// Its stored name, which is also its templates' name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Welcome => "welcome",
            Kind::OrderConfirmation => "order_confirmation",
            Kind::PaymentReceipt => "payment_receipt",
            Kind::OrderFailed => "order_failed",
            Kind::OrderCancelled => "order_cancelled",
            Kind::Refund => "refund",
            Kind::ShippingUpdate => "shipping_update",
            Kind::StockLow => "stock_low",
        }
    }

    /// The kind stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// Where a mail is in its delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not sent yet, or being retried.
    Pending,
    /// Sent.
    Sent,
    /// Failed every attempt.
    DeadLettered,
}

impl Status {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sent => "sent",
            Status::DeadLettered => "dead_lettered",
        }
    }

    /// The status stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Status::Pending, Status::Sent, Status::DeadLettered].into_iter().find(|s| s.as_str() == name)
    }
}

/// Who a mail goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// One customer, by account id.
    User(String),
    /// Every admin account.
    Admins,
}

/// One mail an event asks for: its kind, its audience, and what its
/// templates are given.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// What it is about.
    pub kind: Kind,
    /// Who gets it.
    pub audience: Audience,
    /// The template context (the recipient's name is added per recipient).
    pub context: Value,
}

/// A customer's choices; [`Preferences::default`] is everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preferences {
    /// Mails when an order ships or is delivered.
    pub shipping_updates: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Self { shipping_updates: true }
    }
}

impl Preferences {
    /// Whether a customer with these choices gets a mail of `kind`. Only
    /// shipping updates can be turned off: the rest are about their money.
    pub fn wants(&self, kind: Kind) -> bool {
        kind != Kind::ShippingUpdate || self.shipping_updates
    }
}

/// The mail `event` asks for, if any.
pub fn plan(event: &Event) -> Option<Plan> {
    let user = |id: &str| Audience::User(id.to_owned());
    let (kind, audience, context) = match event.payload.as_ref()? {
        Payload::UserRegistered(registered) => {
            (Kind::Welcome, user(&registered.user_id), json!({ "name": registered.name, "email": registered.email }))
        }
        Payload::OrderPlaced(placed) => {
            let lines: Vec<Value> = placed
                .lines
                .iter()
                .map(|line| {
                    json!({ "name": line.name, "quantity": line.quantity, "unit_price": money(line.unit_price.as_ref()) })
                })
                .collect();
            let context = json!({ "order_id": placed.order_id, "total": money(placed.total.as_ref()), "lines": lines });
            (Kind::OrderConfirmation, user(&placed.user_id), context)
        }
        Payload::OrderStatusChanged(changed) => {
            let kind = match changed.to() {
                OrderStatus::Rejected | OrderStatus::PaymentFailed => Kind::OrderFailed,
                OrderStatus::Cancelled => Kind::OrderCancelled,
                OrderStatus::Shipped | OrderStatus::Delivered => Kind::ShippingUpdate,
                // Paid is told by the receipt; pending is told by the confirmation.
                OrderStatus::Paid | OrderStatus::Pending | OrderStatus::Unspecified => return None,
            };
            let status = match changed.to() {
                OrderStatus::Shipped => "shipped",
                OrderStatus::Delivered => "delivered",
                OrderStatus::Rejected => "rejected",
                OrderStatus::PaymentFailed => "payment_failed",
                _ => "cancelled",
            };
            let context = json!({ "order_id": changed.order_id, "status": status, "reason": changed.reason });
            (kind, user(&changed.user_id), context)
        }
        Payload::PaymentSucceeded(paid) => {
            let context = json!({
                "order_id": paid.order_id,
                "payment_id": paid.payment_id,
                "amount": money(paid.amount.as_ref()),
                "card_brand": paid.card_brand,
                "card_last4": paid.card_last4,
            });
            (Kind::PaymentReceipt, user(&paid.user_id), context)
        }
        Payload::PaymentRefunded(refunded) => {
            let context = json!({
                "order_id": refunded.order_id,
                "payment_id": refunded.payment_id,
                "amount": money(refunded.amount.as_ref()),
                "reason": refunded.reason,
            });
            (Kind::Refund, user(&refunded.user_id), context)
        }
        Payload::StockLow(low) => {
            let context = json!({
                "product_id": low.product_id,
                "sku": low.sku,
                "product": low.name,
                "available": low.available,
                "threshold": low.threshold,
            });
            (Kind::StockLow, Audience::Admins, context)
        }
    };
    Some(Plan { kind, audience, context })
}

/// "12.34 USD" (minor units of two-decimal currencies; others as they are).
fn money(money: Option<&Money>) -> String {
    let Some(money) = money else { return String::new() };
    let (whole, cents) = (money.amount_minor / 100, (money.amount_minor % 100).abs());
    format!("{whole}.{cents:02} {}", money.currency)
}

#[cfg(test)]
mod tests {
    use shop_proto::events::v1::{OrderStatusChanged, StockLow, UserRegistered};

    use super::*;

    fn event(payload: Payload) -> Event {
        Event { id: "e1".into(), payload: Some(payload), ..Default::default() }
    }

    fn status_change(to: OrderStatus) -> Event {
        event(Payload::OrderStatusChanged(OrderStatusChanged {
            order_id: "o1".into(),
            user_id: "u1".into(),
            to: to as i32,
            ..Default::default()
        }))
    }

    #[test]
    fn a_registration_asks_for_a_welcome_to_the_new_account() {
        let registered = UserRegistered { user_id: "u1".into(), email: "a@b.test".into(), name: "Ada".into() };
        let plan = plan(&event(Payload::UserRegistered(registered))).unwrap();
        assert_eq!((plan.kind, plan.audience), (Kind::Welcome, Audience::User("u1".into())));
        assert_eq!(plan.context["name"], "Ada");
    }

    #[test]
    fn each_status_an_order_reaches_asks_for_its_own_mail_but_paid_asks_for_none() {
        let kinds = [
            (OrderStatus::Cancelled, Some(Kind::OrderCancelled)),
            (OrderStatus::Shipped, Some(Kind::ShippingUpdate)),
            (OrderStatus::Delivered, Some(Kind::ShippingUpdate)),
            (OrderStatus::PaymentFailed, Some(Kind::OrderFailed)),
            (OrderStatus::Rejected, Some(Kind::OrderFailed)),
            (OrderStatus::Paid, None),
        ];
        for (to, kind) in kinds {
            assert_eq!(plan(&status_change(to)).map(|p| p.kind), kind, "{to:?}");
        }
    }

    #[test]
    fn low_stock_goes_to_the_admins() {
        let low = StockLow { product_id: "p1".into(), available: 3, threshold: 5, ..Default::default() };
        let plan = plan(&event(Payload::StockLow(low))).unwrap();
        assert_eq!((plan.kind, plan.audience), (Kind::StockLow, Audience::Admins));
    }

    #[test]
    fn only_shipping_updates_can_be_turned_off() {
        let off = Preferences { shipping_updates: false };
        let sent: Vec<_> = Kind::ALL.into_iter().filter(|kind| !off.wants(*kind)).collect();
        assert_eq!(sent, [Kind::ShippingUpdate]);
        assert!(Kind::ALL.into_iter().all(|kind| Preferences::default().wants(kind)));
    }

    #[test]
    fn amounts_read_as_money() {
        assert_eq!(money(Some(&Money { amount_minor: 123_405, currency: "USD".into() })), "1234.05 USD");
        assert!(Kind::ALL.into_iter().all(|kind| Kind::parse(kind.as_str()) == Some(kind)));
    }
}
