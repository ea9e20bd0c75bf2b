//! What a GraphQL POST does to the cache, from its document: a query of the
//! catalog alone may be answered from it, a mutation that can change what
//! the catalog shows (a product's fields, its stock) empties it, anything
//! else passes by. Verdicts are remembered by the document's text.

use std::{
    borrow::Cow,
    num::NonZeroUsize,
    sync::{Mutex, PoisonError},
};

use async_graphql::parser::{
    parse_query,
    types::{DocumentOperations, OperationDefinition, OperationType, Selection},
};
use lru::LruCache;
use serde::Deserialize;

/// Root query fields whose answers are the same for every anonymous caller.
const CATALOG_QUERIES: &[&str] = &["products", "product", "categories", "__typename"];

/// Mutations that change nothing a catalog query shows. Any other one
/// (a product's change, stock, a checkout, a cancellation) empties the
/// cache, and so does any mutation added later until it is listed here.
const MUTATIONS_OUTSIDE_THE_CATALOG: &[&str] = &[
    "register",
    "login",
    "refreshToken",
    "logout",
    "addToCart",
    "setCartItemQuantity",
    "removeFromCart",
    "clearCart",
    "updateNotificationPreferences",
    "__typename",
];

/// Verdicts kept, at most.
const CAPACITY: NonZeroUsize = NonZeroUsize::new(256).expect("not zero");

/// What one GraphQL request does to the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A query of the catalog alone: its answer may be kept and served again.
    Cacheable,
    /// Neither reads the catalog alone nor changes it.
    PassesBy,
    /// May change what the catalog shows.
    Invalidates,
}

/// The fields of a GraphQL POST body that decide its verdict.
#[derive(Deserialize)]
struct Operation<'a> {
    #[serde(borrow)]
    query: Cow<'a, str>,
    #[serde(rename = "operationName", borrow, default)]
    operation_name: Option<Cow<'a, str>>,
}

/// Recently decided verdicts, by document text and operation name.
pub struct Verdicts(Mutex<LruCache<(String, Option<String>), Verdict>>);

impl Default for Verdicts {
    fn default() -> Self {
        Self(Mutex::new(LruCache::new(CAPACITY)))
    }
}

impl Verdicts {
    /// The verdict on a POST body. A batch (a JSON array), or a body that
    /// is not a GraphQL request, may hold anything: it invalidates.
    pub fn of(&self, body: &[u8]) -> Verdict {
        let Ok(operation) = serde_json::from_slice::<Operation<'_>>(body) else {
            return Verdict::Invalidates;
        };
        let key = (operation.query.into_owned(), operation.operation_name.map(Cow::into_owned));
        if let Some(verdict) = self.0.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return *verdict;
        }
        // Parsed without the lock: other requests' lookups do not wait on it.
        let verdict = decide(&key.0, key.1.as_deref());
        self.0.lock().unwrap_or_else(PoisonError::into_inner).put(key, verdict);
        verdict
    }
}

/// The verdict on `query`'s operation `name` (or its only one).
fn decide(query: &str, name: Option<&str>) -> Verdict {
    // The schema refuses what does not parse or names no operation: nothing changes.
    let Ok(document) = parse_query(query) else {
        return Verdict::PassesBy;
    };
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name).map(|o| &o.node),
        // A named operation alone in its document is chosen without its name.
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|o| &o.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    let Some(operation) = operation else {
        return Verdict::PassesBy;
    };
    match operation.ty {
        OperationType::Query if root_fields_within(operation, CATALOG_QUERIES) => Verdict::Cacheable,
        OperationType::Mutation if !root_fields_within(operation, MUTATIONS_OUTSIDE_THE_CATALOG) => {
            Verdict::Invalidates
        }
        _ => Verdict::PassesBy,
    }
}

/// Whether every root selection is a plain field named in `allowed` (a
/// fragment at the root could hold anything: it is not within).
fn root_fields_within(operation: &OperationDefinition, allowed: &[&str]) -> bool {
    operation.selection_set.node.items.iter().all(|selection| match &selection.node {
        Selection::Field(field) => allowed.contains(&field.node.name.node.as_str()),
        Selection::FragmentSpread(_) | Selection::InlineFragment(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(body: serde_json::Value) -> Verdict {
        Verdicts::default().of(body.to_string().as_bytes())
    }

    #[test]
    fn catalog_queries_are_cacheable_and_nothing_else_is() {
        let page = "query Page { products(first: 2) { nodes { id stock } } categories { name } }";
        assert_eq!(verdict(serde_json::json!({ "query": page })), Verdict::Cacheable);
        let mixed = "{ products(first: 2) { nodes { id } } me { id } }";
        assert_eq!(verdict(serde_json::json!({ "query": mixed })), Verdict::PassesBy);
        let fragment = "{ ...F } fragment F on Query { products(first: 1) { nodes { id } } }";
        assert_eq!(verdict(serde_json::json!({ "query": fragment })), Verdict::PassesBy);
        assert_eq!(verdict(serde_json::json!({ "query": "{ products(" })), Verdict::PassesBy);
    }

    #[test]
    fn the_named_operation_decides() {
        let document = "query Page { products(first: 1) { nodes { id } } } mutation Buy { checkout(input: {}) { id } }";
        let named = |name: &str| serde_json::json!({ "query": document, "operationName": name });
        assert_eq!(verdict(named("Page")), Verdict::Cacheable);
        assert_eq!(verdict(named("Buy")), Verdict::Invalidates);
        assert_eq!(verdict(serde_json::json!({ "query": document })), Verdict::PassesBy, "no operation chosen");
    }

    #[test]
    fn mutations_invalidate_unless_listed_as_outside_the_catalog() {
        let stock = "mutation { adjustStock(productId: \"p\", delta: 1, reason: \"r\") { id } }";
        assert_eq!(verdict(serde_json::json!({ "query": stock })), Verdict::Invalidates);
        let login = "mutation { login(email: \"a@b.c\", password: \"p\") { accessToken } }";
        assert_eq!(verdict(serde_json::json!({ "query": login })), Verdict::PassesBy);
        let batch = serde_json::json!([{ "query": "{ products(first: 1) { nodes { id } } }" }]);
        assert_eq!(verdict(batch), Verdict::Invalidates);
    }
}
