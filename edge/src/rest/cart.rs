//! `/api/v1/cart` and `/api/v1/cart/items/{productId}`: the caller's own cart.

use axum::{
    Json,
    extract::{Path, State},
};
use shop_proto::cart::v1 as pb;

use crate::json::ApiJson;
use crate::{
    auth::{Caller, forwarded},
    error::{ApiError, Problem},
    model::cart::{AddItemInput, Cart, SetQuantityInput},
    state::AppState,
};

/// The caller's cart, priced now.
#[utoipa::path(
    get, path = "/cart", tag = "cart", security(("bearer" = [])),
    responses(
        (status = 200, description = "The cart", body = Cart),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(State(state): State<AppState>, caller: Caller) -> Result<Json<Cart>, ApiError> {
    let response = state.cart.clone().get_cart(forwarded(Some(&caller), pb::GetCartRequest::default())).await?;
    Ok(Json(Cart::try_from(response.into_inner().cart)?))
}

/// Adds units of a product to the cart (to its line, if it has one).
#[utoipa::path(
    post, path = "/cart/items", tag = "cart", request_body = AddItemInput, security(("bearer" = [])),
    responses(
        (status = 200, description = "The cart after the change", body = Cart),
        (status = 400, description = "A quantity outside 1..=99 per line", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product (or archived)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not that many available; `detail` says how many are", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<AddItemInput>,
) -> Result<Json<Cart>, ApiError> {
    let message = pb::AddItemRequest { user_id: String::new(), product_id: input.product_id, quantity: input.quantity };
    let response = state.cart.clone().add_item(forwarded(Some(&caller), message)).await?;
    Ok(Json(Cart::try_from(response.into_inner().cart)?))
}

/// Sets a line's quantity; 0 removes the line.
#[utoipa::path(
    patch, path = "/cart/items/{product_id}", tag = "cart", request_body = SetQuantityInput, security(("bearer" = [])),
    params(("product_id" = String, Path, description = "The line's product")),
    responses(
        (status = 200, description = "The cart after the change", body = Cart),
        (status = 400, description = "A quantity outside 0..=99", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product (or archived)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not that many available", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_quantity(
    State(state): State<AppState>,
    caller: Caller,
    Path(product_id): Path<String>,
    ApiJson(input): ApiJson<SetQuantityInput>,
) -> Result<Json<Cart>, ApiError> {
    let message = pb::SetItemQuantityRequest { user_id: String::new(), product_id, quantity: input.quantity };
    let response = state.cart.clone().set_item_quantity(forwarded(Some(&caller), message)).await?;
    Ok(Json(Cart::try_from(response.into_inner().cart)?))
}

/// Removes a line.
#[utoipa::path(
    delete, path = "/cart/items/{product_id}", tag = "cart", security(("bearer" = [])),
    params(("product_id" = String, Path, description = "The line's product")),
    responses((status = 200, description = "The cart after the change", body = Cart))
)]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(product_id): Path<String>,
) -> Result<Json<Cart>, ApiError> {
    let message = pb::RemoveItemRequest { user_id: String::new(), product_id };
    let response = state.cart.clone().remove_item(forwarded(Some(&caller), message)).await?;
    Ok(Json(Cart::try_from(response.into_inner().cart)?))
}

/// Empties the cart.
#[utoipa::path(
    delete, path = "/cart", tag = "cart", security(("bearer" = [])),
    responses((status = 200, description = "The empty cart", body = Cart))
)]
pub async fn clear(State(state): State<AppState>, caller: Caller) -> Result<Json<Cart>, ApiError> {
    let response = state.cart.clone().clear_cart(forwarded(Some(&caller), pb::ClearCartRequest::default())).await?;
    Ok(Json(Cart::try_from(response.into_inner().cart)?))
}
