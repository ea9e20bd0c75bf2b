//! grpc.health.v1 at each service and `/readyz` at the edge follow the real
//! state of what they depend on: a service's own database, and the services
//! it calls.

use std::time::Duration;

use integration_tests::{TestMesh, eventually, health_of, mesh_tests};
use shop_proto::{
    cart::v1::cart_service_server::SERVICE_NAME as CART, orders::v1::order_service_server::SERVICE_NAME as ORDERS,
    products::v1::product_service_server::SERVICE_NAME as PRODUCTS,
};
use tonic::transport::Channel;

const LIMIT: Duration = Duration::from_secs(10);

async fn orders_health(mesh: &TestMesh, service: &str) -> String {
    health_of(mesh.orders_service.lock().await.channel(), service).await
}

async fn orders_reports(mesh: &TestMesh, service: &str, expected: &str) -> bool {
    orders_health(mesh, service).await == expected
}

async fn reports(channel: &Channel, service: &str, expected: &str) -> bool {
    health_of(channel.clone(), service).await == expected
}

async fn readyz_is(mesh: &TestMesh, status: u16) -> bool {
    mesh.http.get("/readyz", None).await.status == status
}

mesh_tests! {
    async fn a_stopped_downstream_turns_its_callers_service_not_serving_until_it_is_back(mesh) {
        assert!(eventually(LIMIT, || readyz_is(&mesh, 200)).await, "the mesh starts ready");
        assert_eq!(orders_health(&mesh, ORDERS).await, "SERVING");

        mesh.stop_payments().await;
        assert!(eventually(LIMIT, || orders_reports(&mesh, ORDERS, "NOT_SERVING")).await, "orders follows payments");
        // The orders server as a whole still serves: its database is fine, and order history still works.
        assert_eq!(orders_health(&mesh, "").await, "SERVING");
        let ada = mesh.customer("ada@example.com").await;
        mesh.http.get("/api/v1/orders", Some(&ada.token)).await.expect_status(200);
        let ready = mesh.http.get("/readyz", None).await;
        ready.expect_status(503);
        assert_eq!(ready.body["checks"]["payments"], "ERROR (Unavailable)", "{}", ready.body);
        assert_eq!(ready.body["checks"]["orders"], "NOT_SERVING", "{}", ready.body);
        assert_eq!(ready.body["checks"]["products"], "SERVING", "{}", ready.body);

        mesh.restart_payments().await;
        assert!(eventually(LIMIT, || orders_reports(&mesh, ORDERS, "SERVING")).await, "orders recovers");
        assert!(eventually(LIMIT, || readyz_is(&mesh, 200)).await, "the edge is ready again");
    }

    async fn a_database_that_stops_answering_turns_its_service_not_serving_until_it_is_back(mesh) {
        assert!(eventually(LIMIT, || readyz_is(&mesh, 200)).await, "the mesh starts ready");
        let products = mesh.products_service.channel();
        let cart = mesh.cart_service.channel();

        let outage = mesh.cut_products_database().await;
        assert!(eventually(LIMIT, || reports(&products, "", "NOT_SERVING")).await, "products follows its database");
        assert_eq!(health_of(products.clone(), PRODUCTS).await, "NOT_SERVING");
        assert!(eventually(LIMIT, || reports(&cart, CART, "NOT_SERVING")).await, "cart follows products");
        assert_eq!(health_of(cart.clone(), "").await, "SERVING", "the cart's own database is fine");
        let ready = mesh.http.get("/readyz", None).await;
        ready.expect_status(503);
        assert_eq!(ready.body["checks"]["products"], "NOT_SERVING", "{}", ready.body);
        assert_eq!(ready.body["checks"]["users"], "SERVING", "{}", ready.body);

        outage.restore().await;
        assert!(eventually(LIMIT, || reports(&products, "", "SERVING")).await, "products recovers");
        assert!(eventually(LIMIT, || reports(&cart, CART, "SERVING")).await, "cart recovers");
        assert!(eventually(LIMIT, || readyz_is(&mesh, 200)).await, "the edge is ready again");
    }
}
