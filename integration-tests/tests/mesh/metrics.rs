//! Prometheus metrics: the edge's admin port counts requests by route
//! template and status (its public listener has no `/metrics`); each service's admin port shows its RPCs, its
//! database pool, and what its work came to (orders by status, payments by
//! result). Labels never carry ids.

use integration_tests::{DECLINED_CARD, GOOD_CARD, bearer, mesh_tests};
use shop_orders::domain::status::OrderStatus;
use shop_proto::{orders::v1::OrderStatus as Status, products::v1 as pb};
use shop_runtime::metrics::sample;

mesh_tests! {
    async fn made_up_rpc_paths_count_as_other_and_never_become_labels(mesh) {
        let mut grpc = tonic::client::Grpc::new(mesh.products_service.channel());
        for n in 0..20 {
            grpc.ready().await.unwrap();
            let path = http::uri::PathAndQuery::try_from(format!("/made.up.Service{n}/Method{n}")).unwrap();
            let codec = tonic_prost::ProstCodec::<(), ()>::default();
            let answer = grpc.unary(tonic::Request::new(()), path, codec).await.unwrap_err();
            assert_eq!(answer.code(), tonic::Code::Unimplemented);
        }
        mesh.products().list_categories(pb::ListCategoriesRequest::default()).await.unwrap();
        let text = mesh.products_metrics().await;
        let other = &[("service", "_OTHER"), ("method", "_OTHER"), ("code", "UNIMPLEMENTED")];
        assert_eq!(sample(&text, "rpc_server_requests_total", other), 20.0, "{text}");
        let served = &[("service", "shop.products.v1.ProductService"), ("method", "ListCategories"), ("code", "OK")];
        assert_eq!(sample(&text, "rpc_server_requests_total", served), 1.0, "{text}");
        assert!(!text.contains("made.up") && !text.contains("Method1"), "no made-up path in a label: {text}");
    }

    async fn the_edge_counts_requests_by_route_template_and_status(mesh) {
        let unknown = uuid::Uuid::now_v7().to_string();
        mesh.http.get(&format!("/api/v1/products/{unknown}"), None).await.expect_status(404);
        mesh.http.get("/api/v1/products", None).await.expect_status(200);
        mesh.http.get("/api/v1/products", None).await.expect_status(200);
        mesh.http.get(&format!("/no/such/{unknown}"), None).await.expect_status(404);

        mesh.http.get("/metrics", None).await.expect_status(404);
        let response = mesh.http.raw().get(format!("http://{}/metrics", mesh.edge_admin)).send().await.unwrap();
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
        let text = response.text().await.unwrap();
        let requests = |route: &str, status: &str| {
            sample(&text, "http_server_requests_total", &[("method", "GET"), ("route", route), ("status", status)])
        };
        assert_eq!(requests("/api/v1/products/{id}", "404"), 1.0, "{text}");
        assert_eq!(requests("/api/v1/products", "200"), 2.0, "{text}");
        assert_eq!(requests("unmatched", "404"), 2.0, "the made-up path and the public /metrics: {text}");
        let latencies = &[("route", "/api/v1/products"), ("status", "200")];
        assert_eq!(sample(&text, "http_server_request_duration_seconds_count", latencies), 2.0, "{text}");
        assert!(!text.contains(&unknown), "no id or path in a label: {text}");
    }

    async fn checkout_outcomes_payment_results_and_pools_show_on_the_services_admin_ports(mesh) {
        let (ada, gpu) = mesh.shopper_with_cart("GPU-M", 50_000, 3, 1).await;
        assert_eq!(mesh.place_order(&ada, "paid", GOOD_CARD).await.unwrap().status(), Status::Paid);
        mesh.fill_cart(&ada, &[(&gpu, 1)]).await;
        assert_eq!(mesh.place_order(&ada, "declined", DECLINED_CARD).await.unwrap().status(), Status::PaymentFailed);
        let service = mesh.service_token().await;
        let hold = pb::ReserveStockRequest { order_id: "someone-else".into(), items: vec![pb::ReservationItem { product_id: gpu.id.clone(), quantity: 2 }], ttl_seconds: 600 };
        mesh.products().reserve_stock(bearer(hold, &service)).await.unwrap();
        assert_eq!(mesh.place_order(&ada, "short", GOOD_CARD).await.unwrap().status(), Status::Rejected);

        let orders = mesh.scrape(mesh.orders_service.lock().await.admin).await;
        let reached = |status: OrderStatus| sample(&orders, "orders_status_changes_total", &[("status", status.as_str())]);
        assert_eq!(reached(OrderStatus::Pending), 3.0, "{orders}");
        assert_eq!(reached(OrderStatus::Paid), 1.0, "{orders}");
        assert_eq!(reached(OrderStatus::PaymentFailed), 1.0, "{orders}");
        assert_eq!(reached(OrderStatus::Rejected), 1.0, "{orders}");
        assert_eq!(reached(OrderStatus::Cancelled), 0.0, "{orders}");
        let placed = &[("method", "PlaceOrder"), ("code", "OK")];
        assert_eq!(sample(&orders, "rpc_server_requests_total", placed), 3.0, "{orders}");

        let payments = mesh.scrape(mesh.payments_service.lock().await.admin).await;
        let results = |result: &str| sample(&payments, "payments_results_total", &[("result", result)]);
        assert_eq!((results("succeeded"), results("card_declined"), results("refunded")), (1.0, 1.0, 0.0), "{payments}");

        for text in [&orders, &payments, &mesh.products_metrics().await] {
            assert_eq!(sample(text, "db_pool_max_connections", &[]), 10.0, "{text}");
            // Idle or, at the moment of the scrape, in use (a health check's ping).
            let open = |state: &str| sample(text, "db_pool_connections", &[("state", state)]);
            assert!(open("idle") + open("in_use") >= 1.0, "{text}");
            assert!(text.contains("db_pool_connections{state=\"in_use\"}"), "{text}");
            assert!(!text.contains(&ada.id) && !text.contains(&gpu.id), "no id in a label: {text}");
        }
    }
}
