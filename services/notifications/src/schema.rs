//! The notifications service's tables, written by hand so that one
//! description fits both backends.

diesel::table! {
    consumer_positions (producer) {
        producer -> Text,
        position -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    consumed_events (event_id) {
        event_id -> Text,
        producer -> Text,
        consumed_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        event_id -> Text,
        user_id -> Text,
        recipient -> Text,
        kind -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        message_id -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        traceparent -> Text,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    dead_letters (notification_id) {
        notification_id -> Text,
        attempts -> Integer,
        last_error -> Text,
        dead_at -> Timestamp,
    }
}

diesel::table! {
    preferences (user_id) {
        user_id -> Text,
        shipping_updates -> Bool,
        updated_at -> Timestamp,
    }
}
