//! `/api/v1/orders`: checkout, history, cancellation, fulfilment, payments.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use serde::Deserialize;
use shop_proto::{orders::v1 as pb, payments::v1::ListPaymentsRequest};
use utoipa::IntoParams;

use super::query::ApiQuery;
use crate::json::ApiJson;
use crate::{
    auth::{Caller, forwarded},
    error::{ApiError, Problem},
    model::orders::{
        CancelBody, CheckoutBody, Order, OrderPage, OrderStatus, Payment, PaymentList, StatusBody, place_order_request,
    },
    state::AppState,
};

/// The query string of `GET /api/v1/orders`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListOrdersParams {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Admins only: only this user's orders.
    pub user_id: Option<String>,
    /// Orders per page, 1 to 100; 0 or none: 20.
    #[param(minimum = 0, maximum = 100)]
    pub page_size: Option<i32>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

fn order(order: Option<pb::Order>) -> Result<Json<Order>, ApiError> {
    Ok(Json(Order::try_from(order)?))
}

/// Buys the caller's cart. The `Idempotency-Key` header makes retries safe:
/// the same key returns the same order (200) instead of a new one (201). A
/// checkout that ends REJECTED or PAYMENT_FAILED is still an order, with its
/// reason, not an error.
#[utoipa::path(
    post, path = "/orders", tag = "orders", request_body = CheckoutBody, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 200, pattern = r"\S", description = "Client-chosen key, 1 to 200 characters; reuse it on retries")),
    responses(
        (status = 201, description = "The new order, in whatever state checkout reached", body = Order),
        (status = 200, description = "The order an earlier request with this key placed", body = Order),
        (status = 400, description = "A missing key or an invalid field, named in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The cart is empty", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "A service is down; retry with the same key", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn checkout(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CheckoutBody>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::invalid_field("Idempotency-Key", "header is required"))?;
    let message = place_order_request(key.to_owned(), body.shipping_address, body.card);
    let placed = state
        .orders
        .clone()
        .place_order(forwarded(Some(&caller), message))
        .await
        .map_err(|status| ApiError::from(status).rename_field("idempotency_key", "Idempotency-Key"))?;
    let placed = placed.into_inner();
    let status = if placed.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, order(placed.order)?))
}

/// The caller's orders, newest first (an admin sees everyone's).
#[utoipa::path(
    get, path = "/orders", tag = "orders", params(ListOrdersParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of orders", body = OrderPage),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A customer asked for another user's orders", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListOrdersParams>,
) -> Result<Json<OrderPage>, ApiError> {
    let message = pb::ListOrdersRequest {
        page_size: params.page_size.unwrap_or(0),
        page_token: params.page_token.unwrap_or_default(),
        status: params.status.map_or(pb::OrderStatus::Unspecified, Into::into).into(),
        user_id: params.user_id.unwrap_or_default(),
    };
    let page = state.orders.clone().list_orders(forwarded(Some(&caller), message)).await?.into_inner();
    let items = page.orders.into_iter().map(|o| Order::try_from(Some(o))).collect::<Result<_, _>>()?;
    Ok(Json(OrderPage { items, next_page_token: page.next_page_token }))
}

/// One of the caller's orders (any order for an admin).
#[utoipa::path(
    get, path = "/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order with its lines and events", body = Order),
        (status = 404, description = "No such order of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Order>, ApiError> {
    order(
        state
            .orders
            .clone()
            .get_order(forwarded(Some(&caller), pb::GetOrderRequest { order_id: id }))
            .await?
            .into_inner()
            .order,
    )
}

/// Cancels an order before it ships: a paid order is refunded and restocked.
#[utoipa::path(
    post, path = "/orders/{id}/cancel", tag = "orders", request_body = Option<CancelBody>, security(("bearer" = [])),
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "The cancelled order", body = Order),
        (status = 404, description = "No such order of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Shipped or already over; or checkout still running", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Order>, ApiError> {
    // The body is optional: no body, no reason.
    let reason = if body.is_empty() { String::new() } else { crate::json::parse::<CancelBody>(&body)?.reason };
    let message = pb::CancelOrderRequest { order_id: id, reason };
    order(state.orders.clone().cancel_order(forwarded(Some(&caller), message)).await?.into_inner().order)
}

/// Moves a paid order along fulfilment: SHIPPED, then DELIVERED (admins).
#[utoipa::path(
    post, path = "/orders/{id}/status", tag = "orders", request_body = StatusBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order after the change", body = Order),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a fulfilment step from the order's status; the detail names both", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<Order>, ApiError> {
    let message = pb::UpdateOrderStatusRequest {
        order_id: id,
        status: pb::OrderStatus::from(body.status).into(),
        reason: body.reason,
    };
    order(state.orders.clone().update_order_status(forwarded(Some(&caller), message)).await?.into_inner().order)
}

/// The payments of one of the caller's orders.
#[utoipa::path(
    get, path = "/orders/{id}/payments", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "Oldest first", body = PaymentList),
        (status = 404, description = "No such order of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn payments(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PaymentList>, ApiError> {
    // The order must be the caller's (404 otherwise) before its payments are listed.
    state.orders.clone().get_order(forwarded(Some(&caller), pb::GetOrderRequest { order_id: id.clone() })).await?;
    let response =
        state.payments.clone().list_payments(forwarded(Some(&caller), ListPaymentsRequest { order_id: id })).await?;
    Ok(Json(PaymentList { items: response.into_inner().payments.into_iter().map(Payment::from).collect() }))
}
