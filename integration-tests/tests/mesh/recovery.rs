//! Checkouts interrupted by a service going down end consistent: paid and
//! committed, or failed with nothing charged and the stock returned. Payments
//! or orders are stopped mid-checkout and started again on the same port and
//! database; a crash between steps is reproduced by writing the state the
//! saga persists before its next call, with the process gone.

use std::time::Duration;

use integration_tests::{Account, FLAKY_CARD, GOOD_CARD, SAGA_LEASE, TestMesh, bearer, card, eventually, mesh_tests};
use shop_orders::{
    domain::status::Step,
    testing::{self, PlantedLine},
};
use shop_proto::{
    cart::v1::GetCartRequest,
    common::v1::Money,
    orders::v1::{GetOrderRequest, ListOrdersRequest, Order, OrderStatus},
    payments::v1::{ChargeRequest, ListPaymentsRequest, Payment, PaymentStatus},
    products::v1::{Product, ReservationItem, ReserveStockRequest},
};
use tonic::Code;

/// How long recovery may take: the lease must run out, then a pass must come.
const RECOVERY: Duration = Duration::from_secs(SAGA_LEASE.as_secs() + 10);

async fn setup(mesh: &TestMesh, stock: i32, quantity: i32) -> (Account, Product) {
    mesh.shopper_with_cart("GPU", 50_000, stock, quantity).await
}

async fn only_order(mesh: &TestMesh, account: &Account) -> Order {
    let orders = mesh
        .orders()
        .await
        .list_orders(bearer(ListOrdersRequest::default(), &account.token))
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(orders.len(), 1, "one order");
    orders.into_iter().next().unwrap()
}

async fn order(mesh: &TestMesh, account: &Account, id: &str) -> Order {
    mesh.orders()
        .await
        .get_order(bearer(GetOrderRequest { order_id: id.into() }, &account.token))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap()
}

async fn payments_of(mesh: &TestMesh, order_id: &str) -> Vec<Payment> {
    let service = mesh.service_token().await;
    mesh.payments()
        .await
        .list_payments(bearer(ListPaymentsRequest { order_id: order_id.into() }, &service))
        .await
        .unwrap()
        .into_inner()
        .payments
}

async fn cart_items(mesh: &TestMesh, account: &Account) -> i32 {
    mesh.cart()
        .get_cart(bearer(GetCartRequest::default(), &account.token))
        .await
        .unwrap()
        .into_inner()
        .cart
        .unwrap()
        .item_count
}

async fn settles(mesh: &TestMesh, account: &Account, id: &str) -> Order {
    let settled =
        eventually(RECOVERY, || async { order(mesh, account, id).await.status() != OrderStatus::Pending }).await;
    assert!(settled, "recovery settled the order");
    order(mesh, account, id).await
}

/// Writes an order as the saga leaves it when its process dies before `step`,
/// with a lease that has run out.
async fn crashed_order(mesh: &TestMesh, account: &Account, product: &Product, quantity: i32, step: Step) -> String {
    let line = PlantedLine {
        product_id: &product.id,
        sku: &product.sku,
        name: &product.name,
        unit_price_minor: 50_000,
        quantity,
    };
    testing::plant_stopped_checkout(&mesh.orders_state().await, &account.id, step, line).await.unwrap()
}

/// What the saga had done at products before the crash: the stock held.
async fn reserve(mesh: &TestMesh, order_id: &str, product: &Product, quantity: i32, ttl_seconds: i32) {
    let service = mesh.service_token().await;
    let hold = ReserveStockRequest {
        order_id: order_id.into(),
        items: vec![ReservationItem { product_id: product.id.clone(), quantity }],
        ttl_seconds,
    };
    mesh.products().reserve_stock(bearer(hold, &service)).await.unwrap();
}

/// What the saga had done at products and payments before the crash.
async fn reserve_and_charge(
    mesh: &TestMesh,
    account: &Account,
    order_id: &str,
    product: &Product,
    quantity: i32,
    ttl_seconds: i32,
) {
    reserve(mesh, order_id, product, quantity, ttl_seconds).await;
    let service = mesh.service_token().await;
    let charge = ChargeRequest {
        order_id: order_id.into(),
        user_id: account.id.clone(),
        amount: Some(Money { amount_minor: 50_000 * i64::from(quantity), currency: "USD".into() }),
        card: Some(card(GOOD_CARD)),
        idempotency_key: format!("order-{order_id}"),
    };
    let paid = mesh.payments().await.charge(bearer(charge, &service)).await.unwrap().into_inner().payment.unwrap();
    assert_eq!(paid.status(), PaymentStatus::Succeeded);
}

