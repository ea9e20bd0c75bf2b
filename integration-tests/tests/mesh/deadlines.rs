//! Deadlines across hops: the edge's request deadline travels as
//! `grpc-timeout`, and a downstream that cannot finish in time gives up the
//! work and answers DEADLINE_EXCEEDED, which the edge returns as a 504.

use std::time::{Duration, Instant};

use integration_tests::{GOOD_CARD, eventually, mesh_tests};
use serde_json::json;
use shop_edge::config::HttpLimits;

const DEADLINE: Duration = Duration::from_millis(1500);

mesh_tests! {
    async fn a_stuck_downstream_is_abandoned_at_the_deadline(mesh) {
        let edge = mesh.edge_with(HttpLimits { request_timeout_ms: DEADLINE.as_millis() as u64, ..HttpLimits::default() }).await;
        let (ada, gpu) = mesh.shopper_with_cart("GPU-1", 59_900, 5, 2).await;

        // Stock changes now wait on a lock that outlives the request (on
        // SQLite, for the 5 s busy timeout; on PostgreSQL, until released).
        let lock = mesh.lock_products_for_writes().await;
        let started = Instant::now();
        let response = edge
            .raw()
            .post(edge.url("/api/v1/orders"))
            .bearer_auth(&ada.token)
            .header("Idempotency-Key", "stuck-1")
            .json(&json!({
                "shipping_address": {"name": "Ada Lovelace", "line1": "1 Analytical Street", "city": "London", "postal_code": "NW1", "country": "GB"},
                "card": {"number": GOOD_CARD, "exp_month": 12, "exp_year": 2035, "cvc": "123"}
            }))
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
        // The abandoned reservation never lands, even once the lock is gone.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let stock = mesh.stock_of(&gpu).await;
        assert_eq!((stock.stock_on_hand, stock.stock_reserved), (5, 0), "nothing was held for the abandoned order");
        // Products stopped the ReserveStock call at the deadline: it answered
        // DEADLINE_EXCEEDED, or (when the caller's timer won the race) saw
        // the caller cancel; it never finished it.
        let metrics = mesh.products_metrics().await;
        let reserve = |code: &str| {
            shop_runtime::metrics::sample(&metrics, "rpc_server_requests_total", &[("method", "ReserveStock"), ("code", code)])
        };
        assert_eq!(reserve("DEADLINE_EXCEEDED") + reserve("CANCELLED"), 1.0, "{metrics}");
        assert_eq!(reserve("OK"), 0.0, "{metrics}");

        // The services are healthy afterwards: the same checkout now completes.
        let settled = eventually(Duration::from_secs(10), || async {
            let order = mesh.place_order(&ada, "after-the-lock", GOOD_CARD).await;
            order.is_ok_and(|o| o.status == shop_proto::orders::v1::OrderStatus::Paid as i32)
        })
        .await;
        assert!(settled, "a checkout after the lock completes");
    }
}
