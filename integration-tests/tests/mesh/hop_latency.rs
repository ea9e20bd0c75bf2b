//! A call that crosses gRPC hops at low load costs what its work costs. The
//! regression this guards against is Nagle's algorithm meeting the peer's
//! delayed ACK on a connection without TCP_NODELAY: every hop then waits at
//! least 40 ms (Linux's shortest delayed ACK) for nothing, whatever the
//! machine's speed. The median of many sequential calls ignores a stray slow
//! one on a busy machine, and the bound sits well below that 40 ms floor and
//! well above what the work costs even in a debug build.

use std::time::{Duration, Instant};

use integration_tests::mesh_tests;

/// Sequential calls per measurement.
const CALLS: usize = 31;
/// Half of the smallest delayed ACK: a stalled hop cannot come in under it.
const BOUND: Duration = Duration::from_millis(20);

/// The median wall time of `CALLS` calls made one after another.
async fn median_of<F: AsyncFn()>(call: F) -> Duration {
    call().await; // The connections are dialled, and warm, before the clock starts.
    let mut times = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        call().await;
        times.push(started.elapsed());
    }
    times.sort();
    times[CALLS / 2]
}

mesh_tests! {
    async fn a_call_through_the_edge_and_a_service_does_not_wait_for_a_delayed_ack(mesh) {
        let admin = mesh.admin().await;
        let mut products = Vec::new();
        for n in 0..5 {
            products.push(mesh.product(&admin, &format!("HOP-{n}"), 1_000, 5).await);
        }
        // Edge -> products: one hop each way, both over pooled connections;
        // asked afresh each time, so the edge's cache does not answer.
        let page = mesh.http.url("/api/v1/products?page_size=5");
        let rest = median_of(async || {
            let response = mesh.http.raw().get(&page).header("cache-control", "no-cache").send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
            assert!(response.headers().get("x-cache").is_none(), "answered from the cache");
            response.bytes().await.unwrap();
        })
        .await;
        assert!(rest < BOUND, "GET /api/v1/products took {rest:?} at the median");
        // Edge -> cart -> products: two hops in a row.
        let customer = mesh.customer("hop@example.com").await;
        let line = serde_json::json!({"product_id": products[0].id, "quantity": 1});
        mesh.http.post("/api/v1/cart/items", line, Some(&customer.token)).await.expect_status(200);
        let cart = median_of(async || {
            mesh.http.get("/api/v1/cart", Some(&customer.token)).await.expect_status(200);
        }).await;
        assert!(cart < BOUND, "GET /api/v1/cart took {cart:?} at the median");
    }
}
