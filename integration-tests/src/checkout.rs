//! Shopping helpers: fill a cart, check out, wait for things to settle.

use std::time::{Duration, Instant};

use shop_proto::{
    cart::v1::{AddItemRequest, GetCartRequest},
    orders::v1::{Address, Order, PlaceOrderRequest},
    payments::v1::Card,
    products::v1::{GetProductRequest, Product},
};
use tonic::Status;

use crate::{Account, TestMesh, bearer};

/// The sandbox card that always succeeds.
pub const GOOD_CARD: &str = "4242424242424242";
/// The sandbox card that is always declined.
pub const DECLINED_CARD: &str = "4000000000000002";
/// The sandbox card with insufficient funds.
pub const NO_FUNDS_CARD: &str = "4000000000009995";
/// The sandbox card whose first attempt per key is a processor error.
pub const FLAKY_CARD: &str = "4000000000000119";

/// A card with this number, valid for years.
pub fn card(number: &str) -> Card {
    Card { number: number.into(), exp_month: 12, exp_year: 2035, cvc: "123".into() }
}

/// A valid shipping address.
pub fn address() -> Address {
    Address {
        name: "Ada Lovelace".into(),
        line1: "1 Analytical Street".into(),
        line2: String::new(),
        city: "London".into(),
        postal_code: "NW1 6XE".into(),
        country: "GB".into(),
    }
}

impl TestMesh {
    /// A product `sku` at `price` (minor units) with `stock`, and the customer
    /// ada@example.com with `quantity` of it in her cart.
    pub async fn shopper_with_cart(&self, sku: &str, price: i64, stock: i32, quantity: i32) -> (Account, Product) {
        let admin = self.admin().await;
        let product = self.product(&admin, sku, price, stock).await;
        let ada = self.customer("ada@example.com").await;
        self.fill_cart(&ada, &[(&product, quantity)]).await;
        (ada, product)
    }

    /// Puts products in an account's cart.
    pub async fn fill_cart(&self, account: &Account, items: &[(&Product, i32)]) {
        for (product, quantity) in items {
            let request =
                AddItemRequest { user_id: String::new(), product_id: product.id.clone(), quantity: *quantity };
            self.cart().add_item(bearer(request, &account.token)).await.expect("add to cart");
        }
    }

    /// PlaceOrder over gRPC with `key` and a card.
    pub async fn place_order(&self, account: &Account, key: &str, card_number: &str) -> Result<Order, Status> {
        let request = PlaceOrderRequest {
            idempotency_key: key.into(),
            shipping_address: Some(address()),
            card: Some(card(card_number)),
        };
        let response = self.orders().await.place_order(bearer(request, &account.token)).await?;
        Ok(response.into_inner().order.expect("order"))
    }

    /// How many items are in an account's cart.
    pub async fn cart_item_count(&self, account: &Account) -> i32 {
        let request = bearer(GetCartRequest::default(), &account.token);
        self.cart().get_cart(request).await.expect("cart").into_inner().cart.expect("cart").item_count
    }

    /// A product as the catalog has it now.
    pub async fn stock_of(&self, product: &Product) -> Product {
        let request = GetProductRequest { product_id: product.id.clone() };
        self.products().get_product(request).await.expect("product").into_inner().product.expect("product")
    }
}

/// Polls `check` until it holds or `limit` passes; returns whether it held.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let give_up = Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= give_up {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
