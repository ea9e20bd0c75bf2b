//! The people and services a test acts as, and the products it needs.

use shop_proto::{
    common::v1::Money,
    products::v1::{CreateProductRequest, Product},
    users::v1::{IssueServiceTokenRequest, LoginRequest, RegisterRequest},
};
use tonic::Request;

use crate::{ADMIN_EMAIL, ADMIN_PASSWORD, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET, TestMesh};

/// A signed-in account.
#[derive(Debug, Clone)]
pub struct Account {
    /// User id.
    pub id: String,
    /// Access token.
    pub token: String,
}

/// `message` with `authorization: Bearer <token>`.
pub fn bearer<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("header value"));
    request
}

impl TestMesh {
    /// Registers a customer.
    pub async fn customer(&self, email: &str) -> Account {
        let request =
            RegisterRequest { email: email.into(), password: "correct horse".into(), name: "Customer".into() };
        let response = self.users().register(request).await.expect("register").into_inner();
        Account { id: response.user.expect("user").id, token: response.access_token }
    }

    /// Signs the seeded admin in.
    pub async fn admin(&self) -> Account {
        let request = LoginRequest { email: ADMIN_EMAIL.into(), password: ADMIN_PASSWORD.into() };
        let response = self.users().login(request).await.expect("admin login").into_inner();
        Account { id: response.user.expect("user").id, token: response.access_token }
    }

    /// A `service` token, as the orders service gets one.
    pub async fn service_token(&self) -> String {
        let request = IssueServiceTokenRequest {
            client_id: SERVICE_CLIENT_ID.into(),
            client_secret: SERVICE_CLIENT_SECRET.into(),
        };
        self.users().issue_service_token(request).await.expect("service token").into_inner().access_token
    }

    /// Creates a product as the admin.
    pub async fn product(&self, admin: &Account, sku: &str, price: i64, stock: i32) -> Product {
        let request = CreateProductRequest {
            sku: sku.into(),
            name: format!("Product {sku}"),
            description: format!("The {sku}."),
            price: Some(Money { amount_minor: price, currency: "USD".into() }),
            category: "Test".into(),
            image_url: String::new(),
            stock,
        };
        self.products()
            .create_product(bearer(request, &admin.token))
            .await
            .expect("create product")
            .into_inner()
            .product
            .expect("product")
    }
}
