//! Deadlines that travel with a request across hops.
//!
//! The server layer reads `grpc-timeout` and runs the handler inside a scope
//! that knows the deadline; [`super::MeshChannel`] sends what is left of it
//! on every outgoing call. The edge opens the first scope.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use http::HeaderValue;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `work` with a deadline `timeout` from now, unless the current one is sooner.
pub async fn within<F: Future>(timeout: Duration, work: F) -> F::Output {
    let mut deadline = Instant::now() + timeout;
    if let Some(current) = current() {
        deadline = deadline.min(current);
    }
    DEADLINE.scope(deadline, work).await
}

/// Runs `work` under `deadline` (if there is one): for work handed to
/// another task, which does not inherit the caller's scope.
pub async fn until<F: Future>(deadline: Option<Instant>, work: F) -> F::Output {
    match deadline {
        Some(deadline) => DEADLINE.scope(deadline, work).await,
        None => work.await,
    }
}

/// The deadline of the request being served, if it has one.
pub fn current() -> Option<Instant> {
    DEADLINE.try_with(|deadline| *deadline).ok()
}

/// Time left until the current deadline (zero once it has passed).
pub fn remaining() -> Option<Duration> {
    current().map(|deadline| deadline.saturating_duration_since(Instant::now()))
}

/// Parses a `grpc-timeout` value: up to 8 digits and a unit (H M S m u n).
pub fn parse_grpc_timeout(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?;
    if text.len() < 2 || text.len() > 9 {
        return None;
    }
    let (digits, unit) = text.split_at(text.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// Formats a duration as a `grpc-timeout` value, in the finest unit that fits
/// in 8 digits, rounding down: the callee's deadline must not end after the
/// caller's, or the caller gives up before the callee can say why.
pub fn encode_grpc_timeout(timeout: Duration) -> HeaderValue {
    const MAX: u128 = 99_999_999;
    let micros = timeout.as_micros();
    let text = if micros <= MAX {
        format!("{micros}u")
    } else if timeout.as_millis() <= MAX {
        format!("{}m", timeout.as_millis())
    } else {
        format!("{}S", timeout.as_secs().min(MAX as u64))
    };
    HeaderValue::try_from(text).unwrap_or(HeaderValue::from_static("99999999S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_round_trip() {
        for (text, expected) in [
            ("5S", Duration::from_secs(5)),
            ("250m", Duration::from_millis(250)),
            ("2M", Duration::from_secs(120)),
            ("1H", Duration::from_secs(3600)),
            ("10u", Duration::from_micros(10)),
            ("7n", Duration::from_nanos(7)),
        ] {
            assert_eq!(parse_grpc_timeout(&HeaderValue::from_static(text)), Some(expected), "{text}");
        }
        assert_eq!(encode_grpc_timeout(Duration::from_millis(1500)), "1500000u");
        assert_eq!(encode_grpc_timeout(Duration::from_nanos(1999)), "1u");
        assert_eq!(encode_grpc_timeout(Duration::from_secs(1000)), "1000000m");
        assert_eq!(encode_grpc_timeout(Duration::from_secs(1_000_000)), "1000000S");
        assert_eq!(encode_grpc_timeout(Duration::from_secs(1_000_000_000)), "99999999S");
    }

    #[test]
    fn malformed_timeouts_are_ignored() {
        for text in ["", "5", "S", "123456789S", "5x", "-1S"] {
            assert_eq!(parse_grpc_timeout(&HeaderValue::from_static(text)), None, "{text}");
        }
    }

    #[tokio::test]
    async fn an_inner_scope_never_extends_the_outer_deadline() {
        within(Duration::from_millis(100), async {
            within(Duration::from_secs(60), async {
                let left = remaining().unwrap_or_default();
                assert!(left <= Duration::from_millis(100), "{left:?}");
            })
            .await;
        })
        .await;
        assert_eq!(current(), None);
    }
}
