//! Order statuses, the transitions between them, and the saga's steps.

/// Where an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Checkout in progress.
    Pending,
    /// Paid, stock committed.
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

const ALL: [OrderStatus; 7] = [
    OrderStatus::Pending,
    OrderStatus::Paid,
    OrderStatus::Shipped,
    OrderStatus::Delivered,
    OrderStatus::Cancelled,
    OrderStatus::Rejected,
    OrderStatus::PaymentFailed,
];

impl OrderStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Rejected => "rejected",
            OrderStatus::PaymentFailed => "payment_failed",
        }
    }

    /// The name clients see, e.g. `PAYMENT_FAILED`.
    pub fn label(self) -> String {
        self.as_str().to_uppercase()
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether nothing more can happen to the order.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Delivered | OrderStatus::Cancelled | OrderStatus::Rejected | OrderStatus::PaymentFailed
        )
    }
}

/// A transition an admin may not make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot move from {} to {}", .from.label(), .to.label())]
pub struct IllegalTransition {
    /// The order's status.
    pub from: OrderStatus,
    /// The status asked for.
    pub to: OrderStatus,
}

/// Fulfilment moves an admin may make: PAID -> SHIPPED -> DELIVERED.
pub fn fulfil(from: OrderStatus, to: OrderStatus) -> Result<(), IllegalTransition> {
    match (from, to) {
        (OrderStatus::Paid, OrderStatus::Shipped) | (OrderStatus::Shipped, OrderStatus::Delivered) => Ok(()),
        _ => Err(IllegalTransition { from, to }),
    }
}

/// Whether an order may still be cancelled: only before it ships.
pub fn cancellable(status: OrderStatus) -> Result<(), IllegalTransition> {
    match status {
        OrderStatus::Pending | OrderStatus::Paid => Ok(()),
        from => Err(IllegalTransition { from, to: OrderStatus::Cancelled }),
    }
}

/// The next thing the checkout saga has to do for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Hold stock for it.
    Reserving,
    /// Charge the card (a charge may already have been sent).
    Charging,
    /// Turn the hold into a sale (a commit may already have been sent).
    Committing,
    /// Empty the customer's cart.
    ClearingCart,
    /// Refund and give the stock back, then cancel.
    Cancelling,
    /// Nothing.
    Done,
}

impl Step {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Reserving => "reserving",
            Step::Charging => "charging",
            Step::Committing => "committing",
            Step::ClearingCart => "clearing_cart",
            Step::Cancelling => "cancelling",
            Step::Done => "done",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [Step::Reserving, Step::Charging, Step::Committing, Step::ClearingCart, Step::Cancelling, Step::Done]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paid_to_shipped_to_delivered_is_fulfilment() {
        assert!(fulfil(OrderStatus::Paid, OrderStatus::Shipped).is_ok());
        assert!(fulfil(OrderStatus::Shipped, OrderStatus::Delivered).is_ok());
        for from in ALL {
            for to in ALL {
                let legal = matches!(
                    (from, to),
                    (OrderStatus::Paid, OrderStatus::Shipped) | (OrderStatus::Shipped, OrderStatus::Delivered)
                );
                assert_eq!(fulfil(from, to).is_ok(), legal, "{from:?} -> {to:?}");
            }
        }
        let error = fulfil(OrderStatus::Paid, OrderStatus::Delivered).unwrap_err();
        assert_eq!(error.to_string(), "an order cannot move from PAID to DELIVERED");
    }

    #[test]
    fn orders_cancel_only_before_shipping() {
        assert!(cancellable(OrderStatus::Pending).is_ok());
        assert!(cancellable(OrderStatus::Paid).is_ok());
        assert!(cancellable(OrderStatus::Shipped).is_err());
        assert!(cancellable(OrderStatus::Cancelled).is_err());
    }

    #[test]
    fn names_round_trip() {
        for status in ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::PaymentFailed.label(), "PAYMENT_FAILED");
        for step in
            [Step::Reserving, Step::Charging, Step::Committing, Step::ClearingCart, Step::Cancelling, Step::Done]
        {
            assert_eq!(Step::parse(step.as_str()), Some(step));
        }
        assert!(OrderStatus::Delivered.is_terminal() && !OrderStatus::Paid.is_terminal());
    }
}
