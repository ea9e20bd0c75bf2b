//! The payments service's table, written by hand so that one description
//! fits both backends.

diesel::table! {
    payments (id) {
        id -> Text,
        order_id -> Text,
        user_id -> Text,
        idempotency_key -> Text,
        amount_minor -> BigInt,
        currency -> Text,
        status -> Text,
        failure_reason -> Nullable<Text>,
        failure_message -> Text,
        card_brand -> Text,
        card_last4 -> Text,
        attempts -> Integer,
        claimed_until -> Nullable<Timestamp>,
        refund_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
