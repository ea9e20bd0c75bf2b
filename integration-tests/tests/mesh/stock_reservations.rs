//! Reservations against the real products service: no oversell under
//! concurrency, one hold per order id, expiry gives stock back, commit and
//! release move stock as the ledger says, and only services (or admins) may call.

use std::time::{Duration, Instant};

use futures::future::join_all;
use integration_tests::{TestMesh, bearer, mesh_tests};
use shop_proto::products::v1::{self as pb, Product, ReservationItem, ReservationStatus};
use tonic::Code;

fn reserve(order_id: &str, items: &[(&Product, i32)], ttl_seconds: i32) -> pb::ReserveStockRequest {
    pb::ReserveStockRequest {
        order_id: order_id.into(),
        items: items
            .iter()
            .map(|(p, quantity)| ReservationItem { product_id: p.id.clone(), quantity: *quantity })
            .collect(),
        ttl_seconds,
    }
}

async fn stock(mesh: &TestMesh, product: &Product) -> Product {
    let request = pb::GetProductRequest { product_id: product.id.clone() };
    mesh.products().get_product(request).await.unwrap().into_inner().product.unwrap()
}

mesh_tests! {
    async fn concurrent_reservations_never_oversell(mesh) {
        let admin = mesh.admin().await;
        let service = mesh.service_token().await;
        let scarce = mesh.product(&admin, "SCARCE", 1000, 5).await;
        let attempts = (0..20).map(|n| {
            let mut products = mesh.products();
            let request = bearer(reserve(&format!("order-{n}"), &[(&scarce, 1)], 0), &service);
            async move { products.reserve_stock(request).await }
        });
        let results = join_all(attempts).await;
        let held = results.iter().filter(|r| r.is_ok()).count();
        let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(held, 5, "exactly the stock on hand is held");
        assert!(refused.iter().all(|s| s.code() == Code::FailedPrecondition), "{refused:?}");
        let after = stock(&mesh, &scarce).await;
        assert_eq!((after.stock_on_hand, after.stock_reserved, after.stock), (5, 5, 0));
    }

    async fn a_reservation_is_all_or_nothing(mesh) {
        let admin = mesh.admin().await;
        let service = mesh.service_token().await;
        let plenty = mesh.product(&admin, "PLENTY", 1000, 50).await;
        let few = mesh.product(&admin, "FEW", 1000, 2).await;
        let status = mesh.products().reserve_stock(bearer(reserve("o1", &[(&plenty, 10), (&few, 3)], 0), &service)).await.unwrap_err();
        assert_eq!(status.code(), Code::FailedPrecondition);
        let short = shop_runtime::grpc::status::precondition_violations(&status);
        assert_eq!(short.len(), 1);
        assert_eq!((short[0].subject.as_str(), short[0].description.as_str()), (few.id.as_str(), "requested 3, available 2"));
        assert_eq!(stock(&mesh, &plenty).await.stock_reserved, 0, "nothing of the order is held");
        let missing = mesh.products().get_reservation(bearer(pb::GetReservationRequest { order_id: "o1".into() }, &service)).await.unwrap_err();
        assert_eq!(missing.code(), Code::NotFound);
    }

    async fn the_same_order_id_reserves_once_even_concurrently(mesh) {
        let admin = mesh.admin().await;
        let service = mesh.service_token().await;
        let product = mesh.product(&admin, "ONCE", 1000, 100).await;
        let attempts = (0..10).map(|_| {
            let mut products = mesh.products();
            let request = bearer(reserve("same-order", &[(&product, 3)], 0), &service);
            async move { products.reserve_stock(request).await }
        });
        for result in join_all(attempts).await {
            let reservation = result.unwrap().into_inner().reservation.unwrap();
            assert_eq!(reservation.order_id, "same-order");
            assert_eq!(reservation.items[0].quantity, 3);
        }
        assert_eq!(stock(&mesh, &product).await.stock_reserved, 3);
    }

    async fn an_expired_reservation_gives_its_stock_back(mesh) {
        let admin = mesh.admin().await;
        let service = mesh.service_token().await;
        let product = mesh.product(&admin, "EXPIRING", 1000, 4).await;
        mesh.products().reserve_stock(bearer(reserve("slow-order", &[(&product, 4)], 1), &service)).await.unwrap();
        assert_eq!(stock(&mesh, &product).await.stock, 0);

        let deadline = Instant::now() + Duration::from_secs(10);
        while stock(&mesh, &product).await.stock != 4 {
            assert!(Instant::now() < deadline, "the hold was never released");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let reservation = mesh.products().get_reservation(bearer(pb::GetReservationRequest { order_id: "slow-order".into() }, &service)).await.unwrap().into_inner().reservation.unwrap();
        assert_eq!(reservation.status(), ReservationStatus::Expired);
        let late = mesh.products().commit_reservation(bearer(pb::CommitReservationRequest { order_id: "slow-order".into() }, &service)).await.unwrap_err();
        assert_eq!(late.code(), Code::FailedPrecondition);
        assert_eq!(stock(&mesh, &product).await.stock_on_hand, 4, "an expired reservation sells nothing");
    }

    async fn commit_sells_and_release_restocks(mesh) {
        let admin = mesh.admin().await;
        let service = mesh.service_token().await;
        let product = mesh.product(&admin, "SOLD", 1000, 10).await;
        mesh.products().reserve_stock(bearer(reserve("paid-order", &[(&product, 4)], 0), &service)).await.unwrap();
        for _ in 0..2 {
            let committed = mesh.products().commit_reservation(bearer(pb::CommitReservationRequest { order_id: "paid-order".into() }, &service)).await.unwrap();
            assert_eq!(committed.into_inner().reservation.unwrap().status(), ReservationStatus::Committed);
        }
        let sold = stock(&mesh, &product).await;
        assert_eq!((sold.stock_on_hand, sold.stock_reserved, sold.stock), (6, 0, 6), "committed once, though called twice");

        let released = mesh.products().release_reservation(bearer(pb::ReleaseReservationRequest { order_id: "paid-order".into(), reason: "order cancelled".into() }, &service)).await.unwrap();
        assert_eq!(released.into_inner().reservation.unwrap().status(), ReservationStatus::Released);
        mesh.products().release_reservation(bearer(pb::ReleaseReservationRequest { order_id: "paid-order".into(), reason: String::new() }, &service)).await.unwrap();
        let restocked = stock(&mesh, &product).await;
        assert_eq!((restocked.stock_on_hand, restocked.stock), (10, 10), "restocked once, though released twice");

        mesh.products().reserve_stock(bearer(reserve("dropped-order", &[(&product, 7)], 0), &service)).await.unwrap();
        mesh.products().release_reservation(bearer(pb::ReleaseReservationRequest { order_id: "dropped-order".into(), reason: String::new() }, &service)).await.unwrap();
        let after = stock(&mesh, &product).await;
        assert_eq!((after.stock_on_hand, after.stock_reserved), (10, 0));
        let closed = mesh.products().commit_reservation(bearer(pb::CommitReservationRequest { order_id: "dropped-order".into() }, &service)).await.unwrap_err();
        assert_eq!(closed.code(), Code::FailedPrecondition);
    }

    async fn stock_adjustments_never_go_below_what_is_reserved(mesh) {
        let admin = mesh.admin().await;
        let service = mesh.service_token().await;
        let product = mesh.product(&admin, "ADJUSTED", 1000, 5).await;
        mesh.products().reserve_stock(bearer(reserve("hold-3", &[(&product, 3)], 0), &service)).await.unwrap();
        let adjust = |delta: i32| bearer(pb::AdjustStockRequest { product_id: product.id.clone(), delta, reason: "stock count".into() }, &admin.token);
        let refused = mesh.products().adjust_stock(adjust(-3)).await.unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition);
        assert!(refused.message().contains("3 units reserved"), "{}", refused.message());
        let adjusted = mesh.products().adjust_stock(adjust(-2)).await.unwrap().into_inner().product.unwrap();
        assert_eq!((adjusted.stock_on_hand, adjusted.stock), (3, 0));
        let restocked = mesh.products().adjust_stock(adjust(7)).await.unwrap().into_inner().product.unwrap();
        assert_eq!((restocked.stock_on_hand, restocked.stock), (10, 7));
        let bad = mesh.products().adjust_stock(bearer(pb::AdjustStockRequest { product_id: product.id.clone(), delta: 0, reason: String::new() }, &admin.token)).await.unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
    }

    async fn only_services_and_admins_touch_reservations(mesh) {
        let admin = mesh.admin().await;
        let customer = mesh.customer("ada@example.com").await;
        let service = mesh.service_token().await;
        let product = mesh.product(&admin, "GUARDED", 1000, 10).await;
        let request = || reserve("guarded-order", &[(&product, 1)], 0);

        let anonymous = mesh.products().reserve_stock(request()).await.unwrap_err();
        assert_eq!(anonymous.code(), Code::Unauthenticated);
        for (rpc, status) in [
            ("ReserveStock", mesh.products().reserve_stock(bearer(request(), &customer.token)).await.unwrap_err()),
            ("CommitReservation", mesh.products().commit_reservation(bearer(pb::CommitReservationRequest { order_id: "x".into() }, &customer.token)).await.unwrap_err()),
            ("ReleaseReservation", mesh.products().release_reservation(bearer(pb::ReleaseReservationRequest { order_id: "x".into(), reason: String::new() }, &customer.token)).await.unwrap_err()),
            ("GetReservation", mesh.products().get_reservation(bearer(pb::GetReservationRequest { order_id: "x".into() }, &customer.token)).await.unwrap_err()),
        ] {
            assert_eq!(status.code(), Code::PermissionDenied, "a customer calling {rpc}");
        }
        assert_eq!(stock(&mesh, &product).await.stock_reserved, 0);
        mesh.products().reserve_stock(bearer(request(), &service)).await.unwrap();
        mesh.products().release_reservation(bearer(pb::ReleaseReservationRequest { order_id: "guarded-order".into(), reason: String::new() }, &admin.token)).await.unwrap();
    }

    async fn bad_reservation_requests_name_the_item(mesh) {
        let admin = mesh.admin().await;
        let service = mesh.service_token().await;
        let product = mesh.product(&admin, "NAMED", 1000, 10).await;
        let request = reserve("o", &[(&product, 1), (&product, 0)], 0);
        let status = mesh.products().reserve_stock(bearer(request, &service)).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let fields: Vec<_> = shop_runtime::grpc::status::field_violations(&status).into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["items[1].product_id", "items[1].quantity"]);
    }
}
