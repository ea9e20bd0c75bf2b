//! One `shop` launcher with its children, exporting spans to a collector
//! and writing JSON logs (DEBUG and up) into a file.

use std::{
    path::PathBuf,
    process::Child,
    time::{Duration, Instant},
};

use nix::{sys::signal, unistd::Pid};
use serde_json::{Value, json};

pub struct Mesh {
    child: Option<Child>,
    edge: String,
    pub http: reqwest::Client,
    pub log_file: PathBuf,
    data: tempfile::TempDir,
}

/// What a call through the edge answered.
pub struct Answer {
    pub status: u16,
    pub trace_id: Option<String>,
    pub body: Value,
}

impl Mesh {
    /// Starts `shop` exporting to `otlp_endpoint`, and waits until it is ready.
    pub async fn start(otlp_endpoint: &str) -> Self {
        let data = tempfile::tempdir().unwrap();
        let log_file = data.path().join("mesh.log");
        let log = std::fs::File::create(&log_file).unwrap();
        let (mut command, crate::launch::Ports { edge, .. }) = crate::launch::shop(data.path());
        let child = command
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_endpoint)
            .env("OTEL_BSP_SCHEDULE_DELAY", "100")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "debug")
            // Statement spans too, so the checks on them (nesting, no card data) cover them.
            .env("TRACE_FILTER", "info,shop_runtime::db=debug")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("shop starts");
        let mesh = Self {
            child: Some(child),
            edge,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            log_file,
            data,
        };
        let give_up = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = mesh.http.get(mesh.url("/readyz")).send().await.is_ok_and(|r| r.status() == 200);
            if ready {
                return mesh;
            }
            assert!(Instant::now() < give_up, "the mesh did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.edge)
    }

    /// Sends `request`, with `traceparent` if given.
    pub async fn call(&self, request: reqwest::RequestBuilder, traceparent: Option<&str>) -> Answer {
        let request = match traceparent {
            Some(value) => request.header("traceparent", value),
            None => request,
        };
        let response = request.send().await.expect("the edge answers");
        let status = response.status().as_u16();
        let trace_id = response.headers().get("x-trace-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.json().await.unwrap_or(Value::Null);
        Answer { status, trace_id, body }
    }

    /// Registers and logs in a customer; returns the access token.
    pub async fn customer(&self, email: &str, password: &str) -> String {
        let account = json!({"email": email, "password": password, "name": "Ada"});
        let registered = self.call(self.http.post(self.url("/api/v1/users/register")).json(&account), None).await;
        assert_eq!(registered.status, 201, "{}", registered.body);
        let credentials = json!({"email": email, "password": password});
        let login = self.call(self.http.post(self.url("/api/v1/users/login")).json(&credentials), None).await;
        login.body["access_token"].as_str().expect("an access token").to_owned()
    }

    /// Puts one unit of the first product in stock into the caller's cart.
    pub async fn fill_cart(&self, token: &str) {
        let products =
            self.call(self.http.get(self.url("/api/v1/products?in_stock_only=true&page_size=1")), None).await;
        let product_id = products.body["items"][0]["id"].as_str().expect("a product in stock").to_owned();
        let item = json!({"product_id": product_id, "quantity": 1});
        let added =
            self.call(self.http.post(self.url("/api/v1/cart/items")).bearer_auth(token).json(&item), None).await;
        assert_eq!(added.status, 200, "{}", added.body);
    }

    /// Stops the launcher with SIGTERM (children drain and flush their
    /// spans) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal::kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), signal::Signal::SIGTERM).unwrap();
            let status = child.wait().unwrap();
            assert!(status.success(), "the launcher stopped cleanly: {status}");
        }
    }

    /// The admin password the launcher generated.
    /// Where the launcher's notifications service writes its mails.
    pub fn mail_dir(&self) -> PathBuf {
        self.data.path().join("mail")
    }

    pub fn admin_password(&self) -> String {
        std::fs::read_to_string(self.data.path().join("admin-password.txt")).unwrap().trim().to_owned()
    }

    /// Every line the mesh logged.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap()
    }
}

impl Drop for Mesh {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The test card that always succeeds.
pub const CARD: &str = "4242424242424242";

/// A checkout body for REST.
pub fn rest_checkout() -> Value {
    json!({
        "shipping_address": {"name": "Ada Lovelace", "line1": "1 Analytical Street", "city": "London", "postal_code": "NW1", "country": "GB"},
        "card": {"number": CARD, "exp_month": 12, "exp_year": 2035, "cvc": "123"}
    })
}

/// A checkout request for GraphQL, as a named operation.
pub fn graphql_checkout(key: &str) -> Value {
    json!({
        "operationName": "Checkout",
        "query": "mutation Checkout($input: CheckoutInput!) { checkout(input: $input) { id status lines { product { name } } } }",
        "variables": {"input": {
            "idempotencyKey": key,
            "shippingAddress": {"name": "Ada Lovelace", "line1": "1 Analytical Street", "city": "London", "postalCode": "NW1", "country": "GB"},
            "card": {"number": CARD, "expMonth": 12, "expYear": 2035, "cvc": "123"}
        }}
    })
}
