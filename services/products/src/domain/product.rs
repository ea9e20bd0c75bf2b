//! What a valid product is.

use shop_runtime::validation::{FieldViolation, Violations};

/// Most units a single stock change or initial stock may move.
pub const MAX_STOCK_CHANGE: i32 = 1_000_000;

/// The highest price, in minor units (a billion in major units).
pub const MAX_PRICE_MINOR: i64 = 100_000_000_000;

/// A product that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    /// Unique sku.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Plain-text description.
    pub description: String,
    /// Unit price, minor units of the catalog currency.
    pub price_minor: i64,
    /// The catalog currency.
    pub currency: String,
    /// Category name.
    pub category: String,
    /// Image URL or empty.
    pub image_url: String,
    /// Initial stock on hand.
    pub stock: i32,
}

/// The raw fields of a product, as a request carries them.
#[derive(Debug, Clone, Default)]
pub struct ProductInput<'a> {
    /// Sku.
    pub sku: &'a str,
    /// Name.
    pub name: &'a str,
    /// Description.
    pub description: &'a str,
    /// Price: (amount_minor, currency), if given.
    pub price: Option<(i64, &'a str)>,
    /// Category.
    pub category: &'a str,
    /// Image URL.
    pub image_url: &'a str,
    /// Initial stock.
    pub stock: i32,
}

impl NewProduct {
    /// Validates every field, priced in `catalog_currency`.
    pub fn parse(input: &ProductInput<'_>, catalog_currency: &str) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let sku = violations.check(sku(input.sku));
        let name = violations.check(name(input.name));
        let description = violations.check(description(input.description));
        let price = violations.check(
            input
                .price
                .ok_or_else(|| FieldViolation::new("price", "is required"))
                .and_then(|p| price(p, catalog_currency)),
        );
        let category = violations.check(category(input.category));
        let image_url = violations.check(image_url(input.image_url));
        let stock = violations.check(initial_stock(input.stock));
        violations.finish(|| {
            let (price_minor, currency) = price?;
            Some(Self {
                sku: sku?,
                name: name?,
                description: description?,
                price_minor,
                currency,
                category: category?,
                image_url: image_url?,
                stock: stock?,
            })
        })
    }
}

/// A partial update that passed validation; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductPatch {
    /// New sku.
    pub sku: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New price in minor units (the currency stays the catalog's).
    pub price_minor: Option<i64>,
    /// New category.
    pub category: Option<String>,
    /// New image URL.
    pub image_url: Option<String>,
}

/// The raw optional fields of an update.
#[derive(Debug, Clone, Default)]
pub struct PatchInput<'a> {
    /// Sku.
    pub sku: Option<&'a str>,
    /// Name.
    pub name: Option<&'a str>,
    /// Description.
    pub description: Option<&'a str>,
    /// Price.
    pub price: Option<(i64, &'a str)>,
    /// Category.
    pub category: Option<&'a str>,
    /// Image URL.
    pub image_url: Option<&'a str>,
}

impl ProductPatch {
    /// Validates the fields that are set.
    pub fn parse(input: &PatchInput<'_>, catalog_currency: &str) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let mut optional = |value: Option<&str>, check: fn(&str) -> Result<String, FieldViolation>| match value {
            Some(v) => violations.check(check(v)).map(Some),
            None => Some(None),
        };
        let (sku, name, description) =
            (optional(input.sku, sku), optional(input.name, name), optional(input.description, description));
        let (category, image_url) = (optional(input.category, category), optional(input.image_url, image_url));
        let price = match input.price {
            Some(p) => violations.check(price(p, catalog_currency)).map(|(minor, _)| Some(minor)),
            None => Some(None),
        };
        let patch = violations.finish(|| {
            Some(Self {
                sku: sku?,
                name: name?,
                description: description?,
                price_minor: price?,
                category: category?,
                image_url: image_url?,
            })
        })?;
        if patch == Self::default() {
            return Err(vec![FieldViolation::new("request", "sets no field to change")]);
        }
        Ok(patch)
    }
}

fn sku(raw: &str) -> Result<String, FieldViolation> {
    let sku = raw.trim();
    let ok = (1..=64).contains(&sku.len()) && sku.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok { Ok(sku.to_owned()) } else { Err(FieldViolation::new("sku", "must be 1 to 64 letters, digits, '-' or '_'")) }
}

fn name(raw: &str) -> Result<String, FieldViolation> {
    bounded_text("name", raw, 200)
}

fn category(raw: &str) -> Result<String, FieldViolation> {
    bounded_text("category", raw, 100)
}

fn description(raw: &str) -> Result<String, FieldViolation> {
    let text = raw.trim();
    if text.chars().count() > 5000 {
        return Err(FieldViolation::new("description", "must be at most 5000 characters"));
    }
    Ok(text.to_owned())
}

fn bounded_text(field: &str, raw: &str, max: usize) -> Result<String, FieldViolation> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldViolation::new(field, "is required"));
    }
    if text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(FieldViolation::new(
            field,
            format!("must be at most {max} characters, without control characters"),
        ));
    }
    Ok(text.to_owned())
}

