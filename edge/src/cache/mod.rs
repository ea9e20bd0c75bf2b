//! A short-lived cache of anonymous catalog reads, in front of the handlers:
//! `GET /api/v1/products` (a page), `/api/v1/products/{id}`,
//! `/api/v1/categories`, and GraphQL queries that read only `products`,
//! `product` and `categories`. A catalog page is the same for every
//! anonymous caller and by far the most requested thing; answering it again
//! for a moment saves a gRPC hop, a database read and the page's encoding.
//!
//! Consistency: a write through this edge that can change what the catalog
//! shows (an admin's product change or stock adjustment, a checkout, a
//! cancellation; REST or GraphQL) empties the cache when it is answered, and
//! a read that started before it is not kept: this edge's clients read their
//! own writes. A change made elsewhere (another edge replica, a reservation
//! that expired, a call straight to products) shows once the entry expires,
//! after at most the time to live (`HTTP_RESPONSE_CACHE_TTL_MS`, one second
//! by default; 0 turns the cache off). A request with a token, or with
//! `Cache-Control: no-cache` (or `no-store`), is never answered from it.
//! Answers say `x-cache: hit` or `x-cache: miss`.

mod graphql;
mod store;

use std::{sync::Arc, time::Duration};

use axum::{
    body::{Body, Bytes, HttpBody as _},
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use shop_runtime::metrics::LabelledCounter;

use self::{
    graphql::{Verdict, Verdicts},
    store::{ResponseStore, Stored},
};
use crate::error::ApiError;

/// The response header saying whether the answer came from the cache.
pub const X_CACHE: HeaderName = HeaderName::from_static("x-cache");
/// GraphQL bodies longer than this are not read here: they are passed on,
/// and treated as writes.
const MAX_GRAPHQL_BODY: u64 = 8 * 1024;
/// Longer answers are not kept.
const MAX_STORED_BODY: u64 = 1024 * 1024;
/// REST writes under these change nothing the catalog shows; every other
/// write (products, orders, and whatever is added later) empties the cache.
const WRITES_OUTSIDE_THE_CATALOG: &[&str] = &["/api/v1/users/", "/api/v1/cart", "/api/v1/notifications/"];

/// Marks a response that must not be kept (a GraphQL answer with errors).
#[derive(Clone, Copy, Debug)]
pub struct NoStore;

/// The cache and what it knows about GraphQL documents.
pub struct ResponseCache {
    store: ResponseStore,
    verdicts: Verdicts,
    /// Hits, misses and invalidations, for `/metrics`.
    outcomes: LabelledCounter,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache").field("store", &self.store).finish_non_exhaustive()
    }
}

/// What to do with one request.
enum Plan {
    /// Answer from the cache, or keep the answer under this key.
    Cacheable(Bytes),
    /// Answered from the cache already.
    Hit(Stored),
    PassesBy,
    Invalidates,
}

impl ResponseCache {
    /// A cache keeping answers for `ttl`, counting into `outcomes`; `None`
    /// for a zero `ttl` (off).
    pub fn new(ttl: Duration, outcomes: LabelledCounter) -> Option<Arc<Self>> {
        (!ttl.is_zero())
            .then(|| Arc::new(Self { store: ResponseStore::new(ttl), verdicts: Verdicts::default(), outcomes }))
    }

    fn served_again(&self, stored: Stored) -> Response {
        self.outcomes.inc("hit");
        let mut response = Response::new(Body::from(stored.body));
        response.headers_mut().insert(header::CONTENT_TYPE, stored.content_type);
        response.headers_mut().insert(X_CACHE, HeaderValue::from_static("hit"));
        response
    }

    /// The plan for `request`, and the request to pass on (a GraphQL body
    /// is read to decide, then handed over whole).
    async fn plan(&self, request: Request) -> Result<(Request, Plan), Response> {
        let headers = request.headers();
        let shared = !headers.contains_key(header::AUTHORIZATION) && !headers.contains_key(header::COOKIE);
        let may_reuse = shared && !wants_fresh(headers);
        let path = request.uri().path();
        let method = request.method();
        if method == Method::GET {
            let plan = if may_reuse && is_catalog_read(path) {
                let target = request.uri().path_and_query().map_or(path, |p| p.as_str());
                Plan::Cacheable(Bytes::from(format!("GET {target}")))
            } else {
                Plan::PassesBy
            };
            return Ok((request, plan));
        }
        if method == Method::HEAD || method == Method::OPTIONS {
            return Ok((request, Plan::PassesBy));
        }
        if method == Method::POST && path == "/graphql" {
            return self.plan_graphql(request, may_reuse).await;
        }
        let outside = WRITES_OUTSIDE_THE_CATALOG.iter().any(|prefix| path.starts_with(prefix));
        Ok((request, if outside { Plan::PassesBy } else { Plan::Invalidates }))
    }

