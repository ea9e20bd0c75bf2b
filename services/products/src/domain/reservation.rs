//! Reservations: what a valid request is, and what each lifecycle call does
//! to a reservation in each state.

use std::{collections::HashMap, time::Duration};

use chrono::NaiveDateTime;
use shop_runtime::validation::{FieldViolation, Violations};

/// Longest hold a caller may ask for.
pub const MAX_TTL: Duration = Duration::from_secs(3600);
/// Most lines in one reservation.
pub const MAX_ITEMS: usize = 100;

/// A reservation's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Holding stock.
    Active,
    /// Sold.
    Committed,
    /// Given back.
    Released,
    /// Not committed in time; given back.
    Expired,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Committed => "committed",
            Status::Released => "released",
            Status::Expired => "expired",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [Status::Active, Status::Committed, Status::Released, Status::Expired].into_iter().find(|s| s.as_str() == name)
    }
}

/// A validated ReserveStock request; items are ordered by product id, so that
/// concurrent reservations lock rows in the same order and never deadlock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationRequest {
    /// The order (idempotency key).
    pub order_id: String,
    /// (product id, quantity), by product id.
    pub items: Vec<(String, i32)>,
    /// How long to hold.
    pub ttl: Duration,
}

impl ReservationRequest {
    /// Validates a request; `ttl_seconds` 0 means `default_ttl`.
    pub fn parse(
        order_id: &str,
        items: &[(String, i32)],
        ttl_seconds: i32,
        default_ttl: Duration,
    ) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        if order_id.trim().is_empty() || order_id.len() > 100 {
            violations.push(FieldViolation::new("order_id", "is required (at most 100 characters)"));
        }
        if items.is_empty() || items.len() > MAX_ITEMS {
            violations.push(FieldViolation::new("items", format!("must hold 1 to {MAX_ITEMS} entries")));
        }
        let mut first_seen: HashMap<&str, usize> = HashMap::new();
        for (index, (product_id, quantity)) in items.iter().enumerate() {
            if product_id.is_empty() {
                violations.push(FieldViolation::new(format!("items[{index}].product_id"), "is required"));
            } else if let Some(first) = first_seen.insert(product_id, index) {
                violations
                    .push(FieldViolation::new(format!("items[{index}].product_id"), format!("repeats items[{first}]")));
            }
            if *quantity < 1 {
                violations.push(FieldViolation::new(format!("items[{index}].quantity"), "must be at least 1"));
            }
        }
        let ttl = match u64::try_from(ttl_seconds) {
            Ok(0) => Some(default_ttl),
            Ok(seconds) if seconds <= MAX_TTL.as_secs() => Some(Duration::from_secs(seconds)),
            _ => {
                violations
                    .push(FieldViolation::new("ttl_seconds", format!("must be between 0 and {}", MAX_TTL.as_secs())));
                None
            }
        };
        violations.finish(|| {
            let mut items = items.to_vec();
            items.sort();
            Some(Self { order_id: order_id.to_owned(), items, ttl: ttl? })
        })
    }
}

/// What CommitReservation does to a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitStep {
    /// Active and in time: sell the held stock.
    Commit,
    /// Already committed: nothing (idempotent).
    AlreadyCommitted,
    /// Active but past its expiry (the sweeper has not reached it yet):
    /// expire it now, and refuse.
    ExpireAndRefuse,
    /// Released or expired: refuse.
    Refuse(Status),
}

/// Decides CommitReservation's step.
pub fn commit_step(status: Status, expires_at: NaiveDateTime, now: NaiveDateTime) -> CommitStep {
    match status {
        Status::Active if now < expires_at => CommitStep::Commit,
        Status::Active => CommitStep::ExpireAndRefuse,
        Status::Committed => CommitStep::AlreadyCommitted,
        closed => CommitStep::Refuse(closed),
    }
}

/// What ReleaseReservation does to a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseStep {
    /// Active: stop holding the stock.
    Unhold,
    /// Committed (the order was cancelled after payment): put it back on hand.
    Restock,
    /// Already released or expired: nothing.
    Nothing,
}

/// Decides ReleaseReservation's step.
pub fn release_step(status: Status) -> ReleaseStep {
    match status {
        Status::Active => ReleaseStep::Unhold,
        Status::Committed => ReleaseStep::Restock,
        Status::Released | Status::Expired => ReleaseStep::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    const DEFAULT: Duration = Duration::from_secs(900);

    #[test]
    fn items_are_sorted_and_the_default_ttl_applies() {
        let items = vec![("b".to_owned(), 1), ("a".to_owned(), 2)];
        let request = ReservationRequest::parse("o1", &items, 0, DEFAULT).unwrap();
        assert_eq!(request.items, [("a".to_owned(), 2), ("b".to_owned(), 1)]);
        assert_eq!(request.ttl, DEFAULT);
    }

    #[test]
    fn bad_requests_name_the_item() {
        let items = vec![("a".to_owned(), 1), ("a".to_owned(), 0), (String::new(), 1)];
        let fields: Vec<_> =
            ReservationRequest::parse("", &items, 7200, DEFAULT).unwrap_err().into_iter().map(|v| v.field).collect();
        assert_eq!(
            fields,
            ["order_id", "items[1].product_id", "items[1].quantity", "items[2].product_id", "ttl_seconds"]
        );
        assert_eq!(ReservationRequest::parse("o", &[], 0, DEFAULT).unwrap_err()[0].field, "items");
    }

    #[test]
    fn commit_steps() {
        let now = shop_runtime::time::now();
        let later = now + TimeDelta::seconds(60);
        let earlier = now - TimeDelta::seconds(1);
        assert_eq!(commit_step(Status::Active, later, now), CommitStep::Commit);
        assert_eq!(commit_step(Status::Active, earlier, now), CommitStep::ExpireAndRefuse);
        assert_eq!(commit_step(Status::Committed, earlier, now), CommitStep::AlreadyCommitted);
        assert_eq!(commit_step(Status::Expired, later, now), CommitStep::Refuse(Status::Expired));
        assert_eq!(commit_step(Status::Released, later, now), CommitStep::Refuse(Status::Released));
    }

    #[test]
    fn release_steps_and_names() {
        assert_eq!(release_step(Status::Active), ReleaseStep::Unhold);
        assert_eq!(release_step(Status::Committed), ReleaseStep::Restock);
        assert_eq!(release_step(Status::Expired), ReleaseStep::Nothing);
        for status in [Status::Active, Status::Committed, Status::Released, Status::Expired] {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
    }
}
