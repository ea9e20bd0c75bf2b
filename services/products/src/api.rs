//! The gRPC face of the products service: check the caller, validate, run
//! the flow, convert. Nothing else lives here.

use shop_proto::products::v1::{self as pb, product_service_server::ProductService};
use shop_runtime::{
    auth::Principal,
    validation::{FieldViolation, required},
};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::{
    AppState, convert,
    domain::{
        listing::{ListInput, ListQuery},
        product::{NewProduct, PatchInput, ProductInput, ProductPatch, StockAdjustment},
        reservation::ReservationRequest,
    },
    error::Error,
    store,
    usecases::{catalog, stock},
};

/// The `shop.products.v1.ProductService` implementation.
#[derive(Clone, Debug)]
pub struct ProductsApi {
    state: AppState,
}

impl ProductsApi {
    /// The service over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn admin<T>(request: &Request<T>) -> Result<(), Error> {
    Principal::require(request)?.require_admin()?;
    Ok(())
}

fn internal<T>(request: &Request<T>) -> Result<(), Error> {
    Principal::require(request)?.require_internal()?;
    Ok(())
}

#[tonic::async_trait]
impl ProductService for ProductsApi {
    #[instrument(skip_all, fields(rpc = "CreateProduct", sku))]
    async fn create_product(
        &self,
        request: Request<pb::CreateProductRequest>,
    ) -> Result<Response<pb::CreateProductResponse>, Status> {
        admin(&request)?;
        let input = request.into_inner();
        tracing::Span::current().record("sku", input.sku.as_str());
        let fields = ProductInput {
            sku: &input.sku,
            name: &input.name,
            description: &input.description,
            price: convert::price(input.price.as_ref()),
            category: &input.category,
            image_url: &input.image_url,
            stock: input.stock,
        };
        let product = NewProduct::parse(&fields, &self.state.currency).map_err(Error::from)?;
        let created = catalog::create(&self.state, product).await?;
        Ok(Response::new(pb::CreateProductResponse { product: Some(convert::product(&created)) }))
    }

    #[instrument(skip_all, fields(rpc = "UpdateProduct", product_id))]
    async fn update_product(
        &self,
        request: Request<pb::UpdateProductRequest>,
    ) -> Result<Response<pb::UpdateProductResponse>, Status> {
        admin(&request)?;
        let input = request.into_inner();
        tracing::Span::current().record("product_id", input.product_id.as_str());
        required("product_id", &input.product_id)?;
        let fields = PatchInput {
            sku: input.sku.as_deref(),
            name: input.name.as_deref(),
            description: input.description.as_deref(),
            price: convert::price(input.price.as_ref()),
            category: input.category.as_deref(),
            image_url: input.image_url.as_deref(),
        };
        let patch = ProductPatch::parse(&fields, &self.state.currency).map_err(Error::from)?;
        let updated = catalog::update(&self.state, &input.product_id, patch).await?;
        Ok(Response::new(pb::UpdateProductResponse { product: Some(convert::product(&updated)) }))
    }

    #[instrument(skip_all, fields(rpc = "DeleteProduct", product_id))]
    async fn delete_product(
        &self,
        request: Request<pb::DeleteProductRequest>,
    ) -> Result<Response<pb::DeleteProductResponse>, Status> {
        admin(&request)?;
        let id = request.into_inner().product_id;
        tracing::Span::current().record("product_id", id.as_str());
        required("product_id", &id)?;
        let archived = catalog::archive(&self.state, &id).await?;
        Ok(Response::new(pb::DeleteProductResponse { product: Some(convert::product(&archived)) }))
    }

    #[instrument(skip_all, fields(rpc = "GetProduct", product_id))]
    async fn get_product(
        &self,
        request: Request<pb::GetProductRequest>,
    ) -> Result<Response<pb::GetProductResponse>, Status> {
        let id = request.into_inner().product_id;
        tracing::Span::current().record("product_id", id.as_str());
        required("product_id", &id)?;
        let mut conn = self.state.db.conn().await.map_err(Error::from)?;
        let product =
            store::find_product(&mut conn, &id).await.map_err(Error::from)?.ok_or(Error::ProductNotFound(id))?;
        Ok(Response::new(pb::GetProductResponse { product: Some(convert::product(&product)) }))
    }

    #[instrument(skip_all, fields(rpc = "BatchGetProducts", requested))]
    async fn batch_get_products(
        &self,
        request: Request<pb::BatchGetProductsRequest>,
    ) -> Result<Response<pb::BatchGetProductsResponse>, Status> {
        let mut ids = request.into_inner().product_ids;
        tracing::Span::current().record("requested", ids.len());
        if ids.len() > 100 {
            return Err(Error::from(FieldViolation::new("product_ids", "must hold at most 100 ids")).into());
        }
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        let mut conn = self.state.db.conn().await.map_err(Error::from)?;
        let found = store::find_products(&mut conn, &ids).await.map_err(Error::from)?;
        let (mut products, mut not_found_ids) = (Vec::with_capacity(found.len()), Vec::new());
        for id in ids {
            match found.iter().find(|p| p.id == id) {
                Some(product) => products.push(convert::product(product)),
                None => not_found_ids.push(id),
            }
        }
        Ok(Response::new(pb::BatchGetProductsResponse { products, not_found_ids }))
    }

