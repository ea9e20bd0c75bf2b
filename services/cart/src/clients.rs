//! What the cart asks the products service, over gRPC.

use shop_proto::products::v1::{
    BatchGetProductsRequest, GetProductRequest, Product, product_service_client::ProductServiceClient,
};
use shop_runtime::{failure::Failure, grpc::MeshChannel};
use tonic::Code;

use crate::{domain::PricedProduct, error::Error};

/// The products service, as the cart calls it (public reads, no credentials needed).
#[derive(Clone, Debug)]
pub struct ProductsClient {
    client: ProductServiceClient<MeshChannel>,
}

impl ProductsClient {
    /// A client of the products service reached through `channel`.
    pub fn new(channel: MeshChannel) -> Self {
        Self { client: ProductServiceClient::new(channel) }
    }

    /// A product that can go into a cart: it exists and is not archived.
    pub async fn sellable(&self, product_id: &str) -> Result<PricedProduct, Error> {
        let request = GetProductRequest { product_id: product_id.to_owned() };
        match self.client.clone().get_product(request).await {
            Ok(response) => match response.into_inner().product {
                Some(product) if !product.archived => Ok(priced(product)),
                _ => Err(Error::ProductNotFound(product_id.to_owned())),
            },
            Err(status) if status.code() == Code::NotFound => Err(Error::ProductNotFound(product_id.to_owned())),
            Err(status) => Err(Failure::downstream("products")(status).into()),
        }
    }

    /// Many products in one round trip; unknown ids are simply absent.
    pub async fn batch(&self, product_ids: Vec<String>) -> Result<Vec<PricedProduct>, Error> {
        if product_ids.is_empty() {
            return Ok(Vec::new());
        }
        let response = self
            .client
            .clone()
            .batch_get_products(BatchGetProductsRequest { product_ids })
            .await
            .map_err(Failure::downstream("products"))?;
        Ok(response.into_inner().products.into_iter().map(priced).collect())
    }
}

fn priced(product: Product) -> PricedProduct {
    let (unit_price, currency) = product.price.map(|m| (m.amount_minor, m.currency)).unwrap_or_default();
    PricedProduct {
        available: if product.archived { 0 } else { product.stock },
        id: product.id,
        name: product.name,
        sku: product.sku,
        unit_price,
        currency,
        image_url: product.image_url,
    }
}
