//! Abuse limits on the flows that take secrets or make accounts: sign-in
//! per account and per client address, refresh per account and per
//! address, registration per address. Each is a GCRA rate limit (governor):
//! a caller over it is told when to come back (RESOURCE_EXHAUSTED with a
//! retry delay), and nothing is locked. An account's sign-in budget is kept
//! per client address, so that someone guessing a victim's password from
//! elsewhere uses up their own budget and never the victim's.

use std::{
    hash::Hash,
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use governor::{Quota, RateLimiter, clock::Clock as _};

use crate::{config::AbuseLimits, error::Error};

/// Every limiter of the service; cheap to clone.
#[derive(Clone, Debug)]
pub struct Throttles {
    login_by_account: Limit<(String, IpAddr)>,
    login_by_address: Limit<IpAddr>,
    refresh_by_account: Limit<String>,
    refresh_by_address: Limit<IpAddr>,
    register_by_address: Limit<IpAddr>,
}

impl Throttles {
    /// The limiters `limits` configures.
    pub fn new(limits: &AbuseLimits) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            login_by_account: Limit::new(limits.login_attempts_per_minute, minute),
            login_by_address: Limit::new(limits.login_attempts_per_minute_per_address, minute),
            refresh_by_account: Limit::new(limits.refreshes_per_minute, minute),
            refresh_by_address: Limit::new(limits.refreshes_per_minute_per_address, minute),
            register_by_address: Limit::new(limits.registrations_per_hour_per_address, Duration::from_secs(3600)),
        }
    }

    /// Takes one sign-in attempt for `email` (normalised) from `address`.
    pub fn login(&self, email: &str, address: Option<IpAddr>) -> Result<(), Error> {
        let Some(address) = address else { return Ok(()) };
        self.login_by_address.take(&address, "sign-in attempts from this address")?;
        self.login_by_account.take(&(email.to_owned(), address), "sign-in attempts for this account")
    }

    /// Takes one refresh from `address`, before the token is looked up.
    pub fn refresh_from(&self, address: Option<IpAddr>) -> Result<(), Error> {
        address.map_or(Ok(()), |address| self.refresh_by_address.take(&address, "token refreshes from this address"))
    }

    /// Takes one refresh for the account `user_id`.
    pub fn refresh_of(&self, user_id: &str) -> Result<(), Error> {
        self.refresh_by_account.take(&user_id.to_owned(), "token refreshes for this account")
    }

    /// Takes one registration from `address`.
    pub fn register(&self, address: Option<IpAddr>) -> Result<(), Error> {
        address.map_or(Ok(()), |address| self.register_by_address.take(&address, "registrations from this address"))
    }
}

/// One keyed limit, or none (configured as 0).
#[derive(Clone)]
struct Limit<K: Hash + Eq + Clone> {
    limiter: Option<Arc<governor::DefaultKeyedRateLimiter<K>>>,
    checks: Arc<AtomicU32>,
}

impl<K: Hash + Eq + Clone> std::fmt::Debug for Limit<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limit").field("on", &self.limiter.is_some()).finish()
    }
}

/// Every this many checks, keys whose budget is full again are forgotten:
/// the key set stays as small as the set of recent callers.
const FORGET_EVERY: u32 = 1024;

impl<K: Hash + Eq + Clone> Limit<K> {
    /// `per_period` a `period`, all of them usable at once; 0 is no limit.
    fn new(per_period: u32, period: Duration) -> Self {
        let limiter = NonZeroU32::new(per_period).and_then(|burst| {
            let quota = Quota::with_period(period / burst.get())?.allow_burst(burst);
            Some(Arc::new(RateLimiter::keyed(quota)))
        });
        Self { limiter, checks: Arc::default() }
    }

    fn take(&self, key: &K, what: &'static str) -> Result<(), Error> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            tracing::warn!(what, retry_after_ms = wait.as_millis() as u64, "throttled");
            Error::Throttled { what, retry_after: wait }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_minute: u32) -> AbuseLimits {
        AbuseLimits {
            login_attempts_per_minute: per_minute,
            login_attempts_per_minute_per_address: 100,
            refreshes_per_minute: per_minute,
            refreshes_per_minute_per_address: 100,
            registrations_per_hour_per_address: per_minute,
        }
    }

    #[test]
    fn an_account_is_throttled_per_address_and_never_for_everyone() {
        let throttles = Throttles::new(&limits(3));
        let (attacker, victim) = (Some("203.0.113.9".parse().unwrap()), Some("198.51.100.1".parse().unwrap()));
        for _ in 0..3 {
            throttles.login("ada@example.com", attacker).unwrap();
        }
        let Err(Error::Throttled { retry_after, .. }) = throttles.login("ada@example.com", attacker) else {
            panic!("the fourth attempt in a minute is throttled");
        };
        assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(20), "{retry_after:?}");
        throttles.login("ada@example.com", victim).unwrap();
        throttles.login("grace@example.com", attacker).unwrap();
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let throttles = Throttles::new(&limits(0));
        let address = Some("203.0.113.9".parse().unwrap());
        for _ in 0..1000 {
            throttles.register(address).unwrap();
            throttles.refresh_of("u1").unwrap();
        }
    }
}
