//! Timestamps as the databases store them (UTC, microsecond precision) and
//! as the wire carries them.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// Now, in UTC, truncated to microseconds: PostgreSQL keeps microseconds,
/// so values read back compare equal on both backends.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A stored UTC timestamp as a protobuf `Timestamp`.
pub fn to_proto(at: NaiveDateTime) -> prost_types::Timestamp {
    let at = at.and_utc();
    prost_types::Timestamp { seconds: at.timestamp(), nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0) }
}

/// A protobuf `Timestamp` as a UTC date-time, if it is in range.
pub fn from_proto(at: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_through_protobuf() {
        let at = now();
        assert_eq!(from_proto(&to_proto(at)).map(|t| t.naive_utc()), Some(at));
        assert_eq!(at.and_utc().timestamp_subsec_nanos() % 1000, 0);
    }
}
