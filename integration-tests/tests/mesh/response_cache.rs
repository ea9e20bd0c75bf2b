//! The edge's cache of anonymous catalog reads, on an edge that keeps them
//! for a minute: served again until a write through the edge empties it,
//! never for a caller with a token or one asking for a fresh answer, never
//! an answer with errors; a change made elsewhere shows once asked afresh.

use integration_tests::{GOOD_CARD, HttpClient, bearer, mesh_tests};
use serde_json::{Value, json};
use shop_edge::config::HttpLimits;
use shop_proto::products::v1 as pb;
use shop_runtime::metrics::sample;

/// An edge keeping answers long enough that only invalidation ends them.
fn keeping_a_minute() -> HttpLimits {
    HttpLimits { response_cache_ttl_ms: 60_000, ..HttpLimits::default() }
}

/// `GET path` with extra headers: the `x-cache` header and the JSON body.
async fn get(http: &HttpClient, path: &str, headers: &[(&str, &str)]) -> (Option<String>, Value) {
    let mut request = http.raw().get(http.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "GET {path}");
    let cache = response.headers().get("x-cache").map(|v| v.to_str().unwrap().to_owned());
    (cache, response.json().await.unwrap())
}

/// A GraphQL POST: the `x-cache` header and the JSON body.
async fn graphql(http: &HttpClient, query: &str, token: Option<&str>) -> (Option<String>, Value) {
    let mut request = http.raw().post(http.url("/graphql")).json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let cache = response.headers().get("x-cache").map(|v| v.to_str().unwrap().to_owned());
    (cache, response.json().await.unwrap())
}

fn stock_in(page: &Value, sku: &str) -> i64 {
    let items = page["items"].as_array().unwrap();
    items
        .iter()
        .find(|p| p["sku"] == sku)
        .map_or_else(|| panic!("{sku} not listed: {page}"), |p| p["stock"].as_i64().unwrap())
}

const PAGE: &str = "/api/v1/products?category=Test";
const GRAPHQL_PAGE: &str = "{ products(first: 10, filter: { category: \"Test\" }) { nodes { sku stock } } }";

fn graphql_stock(body: &Value, sku: &str) -> i64 {
    let nodes = body["data"]["products"]["nodes"].as_array().unwrap_or_else(|| panic!("{body}"));
    nodes
        .iter()
        .find(|p| p["sku"] == sku)
        .map_or_else(|| panic!("{sku} not listed: {body}"), |p| p["stock"].as_i64().unwrap())
}