    #[instrument(skip_all, fields(rpc = "ListProducts"))]
    async fn list_products(
        &self,
        request: Request<pb::ListProductsRequest>,
    ) -> Result<Response<pb::ListProductsResponse>, Status> {
        let input = request.into_inner();
        let query = ListQuery::parse(&ListInput {
            category: &input.category,
            query: &input.query,
            min_price: input.min_price_minor,
            max_price: input.max_price_minor,
            in_stock_only: input.in_stock_only,
            sort: convert::sort(input.sort),
            page_size: input.page_size,
            page_token: &input.page_token,
        })
        .map_err(Error::from)?;
        let page = catalog::list(&self.state, &query).await?;
        Ok(Response::new(pb::ListProductsResponse {
            products: page.products.iter().map(convert::product).collect(),
            next_page_token: page.next_page_token,
            cursors: page.cursors,
        }))
    }

    #[instrument(skip_all, fields(rpc = "ListCategories"))]
    async fn list_categories(
        &self,
        _request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        let mut conn = self.state.db.conn().await.map_err(Error::from)?;
        let categories = store::list_categories(&mut conn).await.map_err(Error::from)?;
        let categories = categories
            .into_iter()
            .map(|(name, count)| pb::Category { name, product_count: i32::try_from(count).unwrap_or(i32::MAX) })
            .collect();
        Ok(Response::new(pb::ListCategoriesResponse { categories }))
    }

    #[instrument(skip_all, fields(rpc = "AdjustStock", product_id, delta))]
    async fn adjust_stock(
        &self,
        request: Request<pb::AdjustStockRequest>,
    ) -> Result<Response<pb::AdjustStockResponse>, Status> {
        admin(&request)?;
        let input = request.into_inner();
        tracing::Span::current().record("product_id", input.product_id.as_str()).record("delta", input.delta);
        required("product_id", &input.product_id)?;
        let adjustment = StockAdjustment::parse(input.delta, &input.reason).map_err(Error::from)?;
        let product = stock::adjust(&self.state, &input.product_id, adjustment).await?;
        Ok(Response::new(pb::AdjustStockResponse { product: Some(convert::product(&product)) }))
    }

    #[instrument(skip_all, fields(rpc = "ReserveStock", order_id, items))]
    async fn reserve_stock(
        &self,
        request: Request<pb::ReserveStockRequest>,
    ) -> Result<Response<pb::ReserveStockResponse>, Status> {
        internal(&request)?;
        let input = request.into_inner();
        tracing::Span::current().record("order_id", input.order_id.as_str()).record("items", input.items.len());
        let items: Vec<(String, i32)> = input.items.into_iter().map(|item| (item.product_id, item.quantity)).collect();
        let reservation =
            ReservationRequest::parse(&input.order_id, &items, input.ttl_seconds, self.state.reservation_ttl)
                .map_err(Error::from)?;
        let reserved = stock::reserve(&self.state, reservation).await?;
        Ok(Response::new(pb::ReserveStockResponse { reservation: Some(convert::reservation(&reserved)) }))
    }

    #[instrument(skip_all, fields(rpc = "CommitReservation", order_id))]
    async fn commit_reservation(
        &self,
        request: Request<pb::CommitReservationRequest>,
    ) -> Result<Response<pb::CommitReservationResponse>, Status> {
        internal(&request)?;
        let order_id = request.into_inner().order_id;
        tracing::Span::current().record("order_id", order_id.as_str());
        required("order_id", &order_id)?;
        let committed = stock::commit(&self.state, &order_id).await?;
        Ok(Response::new(pb::CommitReservationResponse { reservation: Some(convert::reservation(&committed)) }))
    }

    #[instrument(skip_all, fields(rpc = "ReleaseReservation", order_id))]
    async fn release_reservation(
        &self,
        request: Request<pb::ReleaseReservationRequest>,
    ) -> Result<Response<pb::ReleaseReservationResponse>, Status> {
        internal(&request)?;
        let input = request.into_inner();
        tracing::Span::current().record("order_id", input.order_id.as_str());
        required("order_id", &input.order_id)?;
        let released = stock::release(&self.state, &input.order_id, input.reason.trim()).await?;
        Ok(Response::new(pb::ReleaseReservationResponse { reservation: Some(convert::reservation(&released)) }))
    }

    #[instrument(skip_all, fields(rpc = "GetReservation", order_id))]
    async fn get_reservation(
        &self,
        request: Request<pb::GetReservationRequest>,
    ) -> Result<Response<pb::GetReservationResponse>, Status> {
        internal(&request)?;
        let order_id = request.into_inner().order_id;
        tracing::Span::current().record("order_id", order_id.as_str());
        required("order_id", &order_id)?;
        let reservation = stock::get(&self.state, &order_id).await?;
        Ok(Response::new(pb::GetReservationResponse { reservation: Some(convert::reservation(&reservation)) }))
    }
}
