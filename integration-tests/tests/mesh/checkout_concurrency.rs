//! Checkout under concurrency: one key placed fifty times at once is one
//! order and one charge; a hundred buyers for ten units leave exactly ten
//! orders paid and the stock at zero, never below.

use std::collections::HashSet;

use futures::future::join_all;
use integration_tests::{GOOD_CARD, bearer, mesh_tests};
use shop_proto::{orders::v1::OrderStatus, payments::v1::ListPaymentsRequest};

mesh_tests! {
    async fn fifty_concurrent_placements_with_one_key_make_one_order_and_one_charge(mesh) {
        let admin = mesh.admin().await;
        let product = mesh.product(&admin, "ONE-KEY", 2_500, 10).await;
        let ada = mesh.customer("ada@example.com").await;
        mesh.fill_cart(&ada, &[(&product, 2)]).await;

        let attempts = (0..50).map(|_| mesh.place_order(&ada, "the-one-key", GOOD_CARD));
        let results = join_all(attempts).await;
        let orders: Vec<_> = results.into_iter().map(|r| r.expect("every attempt gets the order")).collect();
        let ids: HashSet<_> = orders.iter().map(|o| o.id.clone()).collect();
        assert_eq!(ids.len(), 1, "one order");

        let id = ids.into_iter().next().unwrap();
        let service = mesh.service_token().await;
        let payments = mesh.payments().await.list_payments(bearer(ListPaymentsRequest { order_id: id.clone() }, &service)).await.unwrap().into_inner().payments;
        assert_eq!(payments.len(), 1, "one charge");
        let stock = mesh.stock_of(&product).await;
        assert_eq!((stock.stock_on_hand, stock.stock_reserved), (8, 0), "sold once");
        let final_order = mesh.place_order(&ada, "the-one-key", GOOD_CARD).await.unwrap();
        assert_eq!(final_order.status(), OrderStatus::Paid);
    }

    async fn a_hundred_buyers_for_ten_units_never_oversell(mesh) {
        let admin = mesh.admin().await;
        let product = mesh.product(&admin, "HOT", 99_900, 10).await;
        let mut buyers = Vec::new();
        for n in 0..100 {
            let buyer = mesh.customer(&format!("buyer{n}@example.com")).await;
            mesh.fill_cart(&buyer, &[(&product, 1)]).await;
            buyers.push(buyer);
        }
        let checkouts = buyers.iter().map(|buyer| mesh.place_order(buyer, "launch-day", GOOD_CARD));
        let orders: Vec<_> = join_all(checkouts).await.into_iter().map(|r| r.expect("every buyer gets an order")).collect();
        let paid = orders.iter().filter(|o| o.status() == OrderStatus::Paid).count();
        let rejected = orders.iter().filter(|o| o.status() == OrderStatus::Rejected).count();
        assert_eq!((paid, rejected), (10, 90), "exactly the stock was sold");
        assert!(orders.iter().filter(|o| o.status() == OrderStatus::Rejected).all(|o| o.status_reason.starts_with("insufficient stock: HOT")));
        let stock = mesh.stock_of(&product).await;
        assert_eq!((stock.stock_on_hand, stock.stock_reserved, stock.stock), (0, 0, 0), "stock at zero, never below");
    }
}
