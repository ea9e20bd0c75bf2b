//! The product rows.

use chrono::NaiveDateTime;
use diesel::{OptionalExtension, prelude::*, result::QueryResult};
use diesel_async::RunQueryDsl;
use shop_runtime::{
    db::{DbConn, ReuseStatement, SHORT_IN_LIST},
    db_run,
};

use crate::schema::products;

/// A stored product.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = products)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ProductRow {
    /// UUIDv7.
    pub id: String,
    /// Unique sku.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Unit price, minor units.
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Category.
    pub category: String,
    /// Image URL or empty.
    pub image_url: String,
    /// Units on hand.
    pub stock_on_hand: i32,
    /// Units held by active reservations.
    pub stock_reserved: i32,
    /// Archived (deleted from the catalog).
    pub archived: bool,
    /// Created at.
    pub created_at: NaiveDateTime,
    /// Last changed at.
    pub updated_at: NaiveDateTime,
}

impl ProductRow {
    /// Units that can still be reserved.
    pub fn available(&self) -> i32 {
        self.stock_on_hand - self.stock_reserved
    }
}

/// The catalog fields an update sets; `None` leaves a column alone.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = products)]
pub struct ProductChanges {
    /// New sku.
    pub sku: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New price.
    pub price_minor: Option<i64>,
    /// New category.
    pub category: Option<String>,
    /// New image URL.
    pub image_url: Option<String>,
    /// Always set.
    pub updated_at: Option<NaiveDateTime>,
}

/// Adds a product; a taken sku fails with a unique violation.
pub async fn insert_product(conn: &mut DbConn, product: &ProductRow) -> QueryResult<()> {
    db_run!(conn, |c| diesel::insert_into(products::table).values(product).execute(c).await).map(drop)
}

/// One product, archived or not.
pub async fn find_product(conn: &mut DbConn, id: &str) -> QueryResult<Option<ProductRow>> {
    db_run!(conn, |c| products::table.find(id).select(ProductRow::as_select()).first(c).await.optional())
}

/// The products among `ids` that exist, archived or not.
pub async fn find_products(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<ProductRow>> {
    db_run!(conn, |c| products::table
        .filter(products::id.eq_any(ids))
        .select(ProductRow::as_select())
        .reuse_statement_if(ids.len() <= SHORT_IN_LIST)
        .load(c)
        .await)
}

/// Applies `changes`; `None` if there is no such product.
pub async fn update_product(conn: &mut DbConn, id: &str, changes: &ProductChanges) -> QueryResult<Option<ProductRow>> {
    db_run!(conn, |c| diesel::update(products::table.find(id))
        .set(changes)
        .returning(ProductRow::as_returning())
        .reuse_statement()
        .get_result(c)
        .await
        .optional())
}

/// Archives a product; `None` if there is no such product.
pub async fn archive_product(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<Option<ProductRow>> {
    db_run!(conn, |c| diesel::update(products::table.find(id))
        .set((products::archived.eq(true), products::updated_at.eq(now)))
        .returning(ProductRow::as_returning())
        .reuse_statement()
        .get_result(c)
        .await
        .optional())
}

/// How many products exist, archived ones included.
pub async fn count_products(conn: &mut DbConn) -> QueryResult<i64> {
    db_run!(conn, |c| products::table.count().get_result(c).await)
}
