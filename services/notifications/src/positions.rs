//! Which feed position is stored for each producer, so that an event that
//! records nothing need not write its position at once.
//!
//! Handling such an event again changes nothing (it records nothing, again),
//! so its position is stored with the next event that records something, or
//! once [`UNSTORED_AT_MOST`] of them have come in a row. A restart then
//! hands the consumer at most that many events a second time. In a checkout
//! one event in three records nothing (the order's move to paid: the receipt
//! says it), and each skipped write was a transaction of its own.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
};

/// Events in a row that record nothing, after which their position is stored.
pub const UNSTORED_AT_MOST: i64 = 64;

/// The position last stored (or read at subscription) per producer.
#[derive(Debug, Default)]
pub struct StoredPositions(Mutex<HashMap<&'static str, i64>>);

impl StoredPositions {
    /// `position` is what the database holds for `producer` now.
    pub fn stored(&self, producer: &'static str, position: i64) {
        self.lock().insert(producer, position);
    }

    /// Whether the position of an event that records nothing is to be
    /// stored now: when [`UNSTORED_AT_MOST`] events have passed since the one
    /// stored, or when what is stored is not known.
    pub fn due(&self, producer: &'static str, position: i64) -> bool {
        self.lock().get(producer).is_none_or(|stored| position - stored >= UNSTORED_AT_MOST)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<&'static str, i64>> {
        // A poisoned map still holds whole entries.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::{StoredPositions, UNSTORED_AT_MOST};

    #[test]
    fn a_position_is_due_when_none_is_known_or_enough_events_have_passed() {
        let positions = StoredPositions::default();
        assert!(positions.due("orders", 1), "nothing known yet");
        positions.stored("orders", 10);
        assert!(!positions.due("orders", 11));
        assert!(!positions.due("orders", 10 + UNSTORED_AT_MOST - 1));
        assert!(positions.due("orders", 10 + UNSTORED_AT_MOST));
        assert!(positions.due("payments", 11), "each producer on its own");
        positions.stored("orders", 10 + UNSTORED_AT_MOST);
        assert!(!positions.due("orders", 11 + UNSTORED_AT_MOST));
    }
}
