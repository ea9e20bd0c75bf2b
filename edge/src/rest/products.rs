//! `/api/v1/products`, `/api/v1/products/{id}`, `/api/v1/products/{id}/stock`
//! and `/api/v1/categories`.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Serialize;
use shop_proto::products::v1 as pb;
use utoipa::ToSchema;

use super::query::ApiQuery;
use crate::json::ApiJson;
use crate::{
    auth::{Caller, forwarded},
    error::{ApiError, Problem},
    model::catalog::{
        AdjustStockInput, Category, CreateProductInput, ListProductsParams, Product, ProductPage, UpdateProductInput,
    },
    state::AppState,
};

/// Every category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryList {
    /// The categories, by name.
    pub items: Vec<Category>,
}

fn product(product: Option<pb::Product>) -> Result<Json<Product>, ApiError> {
    product.map(|p| Json(Product::from(p))).ok_or_else(|| ApiError::new(tonic::Code::Internal, "internal error"))
}

/// Lists active products, filtered and sorted, a page at a time.
#[utoipa::path(
    get, path = "/products", tag = "catalog", params(ListProductsParams),
    responses(
        (status = 200, description = "One page of products", body = ProductPage),
        (status = 400, description = "A bad parameter, named in `errors`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListProductsParams>,
) -> Result<Json<ProductPage>, ApiError> {
    let page = state.products.clone().list_products(params.into_request()).await?.into_inner();
    Ok(Json(ProductPage {
        items: page.products.into_iter().map(Product::from).collect(),
        next_page_token: page.next_page_token,
    }))
}

/// One product, archived or not.
#[utoipa::path(
    get, path = "/products/{id}", tag = "catalog", params(("id" = String, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product", body = Product),
        (status = 404, description = "No such product, or it was deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Product>, ApiError> {
    let found = state.products.clone().get_product(pb::GetProductRequest { product_id: id }).await?.into_inner();
    // DELETE took it out of the catalog: REST has no archived resources (an
    // order keeps its own copy of each line; GraphQL's `product` still shows it).
    if found.product.as_ref().is_some_and(|p| p.archived) {
        return Err(ApiError::new(tonic::Code::NotFound, "no such product (it was deleted)"));
    }
    product(found.product)
}

/// Adds a product (admins only); `stock` is the initial stock on hand.
#[utoipa::path(
    post, path = "/products", tag = "catalog", request_body = CreateProductInput, security(("bearer" = [])),
    responses(
        (status = 201, description = "The new product", body = Product),
        (status = 400, description = "Invalid fields, named in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The sku is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<CreateProductInput>,
) -> Result<(StatusCode, Json<Product>), ApiError> {
    let response =
        state.products.clone().create_product(forwarded(Some(&caller), pb::CreateProductRequest::from(input))).await?;
    Ok((StatusCode::CREATED, product(response.into_inner().product)?))
}

/// Changes the given fields of a product (admins only).
#[utoipa::path(
    patch, path = "/products/{id}", tag = "catalog", request_body = UpdateProductInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Product id")),
    responses(
        (status = 200, description = "The changed product", body = Product),
        (status = 400, description = "Invalid fields, named in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new sku is another product's", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UpdateProductInput>,
) -> Result<Json<Product>, ApiError> {
    product(
        state
            .products
            .clone()
            .update_product(forwarded(Some(&caller), input.into_request(id)))
            .await?
            .into_inner()
            .product,
    )
}

/// Archives a product (admins only): it leaves listings; old orders still show it.
#[utoipa::path(
    delete, path = "/products/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, description = "Product id")),
    responses(
        (status = 200, description = "The archived product", body = Product),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn archive(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Product>, ApiError> {
    let request = forwarded(Some(&caller), pb::DeleteProductRequest { product_id: id });
    product(state.products.clone().delete_product(request).await?.into_inner().product)
}

/// Adds or removes stock on hand, with a reason for the ledger (admins only).
#[utoipa::path(
    post, path = "/products/{id}/stock", tag = "catalog", request_body = AdjustStockInput, security(("bearer" = [])),
    params(("id" = String, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product after the change", body = Product),
        (status = 400, description = "Invalid delta or reason", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It would leave less on hand than is reserved", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn adjust_stock(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AdjustStockInput>,
) -> Result<Json<Product>, ApiError> {
    let message = pb::AdjustStockRequest { product_id: id, delta: input.delta, reason: input.reason };
    product(state.products.clone().adjust_stock(forwarded(Some(&caller), message)).await?.into_inner().product)
}

/// Every category of the active catalog.
#[utoipa::path(
    get, path = "/categories", tag = "catalog",
    responses((status = 200, description = "The categories, by name", body = CategoryList))
)]
pub async fn categories(State(state): State<AppState>) -> Result<Json<CategoryList>, ApiError> {
    let response = state.products.clone().list_categories(pb::ListCategoriesRequest {}).await?.into_inner();
    let items =
        response.categories.into_iter().map(|c| Category { name: c.name, product_count: c.product_count }).collect();
    Ok(Json(CategoryList { items }))
}
