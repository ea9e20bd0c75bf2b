//! The gRPC face of the cart service: find whose cart it is, validate, run
//! the flow, return the priced cart.

use shop_proto::cart::v1::{self as pb, cart_service_server::CartService};
use shop_runtime::{auth::Principal, validation::FieldViolation};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::{AppState, convert, error::Error, usecases::lines};

/// The `shop.cart.v1.CartService` implementation.
#[derive(Clone, Debug)]
pub struct CartApi {
    state: AppState,
}

impl CartApi {
    /// The service over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// The cart after a change, priced now.
    async fn cart(&self, user_id: &str) -> Result<pb::Cart, Error> {
        let (priced, updated_at) = lines::priced_cart(&self.state, user_id).await?;
        Ok(convert::cart(user_id, priced, updated_at))
    }
}

/// Whose cart a request is about: the caller's own, or for a service, the
/// user it names.
fn owner<T>(request: &Request<T>, requested: &str) -> Result<String, Error> {
    let owner = Principal::require(request)?.acting_for(requested)?;
    tracing::Span::current().record("user_id", owner.as_str());
    Ok(owner)
}

fn product_id(value: &str) -> Result<&str, Error> {
    if value.is_empty() { Err(FieldViolation::new("product_id", "is required").into()) } else { Ok(value) }
}

#[tonic::async_trait]
impl CartService for CartApi {
    #[instrument(skip_all, fields(rpc = "GetCart", user_id))]
    async fn get_cart(&self, request: Request<pb::GetCartRequest>) -> Result<Response<pb::GetCartResponse>, Status> {
        let user_id = owner(&request, &request.get_ref().user_id)?;
        Ok(Response::new(pb::GetCartResponse { cart: Some(self.cart(&user_id).await?) }))
    }

    #[instrument(skip_all, fields(rpc = "AddItem", user_id, product_id))]
    async fn add_item(&self, request: Request<pb::AddItemRequest>) -> Result<Response<pb::AddItemResponse>, Status> {
        let user_id = owner(&request, &request.get_ref().user_id)?;
        let input = request.into_inner();
        tracing::Span::current().record("product_id", input.product_id.as_str());
        lines::add(&self.state, &user_id, product_id(&input.product_id)?, input.quantity).await?;
        Ok(Response::new(pb::AddItemResponse { cart: Some(self.cart(&user_id).await?) }))
    }

    #[instrument(skip_all, fields(rpc = "SetItemQuantity", user_id, product_id))]
    async fn set_item_quantity(
        &self,
        request: Request<pb::SetItemQuantityRequest>,
    ) -> Result<Response<pb::SetItemQuantityResponse>, Status> {
        let user_id = owner(&request, &request.get_ref().user_id)?;
        let input = request.into_inner();
        tracing::Span::current().record("product_id", input.product_id.as_str());
        lines::set(&self.state, &user_id, product_id(&input.product_id)?, input.quantity).await?;
        Ok(Response::new(pb::SetItemQuantityResponse { cart: Some(self.cart(&user_id).await?) }))
    }

    #[instrument(skip_all, fields(rpc = "RemoveItem", user_id, product_id))]
    async fn remove_item(
        &self,
        request: Request<pb::RemoveItemRequest>,
    ) -> Result<Response<pb::RemoveItemResponse>, Status> {
        let user_id = owner(&request, &request.get_ref().user_id)?;
        let input = request.into_inner();
        tracing::Span::current().record("product_id", input.product_id.as_str());
        lines::remove(&self.state, &user_id, product_id(&input.product_id)?).await?;
        Ok(Response::new(pb::RemoveItemResponse { cart: Some(self.cart(&user_id).await?) }))
    }

    #[instrument(skip_all, fields(rpc = "ClearCart", user_id))]
    async fn clear_cart(
        &self,
        request: Request<pb::ClearCartRequest>,
    ) -> Result<Response<pb::ClearCartResponse>, Status> {
        let user_id = owner(&request, &request.get_ref().user_id)?;
        lines::clear(&self.state, &user_id).await?;
        Ok(Response::new(pb::ClearCartResponse { cart: Some(self.cart(&user_id).await?) }))
    }
}
