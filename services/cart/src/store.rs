//! Every query of the cart service, written once for both backends. Writes
//! are single conditional statements, so concurrent changes to one line
//! never lose an update or pass the per-line maximum.

use chrono::NaiveDateTime;
use diesel::{OptionalExtension, prelude::*, result::QueryResult, upsert::excluded};
use diesel_async::RunQueryDsl;
use shop_runtime::{
    db::{DbConn, ReuseStatement},
    db_run,
};

use crate::schema::cart_lines;

/// A stored cart line.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = cart_lines)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct CartLineRow {
    /// Whose cart.
    pub user_id: String,
    /// The product.
    pub product_id: String,
    /// Units, 1 to 99.
    pub quantity: i32,
    /// First added at.
    pub added_at: NaiveDateTime,
    /// Last changed at.
    pub updated_at: NaiveDateTime,
}

/// A user's lines, in the order they were first added.
pub async fn lines(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<CartLineRow>> {
    db_run!(conn, |c| cart_lines::table
        .filter(cart_lines::user_id.eq(user_id))
        .order((cart_lines::added_at.asc(), cart_lines::product_id.asc()))
        .select(CartLineRow::as_select())
        .load(c)
        .await)
}

/// One line.
pub async fn line(conn: &mut DbConn, user_id: &str, product_id: &str) -> QueryResult<Option<CartLineRow>> {
    db_run!(conn, |c| cart_lines::table
        .find((user_id, product_id))
        .select(CartLineRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Adds `quantity` to an existing line if the result stays within `max`.
/// `false`: no such line, or it would pass `max`.
pub async fn add_to_line(
    conn: &mut DbConn,
    user_id: &str,
    product_id: &str,
    quantity: i32,
    max: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = db_run!(conn, |c| diesel::update(
        cart_lines::table.find((user_id, product_id)).filter((cart_lines::quantity + quantity).le(max))
    )
    .set((cart_lines::quantity.eq(cart_lines::quantity + quantity), cart_lines::updated_at.eq(now)))
    .reuse_statement()
    .execute(c)
    .await)?;
    Ok(updated == 1)
}

/// Adds a new line unless one exists. `false`: it exists.
pub async fn insert_line(conn: &mut DbConn, line: &CartLineRow) -> QueryResult<bool> {
    let inserted = db_run!(conn, |c| diesel::insert_into(cart_lines::table)
        .values(line)
        .on_conflict((cart_lines::user_id, cart_lines::product_id))
        .do_nothing()
        .reuse_statement()
        .execute(c)
        .await)?;
    Ok(inserted == 1)
}

/// Sets a line's quantity, adding the line if needed.
pub async fn set_line(conn: &mut DbConn, line: &CartLineRow) -> QueryResult<()> {
    db_run!(conn, |c| diesel::insert_into(cart_lines::table)
        .values(line)
        .on_conflict((cart_lines::user_id, cart_lines::product_id))
        .do_update()
        .set((cart_lines::quantity.eq(excluded(cart_lines::quantity)), cart_lines::updated_at.eq(line.updated_at)))
        .reuse_statement()
        .execute(c)
        .await)
    .map(drop)
}

/// Removes a line (absent is fine).
pub async fn delete_line(conn: &mut DbConn, user_id: &str, product_id: &str) -> QueryResult<()> {
    db_run!(conn, |c| diesel::delete(cart_lines::table.find((user_id, product_id))).execute(c).await).map(drop)
}

/// Removes every line of a user's cart.
pub async fn clear(conn: &mut DbConn, user_id: &str) -> QueryResult<usize> {
    db_run!(conn, |c| diesel::delete(cart_lines::table.filter(cart_lines::user_id.eq(user_id))).execute(c).await)
}
