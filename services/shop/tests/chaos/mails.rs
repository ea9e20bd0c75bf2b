//! The notifications service SIGKILLed in the middle of a burst of orders,
//! then restarted: every event's mail exists exactly once.

use std::{collections::BTreeMap, time::Duration};

use integration_tests::{Backend, Mail, read_mails, wait_for_mails};
use serde_json::json;

use crate::{
    ONE_AT_A_TIME,
    mesh::Mesh,
    workload::{admin_token, client, post, session},
};

const CUSTOMERS: usize = 6;
const ORDERS_EACH: usize = 3;

/// One customer placing `ORDERS_EACH` orders, one after the other; returns
/// (user id, each order's id and status).
async fn customer(edge: String, product: String, n: usize) -> (String, Vec<(String, String)>) {
    let client = client();
    let body =
        json!({"email": format!("burst{n}@example.com"), "password": "correct horse", "name": format!("Burst {n}")});
    let (user_id, token) = session(&client, &edge, "/api/v1/users/register", body).await;
    let mut orders = Vec::new();
    for k in 0..ORDERS_EACH {
        let add = json!({"product_id": product, "quantity": 1});
        let (status, _) = post(&client, format!("{edge}/api/v1/cart/items"), &token, add, None).await.unwrap();
        assert_eq!(status, 200, "add to cart");
        let body = json!({
            "shipping_address": {"name": "Burst", "line1": "1 Kill Street", "city": "Berlin", "postal_code": "10115", "country": "DE"},
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"},
        });
        let key = format!("burst-{n}-{k}");
        let (status, order) = post(&client, format!("{edge}/api/v1/orders"), &token, body, Some(&key)).await.unwrap();
        assert_eq!(status, 201, "{order}");
        orders.push((order["id"].as_str().unwrap().to_owned(), order["status"].as_str().unwrap().to_owned()));
    }
    (user_id, orders)
}

async fn sigkill_in_a_burst_loses_and_repeats_no_mail(backend: Backend) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut mesh = Mesh::start(backend).await;
    let admin = admin_token(&mesh).await;
    let product = json!({"sku": "BURST", "name": "Burst part", "price": {"amount_minor": 1500, "currency": "USD"}, "category": "Burst", "stock": 10_000});
    let (status, product) =
        post(&client(), format!("{}/api/v1/products", mesh.edge), &admin, product, None).await.unwrap();
    assert_eq!(status, 201, "{product}");
    let product = product["id"].as_str().unwrap().to_owned();

    let burst: Vec<_> = (0..CUSTOMERS).map(|n| tokio::spawn(customer(mesh.edge.clone(), product.clone(), n))).collect();
    // Into the middle of it: some events are handled, some mails sent.
    wait_for_mails(&mesh.mail_dir(), Duration::from_secs(20), |mails| mails.len() >= CUSTOMERS).await;
    let notifications = mesh.components.get_mut("notifications").unwrap();
    notifications.kill();
    let at_kill = read_mails(&mesh.mail_dir()).len();
    let mut placed = Vec::new();
    for customer in burst {
        placed.push(customer.await.unwrap());
    }
    mesh.components.get_mut("notifications").unwrap().start().await;

    // A welcome per customer; a confirmation and a receipt per order.
    let expected = CUSTOMERS * (1 + 2 * ORDERS_EACH);
    let mails = wait_for_mails(&mesh.mail_dir(), Duration::from_secs(60), |m| m.len() >= expected).await;
    // Anything sent twice would show up as one more file by now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails = if mails.len() == expected { read_mails(&mesh.mail_dir()) } else { mails };
    let mut by_subject: BTreeMap<(String, String), usize> = BTreeMap::new();
    for mail in &mails {
        *by_subject.entry((mail.to.clone(), mail.subject.clone())).or_default() += 1;
    }
    for (n, (_user, orders)) in placed.iter().enumerate() {
        let to = format!("burst{n}@example.com");
        let mut wanted = vec![format!("Welcome to Shop Mesh, Burst {n}")];
        for (order, status) in orders {
            assert_eq!(status, "PAID", "{order}");
            wanted.push(format!("We have your order {order}"));
            wanted.push(format!("Receipt for order {order}"));
        }
        for subject in wanted {
            let sent = by_subject.get(&(to.clone(), subject.clone())).copied().unwrap_or(0);
            assert_eq!(sent, 1, "{to}: {subject:?} sent {sent} times");
        }
    }
    assert_eq!(mails.len(), expected, "nothing else: {:#?}", subjects(&mails));
    println!(
        "notifications SIGKILLed with {at_kill} of {expected} mails written, restarted: all {expected} exist, each once ({backend:?})"
    );
}

fn subjects(mails: &[Mail]) -> Vec<(&str, &str)> {
    mails.iter().map(|m| (m.to.as_str(), m.subject.as_str())).collect::<Vec<_>>()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_sqlite() {
    sigkill_in_a_burst_loses_and_repeats_no_mail(Backend::Sqlite).await;
}

#[cfg(postgres_tests)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_postgres() {
    sigkill_in_a_burst_loses_and_repeats_no_mail(Backend::Postgres).await;
}
