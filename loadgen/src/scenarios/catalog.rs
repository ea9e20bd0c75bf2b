//! Browsing: the edge's floor, catalog pages over REST and GraphQL, product details.

use std::sync::LazyLock;

use goose::prelude::*;
use rand::seq::IndexedRandom as _;
use serde::{Deserialize, de::IgnoredAny};

use crate::{
    http::{Call, checked_body},
    setup::target,
};

/// The REST page, and the same 20 products with the same fields over GraphQL.
const REST_PAGE: &str = "/api/v1/products?page_size=20";
const GRAPHQL_PAGE: &str = "query Page { products(first: 20) { nodes { id sku name description \
    price { amountMinor currency } category imageUrl stock createdAt updatedAt } \
    pageInfo { hasNextPage endCursor } } }";
/// The GraphQL page's request body, serialized once.
static GRAPHQL_BODY: LazyLock<String> = LazyLock::new(|| serde_json::json!({ "query": GRAPHQL_PAGE }).to_string());

/// What is checked of a REST page: it is one. Both pages are read whole and
/// checked the same way, as a client does, so that neither format's figure
/// leaves out the client's share of the work.
#[derive(Deserialize)]
struct RestPage {
    #[allow(dead_code)]
    items: Vec<IgnoredAny>,
}

/// What is checked of a GraphQL page: it has the page, and no errors (which
/// GraphQL answers with 200).
#[derive(Deserialize)]
struct GraphqlPage {
    data: Option<GraphqlData>,
    errors: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct GraphqlData {
    products: Option<IgnoredAny>,
}

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
    let sent = Call::get(REST_PAGE, "/api/v1/products?page_size=20").send(user).await?;
    let mut request = sent.request.clone();
    if checked_body::<RestPage>(sent).await.is_none() {
        return user.set_failure("not a page", &mut request, None, None);
    }
    Ok(())
}

/// The first catalog page over GraphQL.
async fn graphql_page(user: &mut GooseUser) -> TransactionResult {
    let query = GRAPHQL_BODY.clone();
    let sent = Call::json_text(GooseMethod::Post, "/graphql", "/graphql products(first: 20)", query).send(user).await?;
    let mut request = sent.request.clone();
    match checked_body::<GraphqlPage>(sent).await {
        Some(GraphqlPage { data: Some(GraphqlData { products: Some(_) }), errors: None }) => Ok(()),
        _ => user.set_failure("graphql errors, or no page", &mut request, None, None),
    }
}

/// One product's page.
async fn product(user: &mut GooseUser) -> TransactionResult {
    let id = target()?.browsable.choose(&mut rand::rng()).cloned().unwrap_or_default();
    Call::get(&format!("/api/v1/products/{id}"), "/api/v1/products/{id}").send(user).await?;
    Ok(())
}