    async fn plan_graphql(&self, request: Request, may_reuse: bool) -> Result<(Request, Plan), Response> {
        let length = request.body().size_hint().exact().filter(|length| *length <= MAX_GRAPHQL_BODY);
        let Some(length) = length else {
            return Ok((request, Plan::Invalidates));
        };
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, usize::try_from(length).unwrap_or(usize::MAX)).await.map_err(|_| {
            ApiError::http(StatusCode::BAD_REQUEST, "the request body could not be read").into_response()
        })?;
        let key = may_reuse.then(|| {
            let mut key = b"POST /graphql\n".to_vec();
            key.extend_from_slice(&body);
            Bytes::from(key)
        });
        // Only a cacheable query's answer is ever kept: one found needs no verdict.
        if let Some(stored) = key.as_deref().and_then(|key| self.store.get(key)) {
            return Ok((Request::from_parts(parts, Body::from(body)), Plan::Hit(stored)));
        }
        let plan = match (self.verdicts.of(&body), key) {
            (Verdict::Cacheable, Some(key)) => Plan::Cacheable(key),
            (Verdict::Cacheable | Verdict::PassesBy, _) => Plan::PassesBy,
            (Verdict::Invalidates, _) => Plan::Invalidates,
        };
        Ok((Request::from_parts(parts, Body::from(body)), plan))
    }

    /// The kept answer for `key`, or the handler's, kept if it may be.
    async fn answer(&self, key: Bytes, request: Request, next: Next) -> Response {
        if let Some(stored) = self.store.get(&key) {
            return self.served_again(stored);
        }
        let seen = self.store.generation();
        let response = next.run(request).await;
        self.outcomes.inc("miss");
        let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
        let fits = response.body().size_hint().upper().is_some_and(|length| length <= MAX_STORED_BODY);
        let keep = response.status() == StatusCode::OK && response.extensions().get::<NoStore>().is_none() && fits;
        let (mut parts, body) = response.into_parts();
        parts.headers.insert(X_CACHE, HeaderValue::from_static("miss"));
        let (Some(content_type), true) = (content_type, keep) else {
            return Response::from_parts(parts, body);
        };
        match axum::body::to_bytes(body, usize::try_from(MAX_STORED_BODY).unwrap_or(usize::MAX)).await {
            Ok(body) => {
                self.store.put(key, Stored { content_type, body: body.clone() }, seen);
                Response::from_parts(parts, Body::from(body))
            }
            Err(error) => {
                tracing::error!(%error, "reading a response to cache");
                ApiError::new(tonic::Code::Internal, "internal error").into_response()
            }
        }
    }
}

/// The middleware: answers cacheable reads from the cache, and empties it
/// once a write that may change the catalog is answered (or abandoned).
pub async fn serve(State(cache): State<Arc<ResponseCache>>, request: Request, next: Next) -> Response {
    let (request, plan) = match cache.plan(request).await {
        Ok(planned) => planned,
        Err(refused) => return refused,
    };
    match plan {
        Plan::PassesBy => next.run(request).await,
        Plan::Cacheable(key) => cache.answer(key, request, next).await,
        Plan::Hit(stored) => cache.served_again(stored),
        Plan::Invalidates => {
            // Dropped with the request too: a client that hangs up does not
            // stop the write downstream.
            let _invalidate = InvalidateOnDrop(&cache);
            next.run(request).await
        }
    }
}

struct InvalidateOnDrop<'a>(&'a ResponseCache);

impl Drop for InvalidateOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store.invalidate();
        self.0.outcomes.inc("invalidation");
    }
}

/// `/api/v1/products` (a page), `/api/v1/products/{id}`, `/api/v1/categories`.
fn is_catalog_read(path: &str) -> bool {
    match path.strip_prefix("/api/v1/products") {
        Some("") => true,
        Some(rest) => rest.strip_prefix('/').is_some_and(|id| !id.is_empty() && !id.contains('/')),
        None => path == "/api/v1/categories",
    }
}

/// `Cache-Control: no-cache` or `no-store` on a request: answer it afresh.
fn wants_fresh(headers: &HeaderMap) -> bool {
    headers.get_all(header::CACHE_CONTROL).iter().filter_map(|value| value.to_str().ok()).any(|value| {
        value
            .split(',')
            .map(str::trim)
            .any(|directive| directive.eq_ignore_ascii_case("no-cache") || directive.eq_ignore_ascii_case("no-store"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_reads_are_pages_products_and_categories() {
        for path in ["/api/v1/products", "/api/v1/products/0190-abc", "/api/v1/categories"] {
            assert!(is_catalog_read(path), "{path}");
        }
        for path in ["/api/v1/products/", "/api/v1/products/x/stock", "/api/v1/productsx", "/api/v1/cart", "/me"] {
            assert!(!is_catalog_read(path), "{path}");
        }
    }

    #[test]
    fn no_cache_and_no_store_ask_for_a_fresh_answer() {
        let with =
            |value: &'static str| HeaderMap::from_iter([(header::CACHE_CONTROL, HeaderValue::from_static(value))]);
        assert!(wants_fresh(&with("no-cache")));
        assert!(wants_fresh(&with("max-age=0, No-Store")));
        assert!(!wants_fresh(&with("max-age=60")));
        assert!(!wants_fresh(&HeaderMap::new()));
    }
}
