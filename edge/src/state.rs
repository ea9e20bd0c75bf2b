//! What every handler shares: typed gRPC clients and the token verifier.

use std::sync::Arc;

use shop_proto::{
    cart::v1::cart_service_client::CartServiceClient,
    notifications::v1::notification_service_client::NotificationServiceClient,
    orders::v1::order_service_client::OrderServiceClient, payments::v1::payment_service_client::PaymentServiceClient,
    products::v1::product_service_client::ProductServiceClient, users::v1::user_service_client::UserServiceClient,
};
use shop_runtime::{
    auth::TokenVerifier,
    config::ClientConfig,
    grpc::{Dependency, MeshChannel, Upstream, UpstreamError},
};

use crate::{
    config::{HttpLimits, Upstreams},
    metrics::HttpMetrics,
};

/// Shared by all requests; a clone is one reference count (axum clones the
/// state for every request). Derefs to [`Shared`].
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares. Every client calls with the end user's own
/// token, which each request attaches.
#[derive(Debug)]
pub struct Shared {
    /// The users service.
    pub users: UserServiceClient<MeshChannel>,
    /// The products service.
    pub products: ProductServiceClient<MeshChannel>,
    /// The cart service.
    pub cart: CartServiceClient<MeshChannel>,
    /// The orders service.
    pub orders: OrderServiceClient<MeshChannel>,
    /// The payments service.
    pub payments: PaymentServiceClient<MeshChannel>,
    /// The notifications service.
    pub notifications: NotificationServiceClient<MeshChannel>,
    /// Every downstream, for `/readyz`.
    pub downstreams: Vec<Dependency>,
    /// Verifies bearer tokens before anything is forwarded.
    pub verifier: TokenVerifier,
    /// Request limits.
    pub limits: HttpLimits,
    /// What the admin port's `/metrics` serves.
    pub metrics: HttpMetrics,
}

impl AppState {
    /// Clients for every upstream (connected lazily, host names followed).
    pub fn new(
        upstreams: &Upstreams,
        client: &ClientConfig,
        verifier: TokenVerifier,
        limits: HttpLimits,
    ) -> Result<Self, UpstreamError> {
        let users = Upstream::connect(&upstreams.users_url, client)?;
        let products = Upstream::connect(&upstreams.products_url, client)?;
        let cart = Upstream::connect(&upstreams.cart_url, client)?;
        let orders = Upstream::connect(&upstreams.orders_url, client)?;
        let payments = Upstream::connect(&upstreams.payments_url, client)?;
        let notifications = Upstream::connect(&upstreams.notifications_url, client)?;
        Ok(Self(Arc::new(Shared {
            users: UserServiceClient::new(MeshChannel::new(users.clone())),
            products: ProductServiceClient::new(MeshChannel::new(products.clone())),
            cart: CartServiceClient::new(MeshChannel::new(cart.clone())),
            orders: OrderServiceClient::new(MeshChannel::new(orders.clone())),
            payments: PaymentServiceClient::new(MeshChannel::new(payments.clone())),
            // Not among the downstreams that decide readiness: the shop can
            // sell while the mail history is away.
            notifications: NotificationServiceClient::new(MeshChannel::new(notifications)),
            downstreams: vec![
                named("users", shop_proto::users::v1::user_service_server::SERVICE_NAME, users),
                named("products", shop_proto::products::v1::product_service_server::SERVICE_NAME, products),
                named("cart", shop_proto::cart::v1::cart_service_server::SERVICE_NAME, cart),
                named("orders", shop_proto::orders::v1::order_service_server::SERVICE_NAME, orders),
                named("payments", shop_proto::payments::v1::payment_service_server::SERVICE_NAME, payments),
            ],
            verifier,
            limits,
            metrics: HttpMetrics::default(),
        })))
    }
}

/// A downstream judged by its named service's status, which also follows
/// what that service depends on (orders: payments, say).
fn named(name: &'static str, service: &'static str, channel: Upstream) -> Dependency {
    Dependency::Service { name, service, channel }
}
