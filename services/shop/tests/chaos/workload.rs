//! A storefront under load while the faults land: customers filling carts,
//! changing them, checking out (retrying with the same idempotency key when
//! an answer is lost) and cancelling some of what they bought; an admin
//! adjusting stock. Everything sent is recorded, for the invariants.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use rand::{Rng, seq::IndexedRandom};
use serde_json::{Value, json};

use crate::mesh::Mesh;

/// The products and their stock at the start.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// (id, units on hand at the start).
    pub products: Vec<(String, i64)>,
}

/// A stock adjustment the admin sent.
#[derive(Clone, Debug)]
pub struct Adjustment {
    /// The product.
    pub product_id: String,
    /// Its unique reason, found again in the ledger.
    pub reason: String,
    /// Units.
    pub delta: i64,
    /// The edge's answer: 200 landed, 4xx did not, none or 5xx may have.
    pub answer: Option<u16>,
}

/// What the workload did.
#[derive(Debug, Default)]
pub struct Record {
    /// Every (customer id, idempotency key) a checkout was sent with.
    pub checkouts: Vec<(String, String)>,
    /// Checkouts answered with an order.
    pub answered: usize,
    /// Cancels answered 200.
    pub cancelled: usize,
    /// Cart edits answered 200.
    pub cart_edits: usize,
    /// Requests the edge did not answer, or answered 5xx.
    pub failures: usize,
    /// Every stock adjustment sent.
    pub adjustments: Vec<Adjustment>,
}

/// The running workload.
pub struct Workload {
    stop: Arc<AtomicBool>,
    record: Arc<Mutex<Record>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(4)).build().unwrap()
}

/// `POST url` with `body`; the status and body, or None if nothing came back.
pub async fn post(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: Value,
    key: Option<&str>,
) -> Option<(u16, Value)> {
    let mut request = client.post(url).bearer_auth(token).json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.unwrap_or(Value::Null)))
}

pub async fn session(client: &reqwest::Client, mesh_edge: &str, path: &str, body: Value) -> (String, String) {
    let answer: Value =
        client.post(format!("{mesh_edge}{path}")).json(&body).send().await.unwrap().json().await.unwrap();
    let token = answer["access_token"].as_str().unwrap_or_else(|| panic!("a session: {answer}")).to_owned();
    (answer["user"]["id"].as_str().unwrap().to_owned(), token)
}

impl Catalog {
    /// The id of a product picked at random.
    pub fn any_product(&self) -> String {
        self.products.choose(&mut rand::rng()).unwrap().0.clone()
    }

    /// Creates the products: most with plenty of stock, one nearly sold out
    /// (so that some checkouts are rejected).
    pub async fn create(mesh: &Mesh, admin: &str) -> Self {
        let client = client();
        let mut products = Vec::new();
        for (n, stock) in [5000, 5000, 5000, 5000, 3].into_iter().enumerate() {
            let body = json!({"sku": format!("CHAOS-{n}"), "name": format!("Chaos part {n}"), "price": {"amount_minor": 1000 + 250 * n as i64, "currency": "USD"}, "category": "Chaos", "stock": stock});
            let (status, product) =
                post(&client, format!("{}/api/v1/products", mesh.edge), admin, body, None).await.unwrap();
            assert_eq!(status, 201, "{product}");
            products.push((product["id"].as_str().unwrap().to_owned(), i64::from(stock)));
        }
        Self { products }
    }
}

/// The admin's token.
pub async fn admin_token(mesh: &Mesh) -> String {
    session(&client(), &mesh.edge, "/api/v1/users/login", Mesh::admin_credentials()).await.1
}

impl Workload {
    /// Starts `customers` customers and the admin.
    pub async fn start(mesh: &Mesh, catalog: &Catalog, admin: String, customers: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let record = Arc::new(Mutex::new(Record::default()));
        let mut tasks = Vec::new();
        for n in 0..customers {
            let body = json!({"email": format!("chaos{n}@example.com"), "password": "correct horse", "name": format!("Chaos {n}")});
            let (id, token) = session(&client(), &mesh.edge, "/api/v1/users/register", body).await;
            let shopper =
                Shopper { id, token, edge: mesh.edge.clone(), catalog: catalog.clone(), record: Arc::clone(&record) };
            tasks.push(tokio::spawn(shopper.run(Arc::clone(&stop))));
        }
        let stocker =
            Stocker { token: admin, edge: mesh.edge.clone(), catalog: catalog.clone(), record: Arc::clone(&record) };
        tasks.push(tokio::spawn(stocker.run(Arc::clone(&stop))));
        Self { stop, record, tasks }
    }

