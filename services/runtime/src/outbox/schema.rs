//! The outbox table, the same in every producer's database.

diesel::table! {
    outbox (seq) {
        seq -> BigInt,
        id -> Text,
        aggregate_id -> Text,
        payload -> Binary,
        occurred_at -> Timestamp,
        position -> Nullable<BigInt>,
        published_at -> Nullable<Timestamp>,
    }
}
