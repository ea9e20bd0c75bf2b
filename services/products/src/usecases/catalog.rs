//! Catalog flows: create, change, archive, list.

use shop_runtime::{db::is_unique_violation, time};

use crate::{
    AppState,
    domain::{
        listing::ListQuery,
        product::{NewProduct, ProductPatch},
    },
    error::Error,
    store::{self, LedgerRow, ProductChanges, ProductRow},
};

/// Adds a product; its initial stock is the ledger's first entry.
pub async fn create(state: &AppState, product: NewProduct) -> Result<ProductRow, Error> {
    let now = time::now();
    let row = ProductRow {
        id: uuid::Uuid::now_v7().to_string(),
        sku: product.sku,
        name: product.name,
        description: product.description,
        price_minor: product.price_minor,
        currency: product.currency,
        category: product.category,
        image_url: product.image_url,
        stock_on_hand: product.stock,
        stock_reserved: 0,
        archived: false,
        created_at: now,
        updated_at: now,
    };
    state
        .db
        .transaction(async |tx| {
            store::insert_product(tx, &row)
                .await
                .map_err(|e| if is_unique_violation(&e) { Error::SkuTaken } else { e.into() })?;
            if row.stock_on_hand > 0 {
                store::insert_ledger(tx, &ledger_entry(&row.id, row.stock_on_hand, "initial stock", None)).await?;
            }
            Ok::<_, Error>(())
        })
        .await?;
    Ok(row)
}

/// Applies a patch to a product.
pub async fn update(state: &AppState, id: &str, patch: ProductPatch) -> Result<ProductRow, Error> {
    let changes = ProductChanges {
        sku: patch.sku,
        name: patch.name,
        description: patch.description,
        price_minor: patch.price_minor,
        category: patch.category,
        image_url: patch.image_url,
        updated_at: Some(time::now()),
    };
    let mut conn = state.db.conn().await?;
    store::update_product(&mut conn, id, &changes)
        .await
        .map_err(|e| if is_unique_violation(&e) { Error::SkuTaken } else { e.into() })?
        .ok_or_else(|| Error::ProductNotFound(id.to_owned()))
}

/// Archives a product (idempotent).
pub async fn archive(state: &AppState, id: &str) -> Result<ProductRow, Error> {
    let mut conn = state.db.conn().await?;
    store::archive_product(&mut conn, id, time::now()).await?.ok_or_else(|| Error::ProductNotFound(id.to_owned()))
}

/// One page of a listing.
#[derive(Debug)]
pub struct Page {
    /// The products.
    pub products: Vec<ProductRow>,
    /// The token resuming after each product.
    pub cursors: Vec<String>,
    /// The token of the next page; empty on the last.
    pub next_page_token: String,
}

/// Lists the active catalog.
pub async fn list(state: &AppState, query: &ListQuery) -> Result<Page, Error> {
    let mut conn = state.db.conn().await?;
    let mut products = store::list_products(&mut conn, query, query.page_size + 1).await?;
    let more = products.len() as i64 > query.page_size;
    products.truncate(usize::try_from(query.page_size).unwrap_or(0));
    let cursors: Vec<String> = products.iter().map(|p| query.token_after(&p.id, p.price_minor, &p.name)).collect();
    let next_page_token = if more { cursors.last().cloned().unwrap_or_default() } else { String::new() };
    Ok(Page { products, cursors, next_page_token })
}

/// A ledger entry.
pub fn ledger_entry(product_id: &str, delta: i32, reason: &str, order_id: Option<&str>) -> LedgerRow {
    LedgerRow {
        id: uuid::Uuid::now_v7().to_string(),
        product_id: product_id.to_owned(),
        delta,
        reason: reason.to_owned(),
        order_id: order_id.map(str::to_owned),
        created_at: time::now(),
    }
}
