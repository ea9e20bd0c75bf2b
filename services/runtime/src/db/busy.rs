//! SQLITE_BUSY, waited out without holding a thread: a statement refused
//! because another connection holds the write lock is tried again after a
//! short pause, for as long as a busy timeout would have waited.

use std::time::{Duration, Instant};

use diesel::result::{DatabaseErrorKind, Error as DieselError, QueryResult};

/// How long a statement keeps trying while the database is busy.
pub const BUSY_LIMIT: Duration = Duration::from_secs(5);
/// The longest pause between two tries.
const MOST_PAUSE: Duration = Duration::from_millis(10);

/// Whether SQLite refused the statement because the database was locked.
pub fn is_busy(error: &DieselError) -> bool {
    // diesel has no kind for SQLITE_BUSY; its message is SQLite's own, fixed text.
    matches!(error, DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
        if info.message().starts_with("database is locked") || info.message().starts_with("database table is locked"))
}

/// The pauses between tries of one statement: 1, 2, 4, 8, then 10 ms, until
/// [`BUSY_LIMIT`] has passed since the first.
#[doc(hidden)]
#[derive(Debug)]
pub struct Backoff {
    started: Instant,
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { started: Instant::now(), next: Duration::from_millis(1) }
    }
}

impl Backoff {
    /// The pause before trying again, if `result` was refused as busy and
    /// there is time left; `None` to take `result` as it is.
    pub fn pause_after<T>(&mut self, result: &QueryResult<T>) -> Option<Duration> {
        let busy = result.as_ref().err().is_some_and(is_busy);
        if !busy || self.started.elapsed() >= BUSY_LIMIT {
            return None;
        }
        let pause = self.next;
        self.next = (self.next * 2).min(MOST_PAUSE);
        Some(pause)
    }
}

/// Sleeps `pause`, for [`crate::db_run!`]'s expansion in other crates.
#[doc(hidden)]
pub async fn pause(pause: Duration) {
    tokio::time::sleep(pause).await;
}