fn price((amount_minor, currency): (i64, &str), catalog_currency: &str) -> Result<(i64, String), FieldViolation> {
    // Nothing is given away: every order is paid for with one charge, and a
    // charge is for at least one minor unit.
    if amount_minor < 1 {
        return Err(FieldViolation::new("price.amount_minor", "must be at least 1"));
    }
    // Bounded so that a cart's total (99 units a line) cannot overflow.
    if amount_minor > MAX_PRICE_MINOR {
        return Err(FieldViolation::new("price.amount_minor", format!("must be at most {MAX_PRICE_MINOR}")));
    }
    if currency != catalog_currency {
        return Err(FieldViolation::new(
            "price.currency",
            format!("must be {catalog_currency}, the catalog's currency"),
        ));
    }
    Ok((amount_minor, currency.to_owned()))
}

fn image_url(raw: &str) -> Result<String, FieldViolation> {
    let url = raw.trim();
    let ok = url.is_empty()
        || ((url.starts_with("https://") || url.starts_with("http://"))
            && url.len() <= 2000
            && !url.chars().any(char::is_whitespace));
    if ok { Ok(url.to_owned()) } else { Err(FieldViolation::new("image_url", "must be an http(s) URL or empty")) }
}

fn initial_stock(stock: i32) -> Result<i32, FieldViolation> {
    if (0..=MAX_STOCK_CHANGE).contains(&stock) {
        Ok(stock)
    } else {
        Err(FieldViolation::new("stock", format!("must be between 0 and {MAX_STOCK_CHANGE}")))
    }
}

/// A stock adjustment that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockAdjustment {
    /// Units added (positive) or removed (negative).
    pub delta: i32,
    /// Why, for the ledger.
    pub reason: String,
}

impl StockAdjustment {
    /// Validates a delta and its reason.
    pub fn parse(delta: i32, reason: &str) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        if delta == 0 || delta.abs() > MAX_STOCK_CHANGE {
            violations.push(FieldViolation::new(
                "delta",
                format!("must be non-zero and at most {MAX_STOCK_CHANGE} either way"),
            ));
        }
        let reason = violations.check(bounded_text("reason", reason, 200));
        violations.finish(|| Some(Self { delta, reason: reason? }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ProductInput<'static> {
        ProductInput {
            sku: "GPU-4090",
            name: " RTX 4090 ",
            description: "Fast.",
            price: Some((159_900, "USD")),
            category: "GPUs",
            image_url: "https://img.example/gpu.png",
            stock: 5,
        }
    }

    #[test]
    fn a_valid_product_is_trimmed() {
        let product = NewProduct::parse(&input(), "USD").unwrap();
        assert_eq!((product.name.as_str(), product.price_minor, product.stock), ("RTX 4090", 159_900, 5));
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = ProductInput {
            sku: "has space",
            name: "",
            price: Some((-1, "USD")),
            category: "",
            image_url: "ftp://x",
            stock: -1,
            ..input()
        };
        let fields: Vec<_> = NewProduct::parse(&bad, "USD").unwrap_err().into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["sku", "name", "price.amount_minor", "category", "image_url", "stock"]);
    }

    #[test]
    fn a_price_is_at_least_one_minor_unit() {
        let free = ProductInput { price: Some((0, "USD")), ..input() };
        assert_eq!(NewProduct::parse(&free, "USD").unwrap_err()[0].field, "price.amount_minor");
        let absurd = ProductInput { price: Some((MAX_PRICE_MINOR + 1, "USD")), ..input() };
        assert_eq!(NewProduct::parse(&absurd, "USD").unwrap_err()[0].field, "price.amount_minor");
    }

    #[test]
    fn prices_are_in_the_catalog_currency() {
        let euro = ProductInput { price: Some((100, "EUR")), ..input() };
        assert_eq!(NewProduct::parse(&euro, "USD").unwrap_err()[0].field, "price.currency");
        let missing = ProductInput { price: None, ..input() };
        assert_eq!(NewProduct::parse(&missing, "USD").unwrap_err()[0].field, "price");
    }

    #[test]
    fn a_patch_changes_only_what_is_set_and_must_set_something() {
        let patch = ProductPatch::parse(&PatchInput { name: Some(" New "), ..Default::default() }, "USD").unwrap();
        assert_eq!(patch, ProductPatch { name: Some("New".into()), ..Default::default() });
        assert!(ProductPatch::parse(&PatchInput::default(), "USD").is_err());
        let bad = PatchInput { sku: Some(""), price: Some((1, "EUR")), ..Default::default() };
        let fields: Vec<_> = ProductPatch::parse(&bad, "USD").unwrap_err().into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["sku", "price.currency"]);
    }

    #[test]
    fn stock_adjustments_need_a_delta_and_a_reason() {
        assert!(StockAdjustment::parse(5, "restock").is_ok());
        let fields: Vec<_> = StockAdjustment::parse(0, " ").unwrap_err().into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["delta", "reason"]);
    }
}