mesh_tests! {
    async fn a_catalog_page_is_served_again_until_a_write_through_the_edge(mesh) {
        let (http, admin_port) = mesh.edge_with_admin(keeping_a_minute()).await;
        let admin = mesh.admin().await;
        let fan = mesh.product(&admin, "FAN", 1_000, 10).await;

        let (first, page) = get(&http, PAGE, &[]).await;
        assert_eq!((first.as_deref(), stock_in(&page, "FAN")), (Some("miss"), 10));
        let (again, page) = get(&http, PAGE, &[]).await;
        assert_eq!((again.as_deref(), stock_in(&page, "FAN")), (Some("hit"), 10));

        // Changed behind the edge's back: the kept page is stale until it
        // expires, unless the client asks for a fresh one.
        let adjust = pb::AdjustStockRequest { product_id: fan.id.clone(), delta: -3, reason: "counted".into() };
        mesh.products().adjust_stock(bearer(adjust, &admin.token)).await.unwrap();
        let (stale, page) = get(&http, PAGE, &[]).await;
        assert_eq!((stale.as_deref(), stock_in(&page, "FAN")), (Some("hit"), 10));
        let (fresh, page) = get(&http, PAGE, &[("cache-control", "no-cache")]).await;
        assert_eq!((fresh.as_deref(), stock_in(&page, "FAN")), (None, 7));
        let (with_token, page) = get(&http, PAGE, &[("authorization", &format!("Bearer {}", admin.token))]).await;
        assert_eq!((with_token.as_deref(), stock_in(&page, "FAN")), (None, 7), "a caller with a token passes by");

        // Changed through the edge: its next read is fresh.
        let restock = http.post(&format!("/api/v1/products/{}/stock", fan.id), json!({"delta": 5, "reason": "delivery"}), Some(&admin.token)).await;
        restock.expect_status(200);
        let (after, page) = get(&http, PAGE, &[]).await;
        assert_eq!((after.as_deref(), stock_in(&page, "FAN")), (Some("miss"), 12));

        // A checkout through the edge takes stock: it empties the cache too.
        let customer = mesh.customer("ada@example.com").await;
        mesh.fill_cart(&customer, &[(&fan, 2)]).await;
        let order = http
            .raw()
            .post(http.url("/api/v1/orders"))
            .bearer_auth(&customer.token)
            .header("Idempotency-Key", "cache-1")
            .json(&json!({
                "shipping_address": {"name": "Ada", "line1": "1 Street", "city": "London", "postal_code": "01067", "country": "gb"},
                "card": {"number": GOOD_CARD, "exp_month": 12, "exp_year": 2035, "cvc": "123"}
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(order.status().as_u16(), 201);
        let (after_order, page) = get(&http, PAGE, &[]).await;
        assert_eq!((after_order.as_deref(), stock_in(&page, "FAN")), (Some("miss"), 10));

        // A cart change is no catalog write: the page stays kept.
        http.post("/api/v1/cart/items", json!({"product_id": fan.id, "quantity": 1}), Some(&customer.token)).await.expect_status(200);
        assert_eq!(get(&http, PAGE, &[]).await.0.as_deref(), Some("hit"));

        // The admin port counts what happened above.
        let text = mesh.scrape(admin_port).await;
        let count = |outcome: &str| sample(&text, "http_response_cache_total", &[("outcome", outcome)]);
        assert_eq!((count("hit"), count("miss"), count("invalidation")), (3.0, 3.0, 2.0), "{text}");
    }

    async fn graphql_catalog_queries_are_served_again_and_others_pass_by(mesh) {
        let http = mesh.edge_with(keeping_a_minute()).await;
        let admin = mesh.admin().await;
        let lamp = mesh.product(&admin, "LAMP", 2_500, 4).await;

        let (first, body) = graphql(&http, GRAPHQL_PAGE, None).await;
        assert_eq!((first.as_deref(), graphql_stock(&body, "LAMP")), (Some("miss"), 4));
        let (again, body) = graphql(&http, GRAPHQL_PAGE, None).await;
        assert_eq!((again.as_deref(), graphql_stock(&body, "LAMP")), (Some("hit"), 4));

        let (own, body) = graphql(&http, "{ me { email } }", Some(&admin.token)).await;
        assert_eq!(own, None, "{body}");
        let (mixed, _) = graphql(&http, "{ categories { name } me { email } }", None).await;
        assert_eq!(mixed, None, "a query reading more than the catalog passes by");

        // An answer with errors is never kept.
        let refused = "{ products(first: -1) { nodes { sku } } }";
        for _ in 0..2 {
            let (cache, body) = graphql(&http, refused, None).await;
            assert_eq!(cache.as_deref(), Some("miss"), "{body}");
            assert!(body["errors"].is_array(), "{body}");
        }

        // A catalog mutation through the edge empties the cache.
        let adjust = format!("mutation {{ adjustStock(productId: \"{}\", input: {{ delta: 6, reason: \"found\" }}) {{ stock }} }}", lamp.id);
        let (_, adjusted) = graphql(&http, &adjust, Some(&admin.token)).await;
        assert_eq!(adjusted["data"]["adjustStock"]["stock"], 10, "{adjusted}");
        let (after, body) = graphql(&http, GRAPHQL_PAGE, None).await;
        assert_eq!((after.as_deref(), graphql_stock(&body, "LAMP")), (Some("miss"), 10));
    }

    async fn a_zero_time_to_live_turns_the_cache_off(mesh) {
        let http = mesh.edge_with(HttpLimits { response_cache_ttl_ms: 0, ..HttpLimits::default() }).await;
        let admin = mesh.admin().await;
        mesh.product(&admin, "OFF", 1_000, 1).await;
        for _ in 0..2 {
            assert_eq!(get(&http, PAGE, &[]).await.0, None);
        }
    }
}
