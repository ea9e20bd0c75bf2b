//! Deadlines across hops: the edge's request deadline travels as
//! `grpc-timeout`, and a downstream that cannot finish in time gives up the
//! work and answers DEADLINE_EXCEEDED, which the edge returns as a 504. A
//! checkout is the exception by design: its caller's deadline ends the wait,
//! not the saga, which finishes on its own.

use std::time::{Duration, Instant};

use integration_tests::{GOOD_CARD, eventually, mesh_tests};
use serde_json::json;
use shop_edge::config::HttpLimits;
use shop_proto::orders::v1::OrderStatus;

const DEADLINE: Duration = Duration::from_millis(1500);

mesh_tests! {
    async fn a_stuck_downstream_is_abandoned_at_the_deadline(mesh) {
        let edge = mesh.edge_with(HttpLimits { request_timeout_ms: DEADLINE.as_millis() as u64, ..HttpLimits::default() }).await;
        let admin = mesh.admin().await;
        let gpu = mesh.product(&admin, "GPU-1", 59_900, 5).await;

        // Stock changes now wait on a lock that outlives the request (on
        // SQLite, for the 5 s busy timeout; on PostgreSQL, until released).
        let lock = mesh.lock_products_for_writes().await;
        let started = Instant::now();
        let response = edge
            .raw()
            .post(edge.url(&format!("/api/v1/products/{}/stock", gpu.id)))
            .bearer_auth(&admin.token)
            .json(&json!({"delta": 3, "reason": "supplier delivery"}))
            .send()
            .await
            .unwrap();
        let elapsed = started.elapsed();
        let status = response.status().as_u16();
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!((status, problem["code"].as_str()), (504, Some("DEADLINE_EXCEEDED")), "{problem}");
        assert!(elapsed >= DEADLINE - Duration::from_millis(50), "answered before the deadline: {elapsed:?}");
        assert!(elapsed < DEADLINE + Duration::from_millis(1000), "answered {elapsed:?} after a {DEADLINE:?} deadline");

        lock.release().await;
        // The abandoned adjustment never lands, even once the lock is gone.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(mesh.stock_of(&gpu).await.stock_on_hand, 5, "the abandoned adjustment changed nothing");
        // Products stopped the AdjustStock call at the deadline and never
        // finished it: a passed deadline is DEADLINE_EXCEEDED, whichever side
        // saw it pass first.
        let metrics = mesh.products_metrics().await;
        let adjust = |code: &str| {
            shop_runtime::metrics::sample(&metrics, "rpc_server_requests_total", &[("method", "AdjustStock"), ("code", code)])
        };
        assert_eq!(adjust("DEADLINE_EXCEEDED"), 1.0, "{metrics}");
        assert_eq!(adjust("CANCELLED") + adjust("OK"), 0.0, "{metrics}");

        // The services are healthy afterwards: the same change now goes through.
        let again = edge.post(&format!("/api/v1/products/{}/stock", gpu.id), json!({"delta": 3, "reason": "supplier delivery"}), Some(&admin.token)).await;
        again.expect_status(200);
        assert_eq!(mesh.stock_of(&gpu).await.stock_on_hand, 8);
    }

    async fn a_checkout_outlives_its_callers_deadline_and_ends(mesh) {
        let edge = mesh.edge_with(HttpLimits { request_timeout_ms: DEADLINE.as_millis() as u64, ..HttpLimits::default() }).await;
        let (ada, gpu) = mesh.shopper_with_cart("GPU-1", 59_900, 5, 2).await;
        let lock = mesh.lock_products_for_writes().await;
        let body = json!({
            "shipping_address": {"name": "Ada Lovelace", "line1": "1 Analytical Street", "city": "London", "postal_code": "NW1", "country": "GB"},
            "card": {"number": GOOD_CARD, "exp_month": 12, "exp_year": 2035, "cvc": "123"}
        });
        let place = || edge.raw().post(edge.url("/api/v1/orders")).bearer_auth(&ada.token).header("Idempotency-Key", "stuck-1").json(&body).send();
        let response = place().await.unwrap();
        assert_eq!(response.status().as_u16(), 504, "the caller's deadline passed");
        lock.release().await;

        // The saga went on without its caller: paid once the lock was gone,
        // or (if its own call timed out first) cancelled with nothing held.
        let settled = eventually(Duration::from_secs(20), || async {
            let order = mesh.place_order(&ada, "stuck-1", GOOD_CARD).await;
            order.is_ok_and(|o| o.status() != OrderStatus::Pending)
        })
        .await;
        assert!(settled, "the order reached a final state");
        let order = mesh.place_order(&ada, "stuck-1", GOOD_CARD).await.unwrap();
        let stock = mesh.stock_of(&gpu).await;
        let sold = if order.status() == OrderStatus::Paid { 2 } else { 0 };
        assert_eq!((stock.stock_on_hand, stock.stock_reserved), (5 - sold, 0), "{:?}", order.status());
    }
}
