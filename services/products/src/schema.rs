//! The products service's tables, written by hand so that one description
//! fits both backends.

diesel::table! {
    products (id) {
        id -> Text,
        sku -> Text,
        name -> Text,
        description -> Text,
        price_minor -> BigInt,
        currency -> Text,
        category -> Text,
        image_url -> Text,
        stock_on_hand -> Integer,
        stock_reserved -> Integer,
        archived -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    stock_ledger (id) {
        id -> Text,
        product_id -> Text,
        delta -> Integer,
        reason -> Text,
        order_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reservations (order_id) {
        order_id -> Text,
        status -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reservation_items (order_id, product_id) {
        order_id -> Text,
        product_id -> Text,
        quantity -> Integer,
    }
}

diesel::joinable!(stock_ledger -> products (product_id));
diesel::joinable!(reservation_items -> reservations (order_id));
diesel::joinable!(reservation_items -> products (product_id));
diesel::allow_tables_to_appear_in_same_query!(products, stock_ledger, reservations, reservation_items);
