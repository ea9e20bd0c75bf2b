//! Customers: each virtual user signs up as a customer of its own (once per
//! process: a later attack's user with the same index is the same customer),
//! then edits its cart or buys.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

use goose::prelude::*;
use rand::seq::IndexedRandom as _;
use serde_json::json;

use crate::{
    http::{Call, json_of},
    setup::{current, post_json, target},
};

/// Access tokens of the customers signed up so far, by virtual user.
static CUSTOMERS: Mutex<Option<HashMap<usize, String>>> = Mutex::new(None);

/// The virtual user's customer.
#[derive(Clone)]
struct Customer {
    token: String,
}

/// Add, change, remove.
pub fn cart() -> Scenario {
    scenario!("Cart")
        .register_transaction(transaction!(sign_up).set_on_start().set_name("sign up"))
        .register_transaction(transaction!(edit_cart).set_name("cart edit"))
}

/// Add, then buy: the whole checkout saga.
pub fn checkout() -> Scenario {
    scenario!("Checkout")
        .register_transaction(transaction!(sign_up).set_on_start().set_name("sign up"))
        .register_transaction(transaction!(buy).set_name("checkout"))
}

/// Signs up the customers of virtual users `0..count` ahead of a run, so
/// that what a run measures does not include hashing their passwords.
pub async fn sign_up_ahead(host: &str, count: usize) -> anyhow::Result<()> {
    let run_id = current()?.run_id.clone();
    // Tokens of another mesh's customers are worth nothing here.
    CUSTOMERS.lock().unwrap_or_else(PoisonError::into_inner).take();
    let http = reqwest::Client::new();
    let mut signing_up = tokio::task::JoinSet::new();
    for index in 0..count {
        let (http, url) = (http.clone(), format!("{host}/api/v1/users/register"));
        let account = json!({ "email": email(&run_id, index), "password": PASSWORD, "name": "Load Test" });
        signing_up.spawn(async move {
            let answer = post_json(&http, &url, None, &account).await?;
            let token = answer["access_token"].as_str().map(str::to_owned);
            anyhow::Ok((index, token.ok_or_else(|| anyhow::anyhow!("no access_token in {answer}"))?))
        });
    }
    while let Some(signed_up) = signing_up.join_next().await {
        let (index, token) = signed_up??;
        CUSTOMERS.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert_default().insert(index, token);
    }
    Ok(())
}

/// The customers signed up so far, by virtual user, to hand back to
/// [`restore_customers`] after another mesh's were signed up.
pub fn customers() -> HashMap<usize, String> {
    CUSTOMERS.lock().unwrap_or_else(PoisonError::into_inner).clone().unwrap_or_default()
}

/// Makes `customers`, from an earlier [`customers`], the ones virtual users sign in as.
pub fn restore_customers(customers: HashMap<usize, String>) {
    *CUSTOMERS.lock().unwrap_or_else(PoisonError::into_inner) = Some(customers);
}

const PASSWORD: &str = "load-test-password";

fn email(run_id: &str, index: usize) -> String {
    format!("loadgen-{run_id}-{index}@bench.test")
}

async fn sign_up(user: &mut GooseUser) -> TransactionResult {
    let index = user.weighted_users_index;
    let known = CUSTOMERS.lock().unwrap_or_else(PoisonError::into_inner).as_ref().and_then(|c| c.get(&index).cloned());
    let token = match known {
        Some(token) => token,
        None => {
            let account =
                json!({ "email": email(&target()?.run_id, index), "password": PASSWORD, "name": "Load Test" });
            let sent = Call::json(GooseMethod::Post, "/api/v1/users/register", "/api/v1/users/register", account)
                .send(user)
                .await?;
            let mut request = sent.request.clone();
            let body = json_of(sent).await;
            let Some(token) = body["access_token"].as_str().map(str::to_owned) else {
                return user.set_failure("sign-up failed", &mut request, None, Some(&body.to_string()));
            };
            let mut customers = CUSTOMERS.lock().unwrap_or_else(PoisonError::into_inner);
            customers.get_or_insert_default().insert(index, token.clone());
            token
        }
    };
    user.set_session_data(Customer { token });
    Ok(())
}

fn customer(user: &GooseUser) -> Result<(String, String), Box<TransactionError>> {
    let token = user
        .get_session_data::<Customer>()
        .map(|c| c.token.clone())
        .ok_or_else(|| Box::new(TransactionError::Custom("not signed up".into())))?;
    let product = target()?.buyable.choose(&mut rand::rng()).cloned().unwrap_or_default();
    Ok((token, product))
}

async fn add_to_cart(user: &mut GooseUser, token: &str, product: &str) -> TransactionResult {
    let line = json!({ "product_id": product, "quantity": 1 });
    Call::json(GooseMethod::Post, "/api/v1/cart/items", "/api/v1/cart/items", line).by(token).send(user).await?;
    Ok(())
}

async fn edit_cart(user: &mut GooseUser) -> TransactionResult {
    let (token, product) = customer(user)?;
    add_to_cart(user, &token, &product).await?;
    let path = format!("/api/v1/cart/items/{product}");
    let change = json!({ "quantity": 3 });
    Call::json(GooseMethod::Patch, &path, "/api/v1/cart/items/{id}", change).by(&token).send(user).await?;
    let remove = Call { method: GooseMethod::Delete, ..Call::get(&path, "/api/v1/cart/items/{id}") };
    remove.by(&token).send(user).await?;
    Ok(())
}

async fn buy(user: &mut GooseUser) -> TransactionResult {
    let (token, product) = customer(user)?;
    add_to_cart(user, &token, &product).await?;
    let order = json!({
        "shipping_address": {
            "name": "Load Test", "line1": "1 Bench St", "city": "London", "postal_code": "NW1 6XE", "country": "GB",
        },
        "card": { "number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2040, "cvc": "123" },
    });
    let call = Call {
        idempotency_key: Some(uuid::Uuid::now_v7().to_string()),
        ..Call::json(GooseMethod::Post, "/api/v1/orders", "/api/v1/orders (checkout)", order)
    };
    let sent = call.by(&token).send(user).await?;
    let mut request = sent.request.clone();
    let body = json_of(sent).await;
    if body["status"] != "PAID" {
        return user.set_failure("order not PAID", &mut request, None, Some(&body.to_string()));
    }
    Ok(())
}
