//! The services the saga calls, each with this service's own `service`
//! token (from the runtime's client layer), naming the user it acts for.

use shop_proto::{
    cart::v1::cart_service_client::CartServiceClient, payments::v1::payment_service_client::PaymentServiceClient,
    products::v1::product_service_client::ProductServiceClient,
};
use shop_runtime::{
    config::{ClientConfig, ServiceCredentialsConfig},
    grpc::{Dependency, MeshChannel, ServiceTokens, Upstream},
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
    /// All of them and the token issuer (users), for health.
    pub dependencies: Vec<Dependency>,
}

impl Downstreams {
    /// Clients that authenticate as this service.
    pub fn new(
        upstreams: &Upstreams,
        credentials: &ServiceCredentialsConfig,
        client: &ClientConfig,
    ) -> anyhow::Result<Self> {
        let users = Upstream::connect(&upstreams.users_url, client)?;
        let products = Upstream::connect(&upstreams.products_url, client)?;
        let payments = Upstream::connect(&upstreams.payments_url, client)?;
        let cart = Upstream::connect(&upstreams.cart_url, client)?;
        let tokens = ServiceTokens::new(users.clone(), credentials.client_id.clone(), credentials.secret()?);
        let as_orders = |channel: &Upstream| MeshChannel::with_service_tokens(channel.clone(), tokens.clone());
        Ok(Self {
            products: ProductServiceClient::new(as_orders(&products)),
            payments: PaymentServiceClient::new(as_orders(&payments)),
            cart: CartServiceClient::new(as_orders(&cart)),
            dependencies: vec![
                Dependency::service("users", users),
                Dependency::service("products", products),
                Dependency::service("payments", payments),
                Dependency::service("cart", cart),
            ],
        })
    }
}
