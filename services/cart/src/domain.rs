//! Cart rules: quantities, and pricing a cart from the catalog. No I/O here.

use shop_runtime::validation::FieldViolation;

/// Most units of one product in a cart.
pub const MAX_PER_LINE: i32 = 99;

/// Checks the units an AddItem adds.
pub fn units_to_add(quantity: i32) -> Result<i32, FieldViolation> {
    if (1..=MAX_PER_LINE).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(FieldViolation::new("quantity", format!("must be between 1 and {MAX_PER_LINE}")))
    }
}

/// Checks the quantity a SetItemQuantity sets (0 removes the line).
pub fn quantity_to_set(quantity: i32) -> Result<i32, FieldViolation> {
    if (0..=MAX_PER_LINE).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(FieldViolation::new("quantity", format!("must be between 0 and {MAX_PER_LINE}")))
    }
}

/// The line quantity after adding `adding` to `existing`.
pub fn after_adding(existing: i32, adding: i32) -> Result<i32, FieldViolation> {
    let total = existing.saturating_add(adding);
    if total <= MAX_PER_LINE {
        Ok(total)
    } else {
        Err(FieldViolation::new(
            "quantity",
            format!("at most {MAX_PER_LINE} per line; the cart already has {existing} of this product"),
        ))
    }
}

/// A product as pricing needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedProduct {
    /// Id.
    pub id: String,
    /// Current name.
    pub name: String,
    /// Sku.
    pub sku: String,
    /// Current unit price, minor units.
    pub unit_price: i64,
    /// Its currency.
    pub currency: String,
    /// Units available now (0 when archived).
    pub available: i32,
    /// Image URL.
    pub image_url: String,
}

/// A line priced now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    /// The product.
    pub product: PricedProduct,
    /// Units.
    pub quantity: i32,
    /// unit price x quantity.
    pub subtotal: i64,
}

/// A cart priced now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedCart {
    /// The lines.
    pub lines: Vec<PricedLine>,
    /// Sum of the subtotals.
    pub total: i64,
    /// The catalog's currency.
    pub currency: String,
    /// Sum of the quantities.
    pub item_count: i32,
}

/// Why a cart cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// Products priced in different currencies.
    #[error("the cart holds products priced in {0} and {1}")]
    MixedCurrencies(String, String),
    /// A sum past i64.
    #[error("the cart total overflows")]
    Overflow,
}

/// Prices `(product, quantity)` lines in `currency` with checked arithmetic.
pub fn price(lines: Vec<(PricedProduct, i32)>, currency: &str) -> Result<PricedCart, PricingError> {
    let mut cart =
        PricedCart { lines: Vec::with_capacity(lines.len()), total: 0, currency: currency.to_owned(), item_count: 0 };
    for (product, quantity) in lines {
        // A product the catalog could not price has no currency (and price 0).
        if !product.currency.is_empty() && product.currency != currency {
            return Err(PricingError::MixedCurrencies(cart.currency, product.currency));
        }
        let subtotal = product.unit_price.checked_mul(i64::from(quantity)).ok_or(PricingError::Overflow)?;
        cart.total = cart.total.checked_add(subtotal).ok_or(PricingError::Overflow)?;
        cart.item_count = cart.item_count.saturating_add(quantity);
        cart.lines.push(PricedLine { product, quantity, subtotal });
    }
    Ok(cart)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str, price: i64, currency: &str) -> PricedProduct {
        PricedProduct {
            id: id.into(),
            name: id.into(),
            sku: id.into(),
            unit_price: price,
            currency: currency.into(),
            available: 10,
            image_url: String::new(),
        }
    }

    #[test]
    fn quantities_are_bounded_per_line() {
        assert!(units_to_add(0).is_err());
        assert!(units_to_add(100).is_err());
        assert_eq!(quantity_to_set(0), Ok(0));
        assert_eq!(after_adding(90, 9), Ok(99));
        let error = after_adding(90, 10).unwrap_err();
        assert_eq!(error.field, "quantity");
        assert!(error.description.contains("already has 90"));
    }

    #[test]
    fn a_cart_is_priced_line_by_line() {
        let cart = price(vec![(product("a", 1999, "USD"), 2), (product("b", 500, "USD"), 1)], "USD").unwrap();
        assert_eq!(cart.lines.iter().map(|l| l.subtotal).collect::<Vec<_>>(), [3998, 500]);
        assert_eq!((cart.total, cart.item_count, cart.currency.as_str()), (4498, 3, "USD"));
        let empty = price(vec![], "EUR").unwrap();
        assert_eq!((empty.total, empty.currency.as_str()), (0, "EUR"));
    }

    #[test]
    fn mixed_currencies_and_overflow_are_refused() {
        let mixed = price(vec![(product("a", 1, "USD"), 1), (product("b", 1, "EUR"), 1)], "USD");
        assert_eq!(mixed, Err(PricingError::MixedCurrencies("USD".into(), "EUR".into())));
        assert_eq!(price(vec![(product("a", i64::MAX, "USD"), 2)], "USD"), Err(PricingError::Overflow));
    }
}
