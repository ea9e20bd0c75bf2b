//! The services the saga calls, each with this service's own `service`
//! token (from the runtime's client layer), naming the user it acts for.

use shop_proto::{
    cart::v1::cart_service_client::CartServiceClient, payments::v1::payment_service_client::PaymentServiceClient,
    products::v1::product_service_client::ProductServiceClient,
};
use shop_runtime::{
    auth::ServiceTokens,
    config::{ClientConfig, ServiceCredentialsConfig},
    grpc::{MeshChannel, connect_lazy},
};

use crate::config::Upstreams;

/// Clients of products, payments and cart (connected lazily).
#[derive(Clone, Debug)]
pub struct Downstreams {
    /// Prices and stock.
    pub products: ProductServiceClient<MeshChannel>,
    /// Charges and refunds.
    pub payments: PaymentServiceClient<MeshChannel>,
    /// The customer's cart.
    pub cart: CartServiceClient<MeshChannel>,
}

impl Downstreams {
    /// Clients that authenticate as this service.
    pub fn new(
        upstreams: &Upstreams,
        credentials: &ServiceCredentialsConfig,
        client: &ClientConfig,
    ) -> Result<Self, tonic::transport::Error> {
        let tokens = ServiceTokens::new(
            connect_lazy(&upstreams.users_url, client)?,
            credentials.client_id.clone(),
            credentials.client_secret.clone(),
        );
        let channel =
            |url: &str| connect_lazy(url, client).map(|c| MeshChannel::with_service_tokens(c, tokens.clone()));
        Ok(Self {
            products: ProductServiceClient::new(channel(&upstreams.products_url)?),
            payments: PaymentServiceClient::new(channel(&upstreams.payments_url)?),
            cart: CartServiceClient::new(channel(&upstreams.cart_url)?),
        })
    }
}
