//! A checkout whose caller goes away (it disconnects, or its deadline
//! passes) while a service the saga calls is stalled, at each step of the
//! saga, reaches a final state within one lease period plus the recovery
//! interval after the stall ends: paid with one charge and the stock sold,
//! or cancelled with nothing charged and the stock back. The stall is a gate
//! in front of the called service that holds that one method's calls and
//! delivers them when it lets go, even to a caller that gave up.

use std::time::{Duration, Instant};

use integration_tests::{
    Account, GATED_CALL_TIMEOUT, GATED_SAGA_LEASE, GOOD_CARD, Gate, TestMesh, address, bearer, card, eventually,
    gated_mesh_tests,
};
use serde_json::json;
use shop_proto::{
    orders::v1::{CancelOrderRequest, ListOrdersRequest, Order, OrderStatus, PlaceOrderRequest},
    payments::v1::{ListPaymentsRequest, PaymentStatus},
    products::v1::Product,
};

/// How long the caller waits before it goes away.
const PATIENCE: Duration = Duration::from_millis(500);
/// How often the test mesh's recovery looks for stopped checkouts.
const RECOVERY_INTERVAL: Duration = Duration::from_millis(100);
/// Room for the polling and the work itself on a busy machine.
const SLACK: Duration = Duration::from_secs(3);

/// Where the saga is when its downstream stalls.
#[derive(Clone, Copy, Debug)]
enum Step {
    Reserving,
    Charging,
    Committing,
    ClearingCart,
    Cancelling,
}

const STEPS: [Step; 5] = [Step::Reserving, Step::Charging, Step::Committing, Step::ClearingCart, Step::Cancelling];

impl Step {
    /// The call the saga makes at this step, and the gate it goes through.
    fn stalled_call(self, mesh: &TestMesh) -> (&Gate, &'static str) {
        let gates = mesh.gates.as_ref().expect("a gated mesh");
        match self {
            Step::Reserving => (&gates.products, "/shop.products.v1.ProductService/ReserveStock"),
            Step::Charging => (&gates.payments, "/shop.payments.v1.PaymentService/Charge"),
            Step::Committing => (&gates.products, "/shop.products.v1.ProductService/CommitReservation"),
            Step::ClearingCart => (&gates.cart, "/shop.cart.v1.CartService/ClearCart"),
            Step::Cancelling => (&gates.payments, "/shop.payments.v1.PaymentService/Refund"),
        }
    }
}

/// How the caller goes away.
#[derive(Clone, Copy, Debug)]
enum Caller {
    /// A REST client that closes the connection when it stops waiting.
    Disconnects,
    /// A gRPC client whose deadline passes.
    DeadlinePasses,
}

/// How long the stalled service stays stalled after the caller went away.
#[derive(Clone, Copy, Debug)]
enum Stall {
    /// Shorter than the orders service's own call timeout: the saga's call
    /// gets its answer late, and the saga carries on.
    Brief,
    /// Longer: the saga's call fails, and recovery takes the order over.
    PastTheCallTimeout,
    /// Longer still: recovery has finished the order by the time the held
    /// call is delivered, which must change nothing.
    PastRecovery,
}

const QUANTITY: i32 = 2;
const STOCK: i32 = 5;
const PRICE: i64 = 30_000;

async fn place_or_cancel(
    mesh: &TestMesh,
    step: Step,
    caller: Caller,
    customer: &Account,
    key: &str,
    paid: Option<&str>,
) {
    match (caller, paid) {
        (Caller::Disconnects, None) => {
            let sent = mesh
                .http
                .raw()
                .post(mesh.http.url("/api/v1/orders"))
                .bearer_auth(&customer.token)
                .header("Idempotency-Key", key)
                .timeout(PATIENCE)
                .json(&json!({
                    "shipping_address": {"name": "Ada Lovelace", "line1": "1 Analytical Street", "city": "London", "postal_code": "NW1", "country": "GB"},
                    "card": {"number": GOOD_CARD, "exp_month": 12, "exp_year": 2035, "cvc": "123"}
                }))
                .send()
                .await;
            assert!(sent.as_ref().is_err_and(reqwest::Error::is_timeout), "{step:?}: the client gave up: {sent:?}");
        }
        (Caller::Disconnects, Some(order_id)) => {
            let sent = mesh
                .http
                .raw()
                .post(mesh.http.url(&format!("/api/v1/orders/{order_id}/cancel")))
                .bearer_auth(&customer.token)
                .timeout(PATIENCE)
                .json(&json!({"reason": "changed my mind"}))
                .send()
                .await;
            assert!(sent.as_ref().is_err_and(reqwest::Error::is_timeout), "{step:?}: the client gave up: {sent:?}");
        }
        (Caller::DeadlinePasses, None) => {
            let request = PlaceOrderRequest {
                idempotency_key: key.into(),
                shipping_address: Some(address()),
                card: Some(card(GOOD_CARD)),
            };
            let mut request = bearer(request, &customer.token);
            request.set_timeout(PATIENCE);
            let placed = mesh.orders().await.place_order(request).await;
            assert!(placed.is_err(), "{step:?}: the call outlived its deadline: {placed:?}");
        }
        (Caller::DeadlinePasses, Some(order_id)) => {
            let request = CancelOrderRequest { order_id: order_id.into(), reason: "changed my mind".into() };
            let mut request = bearer(request, &customer.token);
            request.set_timeout(PATIENCE);
            let cancelled = mesh.orders().await.cancel_order(request).await;
            assert!(cancelled.is_err(), "{step:?}: the call outlived its deadline: {cancelled:?}");
        }
    }
}

