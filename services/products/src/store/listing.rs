//! Listing the active catalog: filters, sorts, keyset pages, categories.

use diesel::{define_sql_function, dsl::count_star, prelude::*, result::QueryResult, sql_types::Text};
use diesel_async::RunQueryDsl;
use shop_runtime::{db::DbConn, db_run};

use super::ProductRow;
use crate::{
    domain::listing::{ListQuery, Sort},
    schema::products,
};

define_sql_function! {
    /// SQL `LOWER`, the same on both backends.
    fn lower(text: Text) -> Text;
}

/// Up to `limit` active products matching `query`, after its cursor.
pub async fn list_products(conn: &mut DbConn, query: &ListQuery, limit: i64) -> QueryResult<Vec<ProductRow>> {
    let filter = &query.filter;
    let pattern = filter.like_pattern();
    db_run!(conn, |c| {
        let mut sql = products::table.filter(products::archived.eq(false)).into_boxed();
        if let Some(category) = &filter.category {
            sql = sql.filter(products::category.eq(category));
        }
        if let Some(pattern) = &pattern {
            sql = sql.filter(
                lower(products::name)
                    .like(pattern)
                    .escape('\\')
                    .or(lower(products::description).like(pattern).escape('\\')),
            );
        }
        if let Some(min) = filter.min_price {
            sql = sql.filter(products::price_minor.ge(min));
        }
        if let Some(max) = filter.max_price {
            sql = sql.filter(products::price_minor.le(max));
        }
        if filter.in_stock_only {
            sql = sql.filter((products::stock_on_hand - products::stock_reserved).gt(0));
        }
        let after = query.after.as_ref();
        let (price, name, id) =
            after.map_or((0, "", ""), |a| (a.price.unwrap_or(0), a.name.as_deref().unwrap_or(""), a.id.as_str()));
        sql = match query.sort {
            Sort::Newest => {
                if after.is_some() {
                    sql = sql.filter(products::id.lt(id));
                }
                sql.order(products::id.desc())
            }
            Sort::PriceAsc => {
                if after.is_some() {
                    sql = sql.filter(
                        products::price_minor.gt(price).or(products::price_minor.eq(price).and(products::id.gt(id))),
                    );
                }
                sql.order((products::price_minor.asc(), products::id.asc()))
            }
            Sort::PriceDesc => {
                if after.is_some() {
                    sql = sql.filter(
                        products::price_minor.lt(price).or(products::price_minor.eq(price).and(products::id.lt(id))),
                    );
                }
                sql.order((products::price_minor.desc(), products::id.desc()))
            }
            Sort::NameAsc => {
                if after.is_some() {
                    sql = sql.filter(products::name.gt(name).or(products::name.eq(name).and(products::id.gt(id))));
                }
                sql.order((products::name.asc(), products::id.asc()))
            }
            Sort::NameDesc => {
                if after.is_some() {
                    sql = sql.filter(products::name.lt(name).or(products::name.eq(name).and(products::id.lt(id))));
                }
                sql.order((products::name.desc(), products::id.desc()))
            }
        };
        sql.limit(limit).select(ProductRow::as_select()).load(c).await
    })
}

/// Every category of the active catalog with its product count, by name.
pub async fn list_categories(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    db_run!(conn, |c| products::table
        .filter(products::archived.eq(false))
        .group_by(products::category)
        .select((products::category, count_star()))
        .order(products::category.asc())
        .load(c)
        .await)
}
