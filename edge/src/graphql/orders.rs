//! Orders over GraphQL: checkout, history, cancellation, fulfilment (admins)
//! and live status over a websocket subscription backed by WatchOrder.

use async_graphql::{
    ComplexObject, Context, ID, Object, Subscription,
    connection::{Connection, Edge},
    dataloader::DataLoader,
};
use futures::{Stream, StreamExt};
use shop_proto::{orders::v1 as pb, payments::v1::ListPaymentsRequest};
use tonic::Code;

use super::{app, caller, loader::ProductLoader};
use crate::{
    auth::forwarded,
    error::{ApiError, gql},
    model::{
        catalog::Product,
        orders::{CheckoutInput, Order, OrderLine, OrderStatus, OrderStatusChange, Payment, place_order_request},
    },
};

#[ComplexObject]
impl OrderLine {
    /// The product as the catalog shows it now (archived products included).
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        Ok(ctx.data_unchecked::<DataLoader<ProductLoader>>().load_one(self.product_id.0.clone()).await?)
    }
}

#[ComplexObject]
impl Order {
    /// The order's payments, oldest first.
    async fn payments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Payment>> {
        let request = forwarded(Some(caller(ctx)?), ListPaymentsRequest { order_id: self.id.0.clone() });
        let response = app(ctx).payments.clone().list_payments(request).await.map_err(gql)?;
        Ok(response.into_inner().payments.into_iter().map(Payment::from).collect())
    }
}

fn order(order: Option<pb::Order>) -> async_graphql::Result<Order> {
    Ok(Order::try_from(order)?)
}

/// Order queries.
#[derive(Default, Debug)]
pub struct OrdersQuery;

#[Object]
impl OrdersQuery {
    /// The caller's orders, newest first (an admin sees everyone's).
    #[graphql(complexity = "usize::try_from(first).unwrap_or(1) * child_complexity")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
        status: Option<OrderStatus>,
    ) -> async_graphql::Result<Connection<String, Order>> {
        if !(1..=100).contains(&first) {
            return Err(ApiError::invalid_field("first", "must be between 1 and 100").into());
        }
        let message = pb::ListOrdersRequest {
            page_size: first,
            page_token: after.clone().unwrap_or_default(),
            status: status.map_or(pb::OrderStatus::Unspecified, Into::into).into(),
            user_id: String::new(),
        };
        let page = app(ctx)
            .orders
            .clone()
            .list_orders(forwarded(Some(caller(ctx)?), message))
            .await
            .map_err(|status| ApiError::from(status).rename_field("page_token", "after"))?
            .into_inner();
        let mut connection = Connection::new(after.is_some(), !page.next_page_token.is_empty());
        for (o, cursor) in page.orders.into_iter().zip(page.cursors) {
            connection.edges.push(Edge::new(cursor, Order::try_from(Some(o))?));
        }
        Ok(connection)
    }

    /// One of the caller's orders (any order for an admin); null if there is none.
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Order>> {
        let request = forwarded(Some(caller(ctx)?), pb::GetOrderRequest { order_id: id.0 });
        match app(ctx).orders.clone().get_order(request).await {
            Ok(response) => Ok(Some(order(response.into_inner().order)?)),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(gql(status)),
        }
    }
}

/// Order changes.
#[derive(Default, Debug)]
pub struct OrdersMutation;

#[Object]
impl OrdersMutation {
    /// Buys the caller's cart. A checkout that ends REJECTED (stock) or
    /// PAYMENT_FAILED (card) still returns the order, with its reason.
    /// Retrying with the same idempotency key returns the same order.
    async fn checkout(&self, ctx: &Context<'_>, input: CheckoutInput) -> async_graphql::Result<Order> {
        let message = place_order_request(input.idempotency_key, input.shipping_address, input.card);
        let response =
            app(ctx).orders.clone().place_order(forwarded(Some(caller(ctx)?), message)).await.map_err(gql)?;
        order(response.into_inner().order)
    }

    /// Cancels an order before it ships: refunds it and returns its stock.
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<Order> {
        let message = pb::CancelOrderRequest { order_id: order_id.0, reason: reason.unwrap_or_default() };
        let response =
            app(ctx).orders.clone().cancel_order(forwarded(Some(caller(ctx)?), message)).await.map_err(gql)?;
        order(response.into_inner().order)
    }

    /// Moves a paid order along fulfilment: SHIPPED, then DELIVERED (admins).
    async fn update_order_status(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        status: OrderStatus,
        reason: Option<String>,
    ) -> async_graphql::Result<Order> {
        let message = pb::UpdateOrderStatusRequest {
            order_id: order_id.0,
            status: pb::OrderStatus::from(status).into(),
            reason: reason.unwrap_or_default(),
        };
        let response =
            app(ctx).orders.clone().update_order_status(forwarded(Some(caller(ctx)?), message)).await.map_err(gql)?;
        order(response.into_inner().order)
    }
}

/// Live order status.
#[derive(Default, Debug)]
pub struct OrdersSubscription;

#[Subscription]
impl OrdersSubscription {
    /// The order's current status at once, then every change, until it
    /// reaches a terminal status. Authenticate with `{"authorization":
    /// "Bearer <token>"}` as the connection_init payload.
    async fn order_status_changed(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<OrderStatusChange>>> {
        let request = forwarded(Some(caller(ctx)?), pb::WatchOrderRequest { order_id: order_id.0 });
        let changes = app(ctx).orders.clone().watch_order(request).await.map_err(gql)?.into_inner();
        Ok(changes.map(|change| change.map(OrderStatusChange::from).map_err(gql)))
    }
}
