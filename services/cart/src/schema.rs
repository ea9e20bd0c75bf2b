//! The cart service's table, written by hand so that one description fits
//! both backends.

diesel::table! {
    cart_lines (user_id, product_id) {
        user_id -> Text,
        product_id -> Text,
        quantity -> Integer,
        added_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
