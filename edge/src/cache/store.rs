//! The cached responses themselves: a bounded map from a request's key to
//! the body it was answered with, each kept for the time to live, all
//! dropped at once when something may have changed the catalog.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use axum::{body::Bytes, http::HeaderValue};

/// Responses kept at most; past it, expired ones are dropped, and if none
/// had expired the new one is not kept.
const MAX_ENTRIES: usize = 1024;

/// A response as it is kept and served again.
#[derive(Clone, Debug)]
pub struct Stored {
    /// Its `content-type`.
    pub content_type: HeaderValue,
    /// Its whole body.
    pub body: Bytes,
}

/// The cache's state at one moment: a response computed after it may be
/// kept only if nothing was invalidated since.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Generation(u64);

/// Responses by request key, for `ttl` each.
#[derive(Debug)]
pub struct ResponseStore {
    ttl: Duration,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    generation: u64,
    entries: HashMap<Bytes, Entry>,
}

#[derive(Debug)]
struct Entry {
    expires: Instant,
    stored: Stored,
}

impl ResponseStore {
    /// An empty store keeping each response for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, inner: Mutex::default() }
    }

    /// The response kept for `key`, if it has not expired.
    pub fn get(&self, key: &[u8]) -> Option<Stored> {
        let inner = self.lock();
        inner.entries.get(key).filter(|entry| entry.expires > Instant::now()).map(|entry| entry.stored.clone())
    }

    /// Now: pass it to [`Self::put`] with the response computed after it.
    pub fn generation(&self) -> Generation {
        Generation(self.lock().generation)
    }

    /// Keeps `stored` for `key`, unless the store was invalidated since
    /// `seen` (the response may predate the change) or is full.
    pub fn put(&self, key: Bytes, stored: Stored, seen: Generation) {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.generation != seen.0 {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.retain(|_, entry| entry.expires > now);
            if inner.entries.len() >= MAX_ENTRIES {
                return;
            }
        }
        inner.entries.insert(key, Entry { expires: now + self.ttl, stored });
    }

    /// Drops every response, and refuses those computed before now.
    pub fn invalidate(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &'static str) -> Stored {
        Stored { content_type: HeaderValue::from_static("application/json"), body: Bytes::from_static(text.as_bytes()) }
    }

    #[test]
    fn a_response_is_served_until_it_expires() {
        let store = ResponseStore::new(Duration::from_millis(50));
        store.put(Bytes::from_static(b"GET /a"), page("a"), store.generation());
        assert_eq!(store.get(b"GET /a").map(|s| s.body), Some(Bytes::from_static(b"a")));
        assert!(store.get(b"GET /b").is_none());
        std::thread::sleep(Duration::from_millis(60));
        assert!(store.get(b"GET /a").is_none(), "expired");
    }

    #[test]
    fn a_response_computed_before_an_invalidation_is_not_kept() {
        let store = ResponseStore::new(Duration::from_secs(60));
        store.put(Bytes::from_static(b"GET /a"), page("old"), store.generation());
        let before = store.generation();
        store.invalidate();
        assert!(store.get(b"GET /a").is_none(), "dropped by the invalidation");
        store.put(Bytes::from_static(b"GET /a"), page("read before the change"), before);
        assert!(store.get(b"GET /a").is_none(), "stale answer kept");
        store.put(Bytes::from_static(b"GET /a"), page("new"), store.generation());
        assert_eq!(store.get(b"GET /a").map(|s| s.body), Some(Bytes::from_static(b"new")));
    }

    #[test]
    fn a_full_store_makes_room_from_expired_responses_only() {
        let store = ResponseStore::new(Duration::from_secs(60));
        for n in 0..MAX_ENTRIES {
            store.put(Bytes::from(format!("GET /{n}")), page("x"), store.generation());
        }
        store.put(Bytes::from_static(b"GET /one-more"), page("x"), store.generation());
        assert!(store.get(b"GET /one-more").is_none(), "nothing had expired");
        assert!(store.get(b"GET /0").is_some());
    }
}
