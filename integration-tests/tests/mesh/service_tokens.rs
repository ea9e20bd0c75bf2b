//! A service's own token survives a key rotation: when the users service
//! comes back with a new key pair and the services it calls accept only the
//! new key, the first call with the cached token is refused with
//! UNAUTHENTICATED, the token is dropped, and the call is made once more,
//! with a fresh token, and succeeds.

use integration_tests::{
    Backend, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET, TestDatabases, payments_config, start_payments, start_users,
};
use shop_proto::payments::v1::{ListPaymentsRequest, payment_service_client::PaymentServiceClient};
use shop_runtime::{
    Secret,
    config::AuthConfig,
    grpc::{MeshChannel, ServiceTokens},
    metrics::sample,
};

async fn a_rotated_key_costs_one_refused_call_then_a_fresh_token(backend: Backend) {
    let mut databases = TestDatabases::new(backend);
    let users_db = databases.create("users").await;
    let (old, new) = (shop_users::keys::generate().unwrap(), shop_users::keys::generate().unwrap());
    let users = start_users(&users_db, &old, "127.0.0.1:0".parse().unwrap()).await;
    let tokens = ServiceTokens::new(users.channel(), SERVICE_CLIENT_ID, Secret::new(SERVICE_CLIENT_SECRET));
    let cached = tokens.authorization().await.unwrap();

    // The users service restarts with a new key pair; payments trusts only the new key.
    users.stop().await;
    let users = start_users(&users_db, &new, users.addr).await;
    let trusts_new = AuthConfig { jwt_public_key: Some(new.public_pem.clone()), jwt_public_key_file: None };
    let config = payments_config(&databases.create("payments").await, &trusts_new);
    let any = "127.0.0.1:0".parse().unwrap();
    let payments = start_payments(&config, any, any).await;

    let mut client = PaymentServiceClient::new(MeshChannel::with_service_tokens(payments.channel(), tokens.clone()));
    let listed = client.list_payments(ListPaymentsRequest { order_id: "any-order".into() }).await;
    assert!(listed.is_ok(), "the call went through with a fresh token: {listed:?}");
    assert_ne!(tokens.authorization().await.unwrap(), cached, "the refused token was replaced");

    let admin = reqwest::get(format!("http://{}/metrics", payments.admin)).await.unwrap().text().await.unwrap();
    let calls = |code: &str| sample(&admin, "rpc_server_requests_total", &[("method", "ListPayments"), ("code", code)]);
    assert_eq!((calls("UNAUTHENTICATED"), calls("OK")), (1.0, 1.0), "one refusal, one retry: {admin}");
    drop(users);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    a_rotated_key_costs_one_refused_call_then_a_fresh_token(Backend::Sqlite).await;
}

#[cfg(postgres_tests)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    a_rotated_key_costs_one_refused_call_then_a_fresh_token(Backend::Postgres).await;
}