/// What a charge attempt leaves at payments when it stops between claiming
/// the charge and recording the processor's answer (its process died, or its
/// database went away): a pending charge, claimed for one claim period
/// (`CHARGE_CLAIM_SECS`, the test mesh's [`integration_tests::CHARGE_CLAIM`]).
async fn claimed_charge(mesh: &TestMesh, account: &Account, order_id: &str, amount_minor: i64) {
    let state = mesh.payments_state().await;
    shop_payments::testing::plant_claimed_charge(&state, order_id, &account.id, amount_minor).await.unwrap();
}

mesh_tests! {
    async fn payments_down_mid_checkout_then_the_clients_retry_completes_it(mesh) {
        let (ada, gpu) = setup(&mesh, 5, 2).await;
        mesh.stop_payments().await;
        let failed = mesh.place_order(&ada, "retry-me", GOOD_CARD).await.unwrap_err();
        assert_eq!(failed.code(), Code::Unavailable, "{failed:?}");
        assert!(failed.message().contains("payments is unavailable; retry"), "{failed:?}");
        let stuck = only_order(&mesh, &ada).await;
        assert_eq!(stuck.status(), OrderStatus::Pending);
        assert_eq!(mesh.stock_of(&gpu).await.stock_reserved, 2, "the stock is held meanwhile");

        mesh.restart_payments().await;
        let done = mesh.place_order(&ada, "retry-me", GOOD_CARD).await.unwrap();
        assert_eq!((done.id.as_str(), done.status()), (stuck.id.as_str(), OrderStatus::Paid), "the same order, completed");
        assert_eq!(payments_of(&mesh, &done.id).await.len(), 1, "one charge");
        let stock = mesh.stock_of(&gpu).await;
        assert_eq!((stock.stock_on_hand, stock.stock_reserved), (3, 0));
        assert_eq!(cart_items(&mesh, &ada).await, 0);
    }

    async fn payments_down_mid_checkout_and_no_retry_ends_cancelled_with_nothing_charged(mesh) {
        let (ada, gpu) = setup(&mesh, 5, 2).await;
        mesh.stop_payments().await;
        mesh.place_order(&ada, "abandoned", GOOD_CARD).await.unwrap_err();
        let stuck = only_order(&mesh, &ada).await;
        mesh.restart_payments().await;

        let settled = settles(&mesh, &ada, &stuck.id).await;
        assert_eq!(settled.status(), OrderStatus::Cancelled);
        assert_eq!(settled.status_reason, "payment did not complete; nothing was charged");
        let payments = payments_of(&mesh, &stuck.id).await;
        let voided: Vec<_> = payments.iter().map(Payment::status).collect();
        assert_eq!(voided, [PaymentStatus::Voided], "nothing was charged, and nothing can be now");
        let stock = mesh.stock_of(&gpu).await;
        assert_eq!((stock.stock_on_hand, stock.stock_reserved), (5, 0), "the stock is back");
        assert_eq!(cart_items(&mesh, &ada).await, 2, "the cart is kept");
    }

    async fn orders_killed_after_a_processor_error_and_restarted_ends_consistent(mesh) {
        let (ada, gpu) = setup(&mesh, 5, 1).await;
        let failed = mesh.place_order(&ada, "flaky", FLAKY_CARD).await.unwrap_err();
        assert_eq!(failed.code(), Code::Unavailable, "the processor failed the first attempt");
        let stuck = only_order(&mesh, &ada).await;
        assert_eq!(payments_of(&mesh, &stuck.id).await[0].status(), PaymentStatus::Pending);

        // The orders process dies and comes back; nobody retries.
        mesh.restart_orders().await;
        let settled = settles(&mesh, &ada, &stuck.id).await;
        assert_eq!(settled.status(), OrderStatus::Cancelled);
        let payments = payments_of(&mesh, &stuck.id).await;
        assert!(payments.iter().all(|p| p.status() != PaymentStatus::Succeeded), "never charged: {payments:?}");
        assert_eq!(mesh.stock_of(&gpu).await.stock_reserved, 0, "the stock is back");

        let late = mesh.place_order(&ada, "flaky", FLAKY_CARD).await.unwrap();
        assert_eq!((late.id.clone(), late.status()), (stuck.id.clone(), OrderStatus::Cancelled), "a late retry gets the settled order, and no charge");
        assert!(payments_of(&mesh, &stuck.id).await.iter().all(|p| p.status() != PaymentStatus::Succeeded));
    }

    async fn orders_killed_between_charge_and_commit_ends_paid_and_committed(mesh) {
        let (ada, gpu) = setup(&mesh, 10, 1).await;
        mesh.stop_orders().await;
        // Died after Charge was sent (its answer never recorded), and after it was recorded.
        let mut crashed = Vec::new();
        for step in [Step::Charging, Step::Committing] {
            let id = crashed_order(&mesh, &ada, &gpu, 2, step).await;
            reserve_and_charge(&mesh, &ada, &id, &gpu, 2, 600).await;
            crashed.push(id);
        }
        assert_eq!(mesh.stock_of(&gpu).await.stock_reserved, 4);
        mesh.restart_orders().await;

        for id in &crashed {
            let settled = settles(&mesh, &ada, id).await;
            assert_eq!(settled.status(), OrderStatus::Paid, "{}", settled.status_reason);
            let payments = payments_of(&mesh, id).await;
            assert_eq!(payments.len(), 1, "charged once");
            assert_eq!(payments[0].status(), PaymentStatus::Succeeded);
        }
        let stock = mesh.stock_of(&gpu).await;
        assert_eq!((stock.stock_on_hand, stock.stock_reserved), (6, 0), "both sales committed");
        assert!(eventually(RECOVERY, || async { cart_items(&mesh, &ada).await == 0 }).await, "and the cart cleared");
    }

    async fn a_charge_attempt_that_never_recorded_its_answer_holds_the_order_only_for_its_claim(mesh) {
        let (ada, gpu) = setup(&mesh, 5, 1).await;
        mesh.stop_orders().await;
        let id = crashed_order(&mesh, &ada, &gpu, 1, Step::Charging).await;
        reserve(&mesh, &id, &gpu, 1, 600).await;
        claimed_charge(&mesh, &ada, &id, 50_000).await;
        mesh.restart_orders().await;

        // Recovery cannot void the charge while the attempt's claim holds it;
        // once it runs out, the order ends within a lease, not a fixed 30 s.
        let settled = settles(&mesh, &ada, &id).await;
        assert_eq!(settled.status(), OrderStatus::Cancelled);
        assert_eq!(settled.status_reason, "payment did not complete; nothing was charged");
        let payments: Vec<_> = payments_of(&mesh, &id).await.iter().map(Payment::status).collect();
        assert_eq!(payments, [PaymentStatus::Voided], "nothing was charged, and nothing can be now");
        let stock = mesh.stock_of(&gpu).await;
        assert_eq!((stock.stock_on_hand, stock.stock_reserved), (5, 0), "the stock is back");
    }

    async fn a_hold_that_expired_before_the_commit_is_refunded(mesh) {
        let (ada, gpu) = setup(&mesh, 10, 1).await;
        mesh.stop_orders().await;
        let id = crashed_order(&mesh, &ada, &gpu, 1, Step::Committing).await;
        reserve_and_charge(&mesh, &ada, &id, &gpu, 1, 1).await;
        assert!(eventually(Duration::from_secs(10), || async { mesh.stock_of(&gpu).await.stock_reserved == 0 }).await, "the hold expired");
        mesh.restart_orders().await;

        let settled = settles(&mesh, &ada, &id).await;
        assert_eq!(settled.status(), OrderStatus::Cancelled);
        assert!(settled.status_reason.contains("refunded"), "{}", settled.status_reason);
        assert_eq!(payments_of(&mesh, &id).await[0].status(), PaymentStatus::Refunded, "the money went back");
        assert_eq!(mesh.stock_of(&gpu).await.stock_on_hand, 10, "nothing was sold");
    }
}
