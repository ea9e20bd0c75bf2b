//! The caller's cart over GraphQL. Product fields of cart lines resolve
//! through the request's [`ProductLoader`](super::loader::ProductLoader).

use async_graphql::{ComplexObject, Context, ID, Object, dataloader::DataLoader};
use shop_proto::cart::v1 as pb;

use super::{app, caller, loader::ProductLoader};
use crate::{
    auth::forwarded,
    error::gql,
    model::{
        cart::{Cart, CartLine},
        catalog::Product,
    },
};

#[ComplexObject]
impl CartLine {
    /// The product itself, as the catalog shows it now.
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        Ok(ctx.data_unchecked::<DataLoader<ProductLoader>>().load_one(self.product_id.0.clone()).await?)
    }
}

/// Cart queries.
#[derive(Default, Debug)]
pub struct CartQuery;

#[Object]
impl CartQuery {
    /// The caller's cart, priced now.
    async fn cart(&self, ctx: &Context<'_>) -> async_graphql::Result<Cart> {
        let request = forwarded(Some(caller(ctx)?), pb::GetCartRequest::default());
        Ok(Cart::try_from(app(ctx).cart.clone().get_cart(request).await.map_err(gql)?.into_inner().cart)?)
    }
}

/// Cart changes; each returns the cart after it.
#[derive(Default, Debug)]
pub struct CartMutation;

#[Object]
impl CartMutation {
    /// Adds units of a product (to its line, if it has one).
    async fn add_to_cart(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        #[graphql(default = 1)] quantity: i32,
    ) -> async_graphql::Result<Cart> {
        let message = pb::AddItemRequest { user_id: String::new(), product_id: product_id.0, quantity };
        let request = forwarded(Some(caller(ctx)?), message);
        Ok(Cart::try_from(app(ctx).cart.clone().add_item(request).await.map_err(gql)?.into_inner().cart)?)
    }

    /// Sets a line's quantity; 0 removes it.
    async fn set_cart_item_quantity(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        quantity: i32,
    ) -> async_graphql::Result<Cart> {
        let message = pb::SetItemQuantityRequest { user_id: String::new(), product_id: product_id.0, quantity };
        let request = forwarded(Some(caller(ctx)?), message);
        Ok(Cart::try_from(app(ctx).cart.clone().set_item_quantity(request).await.map_err(gql)?.into_inner().cart)?)
    }

    /// Removes a line.
    async fn remove_from_cart(&self, ctx: &Context<'_>, product_id: ID) -> async_graphql::Result<Cart> {
        let request =
            forwarded(Some(caller(ctx)?), pb::RemoveItemRequest { user_id: String::new(), product_id: product_id.0 });
        Ok(Cart::try_from(app(ctx).cart.clone().remove_item(request).await.map_err(gql)?.into_inner().cart)?)
    }

    /// Removes every line.
    async fn clear_cart(&self, ctx: &Context<'_>) -> async_graphql::Result<Cart> {
        let request = forwarded(Some(caller(ctx)?), pb::ClearCartRequest::default());
        Ok(Cart::try_from(app(ctx).cart.clone().clear_cart(request).await.map_err(gql)?.into_inner().cart)?)
    }
}
