//! Parsed GraphQL documents, remembered by their text. Clients send the same
//! few queries over and over, and parsing a catalog page's query cost the
//! edge more CPU than validating it.

use std::{
    num::NonZeroUsize,
    sync::{Mutex, MutexGuard, PoisonError},
};

use async_graphql::{Request, ServerError, parser::types::ExecutableDocument};
use lru::LruCache;

/// Documents kept, at most.
const CAPACITY: NonZeroUsize = NonZeroUsize::new(256).expect("not zero");
/// Longer documents are parsed every time, so the cache stays small
/// whatever clients send.
const MAX_CACHED_LEN: usize = 8 * 1024;

/// The most recently used parsed documents.
pub struct ParsedDocuments(Mutex<LruCache<String, ExecutableDocument>>);

impl Default for ParsedDocuments {
    fn default() -> Self {
        Self(Mutex::new(LruCache::new(CAPACITY)))
    }
}

impl ParsedDocuments {
    /// Gives `request` its parsed document, and returns it: the one
    /// remembered for its text, or a new parse (remembered when it succeeds).
    pub fn parse<'r>(&self, request: &'r mut Request) -> Result<&'r ExecutableDocument, ServerError> {
        let cacheable = request.query.len() <= MAX_CACHED_LEN;
        if cacheable && let Some(document) = self.lock().get(&request.query).cloned() {
            request.set_parsed_query(document);
        } else if cacheable {
            let query = request.query.clone();
            let document = request.parsed_query()?.clone();
            self.lock().put(query, document);
        }
        request.parsed_query()
    }

    fn lock(&self) -> MutexGuard<'_, LruCache<String, ExecutableDocument>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_query_gets_the_same_document_and_a_bad_one_its_error() {
        let documents = ParsedDocuments::default();
        let query = "query Page { products(first: 2) { edges { node { id } } } }";
        let mut first = Request::new(query);
        documents.parse(&mut first).unwrap();
        let mut second = Request::new(query);
        documents.parse(&mut second).unwrap();
        let printed = |request: &mut Request| format!("{:?}", request.parsed_query().unwrap());
        assert_eq!(printed(&mut first), printed(&mut second));
        assert_eq!(documents.lock().len(), 1);

        let error = documents.parse(&mut Request::new("query { products(")).unwrap_err();
        assert!(error.message.contains("expected"), "{}", error.message);
        assert_eq!(documents.lock().len(), 1, "a document that does not parse is not kept");
    }

    #[test]
    fn long_documents_are_not_kept() {
        let documents = ParsedDocuments::default();
        let long = format!("query {{ {} }}", "products(first: 1) { totalCount } ".repeat(400));
        let mut request = Request::new(long.replacen("products", "a: products", 1));
        assert!(request.query.len() > MAX_CACHED_LEN);
        documents.parse(&mut request).unwrap();
        assert!(request.parsed_query().is_ok());
        assert_eq!(documents.lock().len(), 0);
    }
}
