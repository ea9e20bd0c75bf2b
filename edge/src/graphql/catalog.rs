//! The catalog over GraphQL: browsing for everyone, changes for admins.

use async_graphql::{
    Context, ID, Object,
    connection::{Connection, Edge},
};
use shop_proto::products::v1 as pb;
use tonic::Code;

use super::{app, caller};
use crate::{
    auth::forwarded,
    error::{ApiError, gql},
    model::catalog::{
        AdjustStockInput, Category, CreateProductInput, Product, ProductFilter, ProductSort, UpdateProductInput,
        list_request,
    },
};

/// Catalog queries.
#[derive(Default, Debug)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Active products, filtered and sorted, as a Relay connection. Cursors
    /// stay valid while products are added.
    #[graphql(complexity = "usize::try_from(first).unwrap_or(1) * child_complexity")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProductFilter>,
        #[graphql(default)] sort: ProductSort,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Product>> {
        if !(1..=100).contains(&first) {
            return Err(ApiError::invalid_field("first", "must be between 1 and 100").into());
        }
        let request = list_request(filter.unwrap_or_default(), sort, first, after.clone().unwrap_or_default());
        let page = app(ctx)
            .products
            .clone()
            .list_products(request)
            .await
            .map_err(|status| ApiError::from(status).rename_field("page_token", "after"))?
            .into_inner();
        let mut connection = Connection::new(after.is_some(), !page.next_page_token.is_empty());
        connection
            .edges
            .extend(page.products.into_iter().zip(page.cursors).map(|(p, cursor)| Edge::new(cursor, Product::from(p))));
        Ok(connection)
    }

    /// One product, archived or not; null if there is none.
    async fn product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Product>> {
        match app(ctx).products.clone().get_product(pb::GetProductRequest { product_id: id.0 }).await {
            Ok(response) => Ok(response.into_inner().product.map(Product::from)),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(gql(status)),
        }
    }

    /// Every category of the active catalog.
    async fn categories(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Category>> {
        let response = app(ctx).products.clone().list_categories(pb::ListCategoriesRequest {}).await.map_err(gql)?;
        Ok(response
            .into_inner()
            .categories
            .into_iter()
            .map(|c| Category { name: c.name, product_count: c.product_count })
            .collect())
    }
}

/// Catalog changes (admins only).
#[derive(Default, Debug)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// Adds a product.
    async fn create_product(&self, ctx: &Context<'_>, input: CreateProductInput) -> async_graphql::Result<Product> {
        let request = forwarded(Some(caller(ctx)?), pb::CreateProductRequest::from(input));
        product(app(ctx).products.clone().create_product(request).await.map_err(gql)?.into_inner().product)
    }

    /// Changes the given fields of a product.
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductInput,
    ) -> async_graphql::Result<Product> {
        let request = forwarded(Some(caller(ctx)?), input.into_request(id.0));
        product(app(ctx).products.clone().update_product(request).await.map_err(gql)?.into_inner().product)
    }

    /// Archives a product: it leaves listings; old orders still show it.
    async fn delete_product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Product> {
        let request = forwarded(Some(caller(ctx)?), pb::DeleteProductRequest { product_id: id.0 });
        product(app(ctx).products.clone().delete_product(request).await.map_err(gql)?.into_inner().product)
    }

    /// Adds (positive) or removes (negative) stock on hand, with a reason for the ledger.
    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        input: AdjustStockInput,
    ) -> async_graphql::Result<Product> {
        let message = pb::AdjustStockRequest { product_id: product_id.0, delta: input.delta, reason: input.reason };
        let request = forwarded(Some(caller(ctx)?), message);
        product(app(ctx).products.clone().adjust_stock(request).await.map_err(gql)?.into_inner().product)
    }
}

fn product(product: Option<pb::Product>) -> async_graphql::Result<Product> {
    product.map(Product::from).ok_or_else(|| ApiError::new(Code::Internal, "internal error").into())
}
