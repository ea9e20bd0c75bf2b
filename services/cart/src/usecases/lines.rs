//! Cart flows: read and price a cart, add, set, remove, clear.

use shop_runtime::time;

use crate::{
    AppState,
    domain::{self, MAX_PER_LINE, PricedCart, PricedProduct},
    error::Error,
    store::{self, CartLineRow},
};

/// A user's cart, priced now with one batch call to the catalog.
pub async fn priced_cart(
    state: &AppState,
    user_id: &str,
) -> Result<(PricedCart, Option<chrono::NaiveDateTime>), Error> {
    let lines = store::lines(&mut state.db.conn().await?, user_id).await?;
    let updated_at = lines.iter().map(|line| line.updated_at).max();
    let mut products = state.products.batch(lines.iter().map(|line| line.product_id.clone()).collect()).await?;
    let priced = lines
        .into_iter()
        .map(|line| {
            let product = match products.iter().position(|p| p.id == line.product_id) {
                Some(index) => products.swap_remove(index),
                None => {
                    // Products are archived, never deleted; this is a broken catalog.
                    tracing::warn!(product_id = %line.product_id, "cart line for a product the catalog does not know");
                    unknown(&line.product_id)
                }
            };
            (product, line.quantity)
        })
        .collect();
    Ok((domain::price(priced, &state.currency)?, updated_at))
}

/// Adds units to a line (creating it), within the per-line maximum and the
/// available stock.
pub async fn add(state: &AppState, user_id: &str, product_id: &str, quantity: i32) -> Result<(), Error> {
    let quantity = domain::units_to_add(quantity)?;
    let product = state.products.sellable(product_id).await?;
    let existing = store::line(&mut state.db.conn().await?, user_id, product_id).await?.map_or(0, |line| line.quantity);
    let total = domain::after_adding(existing, quantity)?;
    if total > product.available {
        return Err(Error::NotEnoughStock { product_id: product_id.to_owned(), available: product.available });
    }
    // Update the line if it exists, else insert it; if a concurrent request
    // inserted it in between, the second round updates it.
    for _ in 0..2 {
        let now = time::now();
        let added =
            state.db.write(async |w| store::add_to_line(w, user_id, product_id, quantity, MAX_PER_LINE, now).await);
        if added.await? {
            return Ok(());
        }
        let line = CartLineRow {
            user_id: user_id.to_owned(),
            product_id: product_id.to_owned(),
            quantity,
            added_at: now,
            updated_at: now,
        };
        if state.db.write(async |w| store::insert_line(w, &line).await).await? {
            return Ok(());
        }
    }
    // Both failed twice: the line exists and concurrent adds filled it up.
    let existing = store::line(&mut state.db.conn().await?, user_id, product_id).await?.map_or(0, |line| line.quantity);
    Err(domain::after_adding(existing, quantity).err().map_or(Error::Conflict, Error::from))
}

/// Sets a line's quantity; 0 removes it.
pub async fn set(state: &AppState, user_id: &str, product_id: &str, quantity: i32) -> Result<(), Error> {
    if domain::quantity_to_set(quantity)? == 0 {
        return remove(state, user_id, product_id).await;
    }
    let product = state.products.sellable(product_id).await?;
    if quantity > product.available {
        return Err(Error::NotEnoughStock { product_id: product_id.to_owned(), available: product.available });
    }
    let now = time::now();
    let line = CartLineRow {
        user_id: user_id.to_owned(),
        product_id: product_id.to_owned(),
        quantity,
        added_at: now,
        updated_at: now,
    };
    state.db.write(async |w| store::set_line(w, &line).await).await?;
    Ok(())
}

/// Removes a line.
pub async fn remove(state: &AppState, user_id: &str, product_id: &str) -> Result<(), Error> {
    state.db.write(async |w| store::delete_line(w, user_id, product_id).await).await?;
    Ok(())
}

/// Empties a cart.
pub async fn clear(state: &AppState, user_id: &str) -> Result<(), Error> {
    let removed = state.db.write(async |w| store::clear(w, user_id).await).await?;
    tracing::debug!(user_id, removed, "cart cleared");
    Ok(())
}

fn unknown(product_id: &str) -> PricedProduct {
    PricedProduct {
        id: product_id.to_owned(),
        name: String::new(),
        sku: String::new(),
        unit_price: 0,
        currency: String::new(),
        available: 0,
        image_url: String::new(),
    }
}
