//! Batches product look-ups of one GraphQL request into BatchGetProducts
//! calls, so a cart of twenty lines costs one round trip, not twenty.

use std::{collections::HashMap, time::Instant};

use async_graphql::dataloader::{DataLoader, Loader};
use shop_proto::products::v1::{BatchGetProductsRequest, product_service_client::ProductServiceClient};
use shop_runtime::grpc::{MeshChannel, deadline};
use tracing::{Instrument, Span};

use crate::{error::ApiError, model::catalog::Product};

/// Most ids in one BatchGetProducts call (the service's own limit).
const MAX_BATCH: usize = 100;

/// Loads products by id for one request. The batch runs on a task of its
/// own, so it carries the request's span and deadline with it.
pub struct ProductLoader {
    client: ProductServiceClient<MeshChannel>,
    span: Span,
    deadline: Option<Instant>,
}

impl ProductLoader {
    /// A data loader for the request being served.
    pub fn for_request(client: ProductServiceClient<MeshChannel>) -> DataLoader<Self> {
        let loader = Self { client, span: Span::current(), deadline: deadline::current() };
        DataLoader::new(loader, tokio::spawn).max_batch_size(MAX_BATCH)
    }
}

impl Loader<String> for ProductLoader {
    type Value = Product;
    type Error = ApiError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Product>, ApiError> {
        let request = BatchGetProductsRequest { product_ids: keys.to_vec() };
        let mut client = self.client.clone();
        // async-graphql runs the batch inside its own span under the
        // operation's; without one, the request's span is the parent.
        let current = Span::current();
        let parent = if current.is_none() { self.span.clone() } else { current };
        let response = deadline::until(self.deadline, client.batch_get_products(request)).instrument(parent).await?;
        Ok(response.into_inner().products.into_iter().map(|p| (p.id.clone(), Product::from(p))).collect())
    }
}
