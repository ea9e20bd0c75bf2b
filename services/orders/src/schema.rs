//! The orders service's tables, written by hand so that one description fits
//! both backends.

diesel::table! {
    orders (id) {
        id -> Text,
        user_id -> Text,
        idempotency_key -> Text,
        status -> Text,
        status_reason -> Text,
        step -> Text,
        total_minor -> BigInt,
        currency -> Text,
        payment_id -> Nullable<Text>,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    order_addresses (order_id) {
        order_id -> Text,
        name -> Text,
        line1 -> Text,
        line2 -> Text,
        city -> Text,
        postal_code -> Text,
        country -> Text,
    }
}

diesel::table! {
    order_lines (order_id, product_id) {
        order_id -> Text,
        product_id -> Text,
        sku -> Text,
        name -> Text,
        unit_price_minor -> BigInt,
        quantity -> Integer,
        subtotal_minor -> BigInt,
    }
}

diesel::table! {
    order_events (id) {
        id -> Text,
        order_id -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        reason -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::joinable!(order_addresses -> orders (order_id));
diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(order_events -> orders (order_id));
diesel::allow_tables_to_appear_in_same_query!(orders, order_addresses, order_lines, order_events);
