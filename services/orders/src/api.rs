//! The gRPC face of the orders service: check the caller, validate, run the
//! flow, convert.

use shop_card::CardInput;
use shop_proto::orders::v1::{self as pb, order_service_server::OrderService};
use shop_runtime::{
    auth::{AuthError, Principal, Role},
    pagination, time,
    validation::{FieldViolation, required},
};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::{
    AppState, convert,
    domain::checkout::{AddressInput, Checkout},
    error::Error,
    store::{self, OrderRow},
    usecases::{
        checkout, fulfilment,
        watch::{self, WatchStream},
    },
};

/// The `shop.orders.v1.OrderService` implementation.
#[derive(Clone, Debug)]
pub struct OrdersApi {
    state: AppState,
}

impl OrdersApi {
    /// The service over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Orders on the wire, with their lines and events (loaded in one query each).
    async fn with_details(&self, orders: &[OrderRow]) -> Result<Vec<pb::Order>, Error> {
        let ids: Vec<String> = orders.iter().map(|o| o.id.clone()).collect();
        let mut conn = self.state.db.conn().await?;
        let details = convert::Details {
            addresses: store::addresses_of(&mut conn, &ids).await?,
            lines: store::lines_of(&mut conn, &ids).await?,
            events: store::events_of(&mut conn, &ids).await?,
        };
        Ok(orders.iter().map(|order| convert::order(order, &details)).collect())
    }