async fn orders_of(mesh: &TestMesh, customer: &Account) -> Vec<Order> {
    let request = bearer(ListOrdersRequest::default(), &customer.token);
    mesh.orders().await.list_orders(request).await.unwrap().into_inner().orders
}

/// One stalled step: returns the final order.
async fn abandon(mesh: &TestMesh, step: Step, caller: Caller, stall: Stall) -> Order {
    let name = format!("{step:?}-{caller:?}").to_lowercase();
    let admin = mesh.admin().await;
    let product = mesh.product(&admin, &name, PRICE, STOCK).await;
    let customer = mesh.customer(&format!("{name}@example.com")).await;
    mesh.fill_cart(&customer, &[(&product, QUANTITY)]).await;

    let paid = match step {
        Step::Cancelling => {
            let order = mesh.place_order(&customer, &name, GOOD_CARD).await.expect("an order to cancel");
            assert_eq!(order.status(), OrderStatus::Paid, "{name}");
            Some(order.id)
        }
        _ => None,
    };
    let (gate, method) = step.stalled_call(mesh);
    let seen = gate.arrivals(method);
    gate.hold(method);
    let started = Instant::now();
    // The caller gives up while the saga waits on the stalled call.
    tokio::join!(
        place_or_cancel(mesh, step, caller, &customer, &name, paid.as_deref()),
        gate.arrival_after(method, seen)
    );
    let stalled_for = match stall {
        Stall::Brief => Duration::from_millis(200),
        Stall::PastTheCallTimeout => GATED_CALL_TIMEOUT + Duration::from_secs(1),
        Stall::PastRecovery => GATED_CALL_TIMEOUT + GATED_SAGA_LEASE + Duration::from_secs(2),
    };
    tokio::time::sleep_until((started + PATIENCE + stalled_for).into()).await;
    gate.release();
    let cleared = Instant::now();

    let limit = GATED_SAGA_LEASE + RECOVERY_INTERVAL + SLACK;
    let finished = eventually(limit, || async {
        orders_of(mesh, &customer).await.iter().all(|o| o.status() != OrderStatus::Pending && !cancelling(o))
    })
    .await;
    let orders = orders_of(mesh, &customer).await;
    assert!(finished, "{name}: not final {:?} after the stall ended: {orders:?}", cleared.elapsed());
    assert_eq!(orders.len(), 1, "{name}: one order: {orders:?}");
    let order = orders.into_iter().next().unwrap();
    consistent(mesh, &name, &order, &product, &customer).await;
    order
}

/// A cancel in progress leaves the status alone until it is done.
fn cancelling(order: &Order) -> bool {
    order.status() == OrderStatus::Paid && order.status_reason.starts_with("cancelled")
}

/// The order's charge and stock agree with its status.
async fn consistent(mesh: &TestMesh, name: &str, order: &Order, product: &Product, customer: &Account) {
    let service = mesh.service_token().await;
    let payments = mesh
        .payments()
        .await
        .list_payments(bearer(ListPaymentsRequest { order_id: order.id.clone() }, &service))
        .await
        .unwrap()
        .into_inner()
        .payments;
    assert!(payments.len() <= 1, "{name}: at most one charge: {payments:?}");
    let charged: i64 = payments
        .iter()
        .filter(|p| p.status() == PaymentStatus::Succeeded)
        .map(|p| p.amount.as_ref().map_or(0, |m| m.amount_minor))
        .sum();
    let total = order.total.as_ref().map_or(0, |m| m.amount_minor);
    let sold = if order.status() == OrderStatus::Paid {
        assert_eq!(charged, total, "{name}: a paid order is charged its total once: {payments:?}");
        QUANTITY
    } else {
        assert_eq!(charged, 0, "{name}: a {:?} order has no net charge: {payments:?}", order.status());
        0
    };
    // Stock held by a call delivered late is given back, not left to expire.
    let settled = eventually(SLACK, || async {
        let stock = mesh.stock_of(product).await;
        (stock.stock_on_hand, stock.stock_reserved) == (STOCK - sold, 0)
    })
    .await;
    let stock = mesh.stock_of(product).await;
    assert!(
        settled,
        "{name}: {:?} order: on hand {} reserved {}",
        order.status(),
        stock.stock_on_hand,
        stock.stock_reserved
    );
    if order.status() == OrderStatus::Paid {
        let cleared = eventually(SLACK, || async { mesh.cart_item_count(customer).await == 0 }).await;
        assert!(cleared, "{name}: a paid order's cart is cleared");
    }
}

gated_mesh_tests! {
    async fn a_client_that_disconnects_during_any_step_leaves_a_finished_order(mesh) {
        for step in STEPS {
            let order = abandon(&mesh, step, Caller::Disconnects, Stall::Brief).await;
            let expected = if matches!(step, Step::Cancelling) { OrderStatus::Cancelled } else { OrderStatus::Paid };
            assert_eq!(order.status(), expected, "{step:?}: the saga carried on without its caller: {order:?}");
        }
    }

    async fn a_caller_deadline_and_a_stall_past_the_call_timeout_at_any_step_end_consistent(mesh) {
        for step in STEPS {
            let order = abandon(&mesh, step, Caller::DeadlinePasses, Stall::PastTheCallTimeout).await;
            if matches!(step, Step::Cancelling) {
                assert_eq!(order.status(), OrderStatus::Cancelled, "{step:?}: {order:?}");
            }
        }
    }

    async fn a_call_delivered_after_recovery_finished_the_order_changes_nothing(mesh) {
        for step in STEPS {
            abandon(&mesh, step, Caller::DeadlinePasses, Stall::PastRecovery).await;
        }
    }
}