    /// Stops it and returns what it did.
    pub async fn stop(self) -> Record {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.unwrap();
        }
        Arc::try_unwrap(self.record).unwrap().into_inner().unwrap()
    }
}

struct Shopper {
    id: String,
    token: String,
    edge: String,
    catalog: Catalog,
    record: Arc<Mutex<Record>>,
}

impl Shopper {
    async fn run(self, stop: Arc<AtomicBool>) {
        let client = client();
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            let product = self.catalog.any_product();
            let quantity = rand::rng().random_range(1..=2);
            let add = json!({"product_id": product, "quantity": quantity});
            let added = post(&client, format!("{}/api/v1/cart/items", self.edge), &self.token, add, None).await;
            self.count(added.as_ref());
            if rand::rng().random_bool(0.3) {
                let edit = client
                    .patch(format!("{}/api/v1/cart/items/{product}", self.edge))
                    .bearer_auth(&self.token)
                    .json(&json!({"quantity": 1}))
                    .send()
                    .await
                    .ok()
                    .map(|r| (r.status().as_u16(), Value::Null));
                if edit.as_ref().is_some_and(|(s, _)| *s == 200) {
                    self.record.lock().unwrap().cart_edits += 1;
                }
                self.count(edit.as_ref());
            }
            let key = format!("{}-{n}", self.id);
            self.record.lock().unwrap().checkouts.push((self.id.clone(), key.clone()));
            let order = self.check_out(&client, &key).await;
            if let Some(order) = order.filter(|o| o["status"] == "PAID")
                && rand::rng().random_bool(0.3)
            {
                let url = format!("{}/api/v1/orders/{}/cancel", self.edge, order["id"].as_str().unwrap());
                let cancelled = post(&client, url, &self.token, json!({"reason": "chaos"}), None).await;
                if cancelled.as_ref().is_some_and(|(s, _)| *s == 200) {
                    self.record.lock().unwrap().cancelled += 1;
                }
                self.count(cancelled.as_ref());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Places the cart with `key`, sending it again (same key) when the
    /// answer is lost, a few times.
    async fn check_out(&self, client: &reqwest::Client, key: &str) -> Option<Value> {
        let body = json!({
            "shipping_address": {"name": "Chaos", "line1": "1 Fault Street", "city": "Berlin", "postal_code": "10115", "country": "DE"},
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"},
        });
        for _ in 0..3 {
            let answer =
                post(client, format!("{}/api/v1/orders", self.edge), &self.token, body.clone(), Some(key)).await;
            self.count(answer.as_ref());
            match answer {
                Some((200 | 201, order)) => {
                    self.record.lock().unwrap().answered += 1;
                    return Some(order);
                }
                Some((status, _)) if status < 500 => return None,
                _ => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        }
        None
    }

    fn count(&self, answer: Option<&(u16, Value)>) {
        if answer.is_none_or(|(status, _)| *status >= 500) {
            self.record.lock().unwrap().failures += 1;
        }
    }
}

struct Stocker {
    token: String,
    edge: String,
    catalog: Catalog,
    record: Arc<Mutex<Record>>,
}

impl Stocker {
    async fn run(self, stop: Arc<AtomicBool>) {
        let client = client();
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            let product = self.catalog.any_product();
            let delta = *[-2_i64, -1, 1, 2, 3].choose(&mut rand::rng()).unwrap();
            let reason = format!("chaos adjustment {n}");
            let url = format!("{}/api/v1/products/{product}/stock", self.edge);
            let answer = post(&client, url, &self.token, json!({"delta": delta, "reason": reason}), None).await;
            let adjustment =
                Adjustment { product_id: product, reason, delta, answer: answer.map(|(status, _)| status) };
            self.record.lock().unwrap().adjustments.push(adjustment);
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
}