    async fn one(&self, order: &OrderRow) -> Result<pb::Order, Error> {
        self.with_details(std::slice::from_ref(order)).await?.pop().ok_or(Error::NotFound)
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct OrdersCursor {
    before: String,
}

fn caller<T>(request: &Request<T>) -> Result<Principal, Error> {
    Ok(Principal::require(request)?.clone())
}

#[tonic::async_trait]
impl OrderService for OrdersApi {
    #[instrument(skip_all, fields(rpc = "PlaceOrder", user_id, order_id))]
    async fn place_order(
        &self,
        request: Request<pb::PlaceOrderRequest>,
    ) -> Result<Response<pb::PlaceOrderResponse>, Status> {
        let caller = caller(&request)?;
        if caller.role == Role::Service {
            return Err(Error::from(AuthError::Forbidden("orders are placed by signed-in customers")).into());
        }
        tracing::Span::current().record("user_id", caller.subject.as_str());
        let input = request.into_inner();
        let address = input.shipping_address.as_ref().map(|a| AddressInput {
            name: &a.name,
            line1: &a.line1,
            line2: &a.line2,
            city: &a.city,
            postal_code: &a.postal_code,
            country: &a.country,
        });
        let card = input.card.as_ref().map(|c| CardInput {
            number: &c.number,
            exp_month: c.exp_month,
            exp_year: c.exp_year,
            cvc: &c.cvc,
        });
        let checkout =
            Checkout::parse(&input.idempotency_key, address, card, time::now().date()).map_err(Error::from)?;
        let placed = checkout::place(&self.state, &caller.subject, checkout).await?;
        tracing::Span::current().record("order_id", placed.order.id.as_str());
        let order = match &placed.details {
            Some(details) => convert::order(&placed.order, details),
            None => self.one(&placed.order).await?,
        };
        Ok(Response::new(pb::PlaceOrderResponse { order: Some(order), replayed: placed.replayed }))
    }

    #[instrument(skip_all, fields(rpc = "GetOrder", order_id))]
    async fn get_order(&self, request: Request<pb::GetOrderRequest>) -> Result<Response<pb::GetOrderResponse>, Status> {
        let caller = caller(&request)?;
        let order_id = request.into_inner().order_id;
        tracing::Span::current().record("order_id", order_id.as_str());
        required("order_id", &order_id)?;
        let order = fulfilment::visible(&self.state, &caller, &order_id).await?;
        Ok(Response::new(pb::GetOrderResponse { order: Some(self.one(&order).await?) }))
    }

    #[instrument(skip_all, fields(rpc = "ListOrders", page_size))]
    async fn list_orders(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let caller = caller(&request)?;
        let input = request.into_inner();
        let user = match (caller.is_admin(), input.user_id.as_str()) {
            (true, "") => None,
            (true, user) => Some(user.to_owned()),
            (false, "") => Some(caller.subject.clone()),
            (false, user) if user == caller.subject => Some(caller.subject.clone()),
            (false, _) => return Err(Error::from(AuthError::Forbidden("only admins list other users' orders")).into()),
        };
        let status = convert::status_from_proto(input.status);
        if input.status != 0 && status.is_none() {
            return Err(Error::from(FieldViolation::new("status", "is not an order status")).into());
        }
        let page_size = pagination::page_size(input.page_size).map_err(Error::from)?;
        tracing::Span::current().record("page_size", page_size);
        let cursor = pagination::decode_token::<OrdersCursor>(&input.page_token).map_err(Error::from)?;
        let mut conn = self.state.db.conn().await.map_err(Error::from)?;
        let mut orders = store::list(
            &mut conn,
            user.as_deref(),
            status.map(|s| s.as_str()),
            cursor.as_ref().map(|c| c.before.as_str()),
            page_size + 1,
        )
        .await
        .map_err(Error::from)?;
        drop(conn);
        let more = orders.len() as i64 > page_size;
        orders.truncate(usize::try_from(page_size).unwrap_or(0));
        let cursors: Vec<String> =
            orders.iter().map(|o| pagination::encode_token(&OrdersCursor { before: o.id.clone() })).collect();
        let next_page_token = if more { cursors.last().cloned().unwrap_or_default() } else { String::new() };
        Ok(Response::new(pb::ListOrdersResponse {
            orders: self.with_details(&orders).await?,
            next_page_token,
            cursors,
        }))
    }

    #[instrument(skip_all, fields(rpc = "CancelOrder", order_id))]
    async fn cancel_order(
        &self,
        request: Request<pb::CancelOrderRequest>,
    ) -> Result<Response<pb::CancelOrderResponse>, Status> {
        let caller = caller(&request)?;
        let input = request.into_inner();
        tracing::Span::current().record("order_id", input.order_id.as_str());
        required("order_id", &input.order_id)?;
        if input.reason.chars().count() > 500 {
            return Err(Error::from(FieldViolation::new("reason", "must be at most 500 characters")).into());
        }
        let order = fulfilment::cancel(&self.state, &caller, &input.order_id, &input.reason).await?;
        Ok(Response::new(pb::CancelOrderResponse { order: Some(self.one(&order).await?) }))
    }

    #[instrument(skip_all, fields(rpc = "UpdateOrderStatus", order_id))]
    async fn update_order_status(
        &self,
        request: Request<pb::UpdateOrderStatusRequest>,
    ) -> Result<Response<pb::UpdateOrderStatusResponse>, Status> {
        caller(&request)?.require_admin().map_err(Error::from)?;
        let input = request.into_inner();
        tracing::Span::current().record("order_id", input.order_id.as_str());
        required("order_id", &input.order_id)?;
        let to = convert::status_from_proto(input.status)
            .ok_or_else(|| Error::from(FieldViolation::new("status", "is required: SHIPPED or DELIVERED")))?;
        let order = fulfilment::advance(&self.state, &input.order_id, to, &input.reason).await?;
        Ok(Response::new(pb::UpdateOrderStatusResponse { order: Some(self.one(&order).await?) }))
    }

    type WatchOrderStream = WatchStream;

    #[instrument(skip_all, fields(rpc = "WatchOrder", order_id))]
    async fn watch_order(
        &self,
        request: Request<pb::WatchOrderRequest>,
    ) -> Result<Response<Self::WatchOrderStream>, Status> {
        let caller = caller(&request)?;
        let order_id = request.into_inner().order_id;
        tracing::Span::current().record("order_id", order_id.as_str());
        required("order_id", &order_id)?;
        let order = fulfilment::visible(&self.state, &caller, &order_id).await?;
        Ok(Response::new(watch::watch(self.state.clone(), order)))
    }
}
