//! Browsing: the edge's floor, catalog pages over REST and GraphQL, product details.

use goose::prelude::*;
use rand::seq::IndexedRandom as _;
use serde_json::json;

use crate::{
    http::{Call, json_of},
    setup::target,
};

/// The REST page, and the same 20 products with the same fields over GraphQL.
const REST_PAGE: &str = "/api/v1/products?page_size=20";
const GRAPHQL_PAGE: &str = "query Page { products(first: 20) { nodes { id sku name description \
    price { amountMinor currency } category imageUrl stock createdAt updatedAt } \
    pageInfo { hasNextPage endCursor } } }";

/// Pages and details, as a browsing customer does.
pub fn browse() -> Result<Scenario, GooseError> {
    Ok(scenario!("Browse")
        .register_transaction(transaction!(rest_page).set_name("rest page"))
        .register_transaction(transaction!(graphql_page).set_name("graphql page"))
        .register_transaction(transaction!(product).set_name("product").set_weight(2)?))
}

/// `transaction` alone, over and over.
pub fn only(name: &str, transaction: Transaction) -> Scenario {
    scenario!(name).register_transaction(transaction)
}

/// The floor.
pub fn healthz_only() -> Scenario {
    only("Healthz", transaction!(healthz).set_name("healthz"))
}

/// REST pages.
pub fn rest_page_only() -> Scenario {
    only("RestPage", transaction!(rest_page).set_name("rest page"))
}

/// GraphQL pages.
pub fn graphql_page_only() -> Scenario {
    only("GraphqlPage", transaction!(graphql_page).set_name("graphql page"))
}

/// Product details.
pub fn product_only() -> Scenario {
    only("Product", transaction!(product).set_name("product"))
}

/// GET /healthz.
async fn healthz(user: &mut GooseUser) -> TransactionResult {
    Call::get("/healthz", "/healthz").send(user).await?;
    Ok(())
}

/// The first catalog page over REST.
async fn rest_page(user: &mut GooseUser) -> TransactionResult {
    Call::get(REST_PAGE, "/api/v1/products?page_size=20").send(user).await?;
    Ok(())
}

/// The first catalog page over GraphQL.
async fn graphql_page(user: &mut GooseUser) -> TransactionResult {
    let query = json!({ "query": GRAPHQL_PAGE });
    let sent = Call::json(GooseMethod::Post, "/graphql", "/graphql products(first: 20)", query).send(user).await?;
    // GraphQL answers errors with 200; they count as failures.
    let mut request = sent.request.clone();
    let body = json_of(sent).await;
    if body.get("errors").is_some() || body["data"]["products"].is_null() {
        return user.set_failure("graphql errors", &mut request, None, Some(&body.to_string()));
    }
    Ok(())
}

/// One product's page.
async fn product(user: &mut GooseUser) -> TransactionResult {
    let id = target()?.browsable.choose(&mut rand::rng()).cloned().unwrap_or_default();
    Call::get(&format!("/api/v1/products/{id}"), "/api/v1/products/{id}").send(user).await?;
    Ok(())
}
