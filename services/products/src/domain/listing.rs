//! What a listing asks for, and where its next page starts.
//!
//! Pages are keyset pages: the token holds the sort key of the last product
//! shown, so products inserted between two calls can neither repeat one nor
//! push one out of sight. A token is bound to the filters and sort that made
//! it; reusing it with others is refused.

use serde::{Deserialize, Serialize};
use shop_runtime::{
    pagination,
    validation::{FieldViolation, Violations},
};

/// Result order. Every order is total: ties are broken by id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sort {
    /// Newest first (ids are UUIDv7, so by id descending).
    #[default]
    Newest,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
    /// By name, A to Z.
    NameAsc,
    /// By name, Z to A.
    NameDesc,
}

/// Which products a listing includes (always only active ones).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Exact category.
    pub category: Option<String>,
    /// Case-insensitive text in name or description.
    pub text: Option<String>,
    /// Lowest price, minor units.
    pub min_price: Option<i64>,
    /// Highest price, minor units.
    pub max_price: Option<i64>,
    /// Only products with available stock.
    pub in_stock_only: bool,
}

impl Filter {
    /// The text filter as a LIKE pattern over lower-cased text, with `\` as
    /// the escape character.
    pub fn like_pattern(&self) -> Option<String> {
        self.text.as_ref().map(|text| {
            let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        })
    }
}

impl Filter {
    /// A stable digest of the filter (64-bit FNV-1a of its JSON form), so a
    /// token can be bound to its filters without carrying them.
    fn digest(&self) -> u64 {
        let json = serde_json::to_vec(self).unwrap_or_default();
        json.iter()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
    }
}

/// The sort key of the last product of a page, and what the page was for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    sort: Sort,
    #[serde(rename = "f")]
    filter: u64,
    /// Price of the last product (price sorts).
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    /// Name of the last product (name sorts).
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Id of the last product.
    #[serde(rename = "i")]
    pub id: String,
}

/// A validated listing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// What to include.
    pub filter: Filter,
    /// In what order.
    pub sort: Sort,
    /// How many at most.
    pub page_size: i64,
    /// Where the previous page ended.
    pub after: Option<Cursor>,
}

/// The raw fields of a listing request.
#[derive(Debug, Clone, Default)]
pub struct ListInput<'a> {
    /// Category filter ("" for none).
    pub category: &'a str,
    /// Text filter ("" for none).
    pub query: &'a str,
    /// Lowest price.
    pub min_price: Option<i64>,
    /// Highest price.
    pub max_price: Option<i64>,
    /// Only in stock.
    pub in_stock_only: bool,
    /// Order.
    pub sort: Sort,
    /// Requested page size (0: default).
    pub page_size: i32,
    /// Page token ("" for the first page).
    pub page_token: &'a str,
}

impl ListQuery {
    /// Validates a listing request.
    pub fn parse(input: &ListInput<'_>) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Violations::new();
        let text = input.query.trim();
        if text.chars().count() > 200 {
            violations.push(FieldViolation::new("query", "must be at most 200 characters"));
        }
        for (field, value) in [("min_price_minor", input.min_price), ("max_price_minor", input.max_price)] {
            if value.is_some_and(|v| v < 0) {
                violations.push(FieldViolation::new(field, "must not be negative"));
            }
        }
        // A minimum above the maximum is a range with nothing in it: an
        // empty page, like any filter that matches nothing.
        let filter = Filter {
            category: Some(input.category.trim().to_owned()).filter(|c| !c.is_empty()),
            text: Some(text.to_owned()).filter(|t| !t.is_empty()),
            min_price: input.min_price,
            max_price: input.max_price,
            in_stock_only: input.in_stock_only,
        };
        let page_size = violations.check(pagination::page_size(input.page_size));
        let after = violations.check(pagination::decode_token::<Cursor>(input.page_token)).flatten();
        if after.as_ref().is_some_and(|c| c.sort != input.sort || c.filter != filter.digest()) {
            violations.push(FieldViolation::new("page_token", "was issued for other filters or another sort"));
        }
        violations.finish(|| Some(Self { filter, sort: input.sort, page_size: page_size?, after }))
    }

    /// The token that resumes after a product with this id, price and name.
    pub fn token_after(&self, id: &str, price: i64, name: &str) -> String {
        let cursor = Cursor {
            sort: self.sort,
            filter: self.filter.digest(),
            price: matches!(self.sort, Sort::PriceAsc | Sort::PriceDesc).then_some(price),
            name: matches!(self.sort, Sort::NameAsc | Sort::NameDesc).then(|| name.to_owned()),
            id: id.to_owned(),
        };
        pagination::encode_token(&cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>() -> ListInput<'a> {
        ListInput { sort: Sort::PriceAsc, ..Default::default() }
    }

    #[test]
    fn a_token_resumes_only_the_listing_that_issued_it() {
        let first = ListQuery::parse(&ListInput { category: "GPUs", ..input() }).unwrap();
        let token = first.token_after("p1", 100, "A");
        let next = ListQuery::parse(&ListInput { category: "GPUs", page_token: &token, ..input() }).unwrap();
        assert_eq!(next.after.as_ref().map(|c| (c.price, c.id.as_str())), Some((Some(100), "p1")));

        let other_filter = ListQuery::parse(&ListInput { category: "CPUs", page_token: &token, ..input() });
        assert_eq!(other_filter.unwrap_err()[0].field, "page_token");
        let other_sort =
            ListQuery::parse(&ListInput { category: "GPUs", sort: Sort::NameAsc, page_token: &token, ..input() });
        assert_eq!(other_sort.unwrap_err()[0].field, "page_token");
    }

    #[test]
    fn price_bounds_are_checked() {
        let fields =
            |i: ListInput<'_>| ListQuery::parse(&i).unwrap_err().into_iter().map(|v| v.field).collect::<Vec<_>>();
        assert_eq!(fields(ListInput { min_price: Some(-1), ..input() }), ["min_price_minor"]);
        let empty = ListQuery::parse(&ListInput { min_price: Some(10), max_price: Some(5), ..input() }).unwrap();
        assert_eq!((empty.filter.min_price, empty.filter.max_price), (Some(10), Some(5)));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        let filter = Filter { text: Some("100%_Off\\".into()), ..Default::default() };
        assert_eq!(filter.like_pattern().as_deref(), Some("%100\\%\\_off\\\\%"));
    }
}
