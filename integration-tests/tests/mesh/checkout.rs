//! Checkout end to end through the edge: the happy path over REST and
//! GraphQL, declines, stock rejections, cancellation with refund and restock,
//! fulfilment's legal and illegal moves, and who sees which order.

use integration_tests::{Account, DECLINED_CARD, GOOD_CARD, NO_FUNDS_CARD, TestMesh, bearer, mesh_tests};
use serde_json::{Value, json};
use shop_proto::{
    cart::v1::ClearCartRequest,
    orders::v1::{GetOrderRequest, OrderStatus},
    products::v1::{Product, ReservationItem, ReserveStockRequest},
};

fn body(number: &str) -> Value {
    json!({
        "shipping_address": {"name": "Ada Lovelace", "line1": "1 Analytical Street", "city": "London", "postal_code": "01067", "country": "gb"},
        "card": {"number": number, "exp_month": 12, "exp_year": 2035, "cvc": "123"}
    })
}

async fn rest_checkout(mesh: &TestMesh, account: &Account, key: &str, number: &str) -> (u16, Value) {
    let response = mesh
        .http
        .raw()
        .post(mesh.http.url("/api/v1/orders"))
        .bearer_auth(&account.token)
        .header("Idempotency-Key", key)
        .json(&body(number))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

const CHECKOUT: &str = "mutation($input: CheckoutInput!) { checkout(input: $input) { id status statusReason total { amountMinor currency } lines { sku quantity product { name stock } } events { fromStatus toStatus reason } payments { status cardBrand cardLast4 amount { amountMinor } } } }";

fn gql_input(key: &str, number: &str) -> Value {
    json!({"input": {
        "idempotencyKey": key,
        "shippingAddress": {"name": "Ada Lovelace", "line1": "1 Analytical Street", "city": "London", "postalCode": "NW1 6XE", "country": "GB"},
        "card": {"number": number, "expMonth": 12, "expYear": 2035, "cvc": "123"}
    }})
}

async fn shopper_with_cart(mesh: &TestMesh, stock: i32, quantity: i32) -> (Account, Product) {
    mesh.shopper_with_cart("GPU-1", 59_900, stock, quantity).await
}

mesh_tests! {
    async fn the_happy_path_over_rest(mesh) {
        let (ada, gpu) = shopper_with_cart(&mesh, 5, 2).await;
        let (status, order) = rest_checkout(&mesh, &ada, "order-1", GOOD_CARD).await;
        assert_eq!(status, 201, "{order}");
        assert_eq!(order["status"], "PAID", "{order}");
        assert_eq!(order["total"], json!({"amount_minor": 119_800, "currency": "USD"}));
        assert_eq!(order["shipping_address"]["postal_code"], "01067", "postal codes keep their leading zeros");
        assert_eq!(order["shipping_address"]["country"], "GB");
        let statuses: Vec<_> = order["events"].as_array().unwrap().iter().map(|e| e["to_status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["PENDING", "PAID"]);

        let stock = mesh.stock_of(&gpu).await;
        assert_eq!((stock.stock_on_hand, stock.stock_reserved, stock.stock), (3, 0, 3), "stock decremented");
        let cart = mesh.http.get("/api/v1/cart", Some(&ada.token)).await;
        assert_eq!(cart.body["item_count"], 0, "cart emptied");
        let id = order["id"].as_str().unwrap();
        let payments = mesh.http.get(&format!("/api/v1/orders/{id}/payments"), Some(&ada.token)).await;
        payments.expect_status(200);
        assert_eq!(payments.body["items"].as_array().unwrap().len(), 1, "one payment");
        assert_eq!(payments.body["items"][0]["status"], "SUCCEEDED");
        assert_eq!(payments.body["items"][0]["amount"]["amount_minor"], 119_800);

        let (again, replay) = rest_checkout(&mesh, &ada, "order-1", GOOD_CARD).await;
        assert_eq!((again, replay["id"].as_str()), (200, Some(id)), "the same key answers 200 with the same order");
        let fetched = mesh.http.get(&format!("/api/v1/orders/{id}"), Some(&ada.token)).await;
        assert_eq!(fetched.body["status"], "PAID");
        let listed = mesh.http.get("/api/v1/orders?status=PAID", Some(&ada.token)).await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    }

    async fn the_happy_path_over_graphql(mesh) {
        let (ada, gpu) = shopper_with_cart(&mesh, 5, 1).await;
        let reply = mesh.http.graphql(CHECKOUT, gql_input("gql-1", GOOD_CARD), Some(&ada.token)).await;
        let order = &reply.body["data"]["checkout"];
        assert_eq!(order["status"], "PAID", "{}", reply.body);
        assert_eq!(order["total"], json!({"amountMinor": 59_900, "currency": "USD"}));
        assert_eq!(order["lines"][0]["product"]["stock"], 4, "line products resolve through the loader");
        assert_eq!(order["payments"], json!([{"status": "SUCCEEDED", "cardBrand": "visa", "cardLast4": "4242", "amount": {"amountMinor": 59_900}}]));
        assert_eq!(order["events"][1], json!({"fromStatus": "PENDING", "toStatus": "PAID", "reason": "payment succeeded; stock committed"}));
        assert_eq!(mesh.stock_of(&gpu).await.stock_on_hand, 4);
        let cart = mesh.http.graphql("{ cart { itemCount } }", json!({}), Some(&ada.token)).await;
        assert_eq!(cart.body["data"]["cart"]["itemCount"], 0);

        let listed = mesh.http.graphql("{ orders(first: 5) { edges { cursor node { id status } } pageInfo { hasNextPage } } }", json!({}), Some(&ada.token)).await;
        assert_eq!(listed.body["data"]["orders"]["edges"][0]["node"]["id"], order["id"]);
        let one = mesh.http.graphql("query($id: ID!) { order(id: $id) { status } missing: order(id: \"nope\") { id } }", json!({"id": order["id"]}), Some(&ada.token)).await;
        assert_eq!(one.body["data"]["order"]["status"], "PAID");
        assert!(one.body["data"]["missing"].is_null());
    }

    async fn a_declined_card_fails_the_order_keeps_the_cart_and_returns_the_stock(mesh) {
        let (ada, gpu) = shopper_with_cart(&mesh, 5, 2).await;
        for (key, number, reason) in [("declined", DECLINED_CARD, "the card was declined"), ("broke", NO_FUNDS_CARD, "insufficient funds")] {
            let (status, order) = rest_checkout(&mesh, &ada, key, number).await;
            assert_eq!(status, 201, "a failed checkout is still an order");
            assert_eq!(order["status"], "PAYMENT_FAILED");
            assert!(order["status_reason"].as_str().unwrap().contains(reason), "{}", order["status_reason"]);
            let stock = mesh.stock_of(&gpu).await;
            assert_eq!((stock.stock_on_hand, stock.stock_reserved), (5, 0), "the reservation was released");
            assert_eq!(mesh.http.get("/api/v1/cart", Some(&ada.token)).await.body["item_count"], 2, "the cart stays");
            let id = order["id"].as_str().unwrap();
            let payments = mesh.http.get(&format!("/api/v1/orders/{id}/payments"), Some(&ada.token)).await;
            assert_eq!(payments.body["items"][0]["status"], "DECLINED");
        }
    }

    async fn short_stock_rejects_the_order_naming_the_product(mesh) {
        let (ada, gpu) = shopper_with_cart(&mesh, 3, 2).await;
        let service = mesh.service_token().await;
        let hold = shop_proto::products::v1::ReserveStockRequest { order_id: "someone-else".into(), items: vec![shop_proto::products::v1::ReservationItem { product_id: gpu.id.clone(), quantity: 2 }], ttl_seconds: 600 };
        mesh.products().reserve_stock(bearer(hold, &service)).await.unwrap();
        let reply = mesh.http.graphql(CHECKOUT, gql_input("too-many", GOOD_CARD), Some(&ada.token)).await;
        let order = &reply.body["data"]["checkout"];
        assert_eq!(order["status"], "REJECTED", "{}", reply.body);
        assert_eq!(order["statusReason"], "insufficient stock: GPU-1 (Product GPU-1): requested 2, available 1");
        assert_eq!(order["payments"], json!([]), "nothing was charged");
        assert_eq!(mesh.stock_of(&gpu).await.stock_reserved, 2, "only the other hold remains");
    }

    async fn cancelling_a_paid_order_refunds_and_restocks(mesh) {
        let (ada, gpu) = shopper_with_cart(&mesh, 5, 2).await;
        let (_, order) = rest_checkout(&mesh, &ada, "to-cancel", GOOD_CARD).await;
        let id = order["id"].as_str().unwrap().to_owned();
        assert_eq!(mesh.stock_of(&gpu).await.stock_on_hand, 3);

        let cancelled = mesh.http.post(&format!("/api/v1/orders/{id}/cancel"), json!({"reason": "changed my mind"}), Some(&ada.token)).await;
        cancelled.expect_status(200);
        assert_eq!(cancelled.body["status"], "CANCELLED");
        assert_eq!(cancelled.body["status_reason"], "cancelled by the customer: changed my mind");
        assert_eq!(mesh.stock_of(&gpu).await.stock_on_hand, 5, "restocked");
        let payments = mesh.http.get(&format!("/api/v1/orders/{id}/payments"), Some(&ada.token)).await;
        assert_eq!(payments.body["items"][0]["status"], "REFUNDED");
        let again = mesh.http.post(&format!("/api/v1/orders/{id}/cancel"), json!({}), Some(&ada.token)).await;
        again.expect_status(409);
        assert!(again.body["detail"].as_str().unwrap().contains("CANCELLED"), "{}", again.body);
    }

    async fn fulfilment_moves_forward_only(mesh) {
        let (ada, _) = shopper_with_cart(&mesh, 5, 1).await;
        let admin = mesh.admin().await;
        let (_, order) = rest_checkout(&mesh, &ada, "ship-me", GOOD_CARD).await;
        let id = order["id"].as_str().unwrap().to_owned();
        let set = |status: &str| json!({"status": status, "reason": "tracking 1Z999"});

        let skip = mesh.http.post(&format!("/api/v1/orders/{id}/status"), set("DELIVERED"), Some(&admin.token)).await;
        skip.expect_status(409);
        assert_eq!(skip.body["detail"], "an order cannot move from PAID to DELIVERED");
        let by_customer = mesh.http.post(&format!("/api/v1/orders/{id}/status"), set("SHIPPED"), Some(&ada.token)).await;
        by_customer.expect_status(403);
        mesh.http.post(&format!("/api/v1/orders/{id}/status"), set("SHIPPED"), Some(&admin.token)).await.expect_status(200);
        let late_cancel = mesh.http.post(&format!("/api/v1/orders/{id}/cancel"), json!({}), Some(&ada.token)).await;
        late_cancel.expect_status(409);
        assert_eq!(late_cancel.body["detail"], "an order cannot move from SHIPPED to CANCELLED");
        let backwards = mesh.http.graphql("mutation($id: ID!) { updateOrderStatus(orderId: $id, status: PAID) { status } }", json!({"id": id}), Some(&admin.token)).await;
        assert_eq!(backwards.graphql_error_code(), Some("FAILED_PRECONDITION"));
        assert_eq!(backwards.body["errors"][0]["message"], "an order cannot move from SHIPPED to PAID");
        let delivered = mesh.http.post(&format!("/api/v1/orders/{id}/status"), set("DELIVERED"), Some(&admin.token)).await;
        assert_eq!(delivered.body["status"], "DELIVERED");
        let statuses: Vec<_> = delivered.body["events"].as_array().unwrap().iter().map(|e| e["to_status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["PENDING", "PAID", "SHIPPED", "DELIVERED"]);
        assert_eq!(delivered.body["events"][2]["reason"], "tracking 1Z999");
    }

    async fn customers_see_only_their_own_orders(mesh) {
        let (ada, _) = shopper_with_cart(&mesh, 5, 1).await;
        let bob = mesh.customer("bob@example.com").await;
        let admin = mesh.admin().await;
        let (_, order) = rest_checkout(&mesh, &ada, "private", GOOD_CARD).await;
        let id = order["id"].as_str().unwrap();
        mesh.http.get(&format!("/api/v1/orders/{id}"), Some(&bob.token)).await.expect_status(404);
        mesh.http.get(&format!("/api/v1/orders/{id}/payments"), Some(&bob.token)).await.expect_status(404);
        mesh.http.post(&format!("/api/v1/orders/{id}/cancel"), json!({}), Some(&bob.token)).await.expect_status(404);
        assert_eq!(mesh.http.get("/api/v1/orders", Some(&bob.token)).await.body["items"], json!([]));
        mesh.http.get(&format!("/api/v1/orders?user_id={}", ada.id), Some(&bob.token)).await.expect_status(403);
        mesh.http.get(&format!("/api/v1/orders/{id}"), Some(&admin.token)).await.expect_status(200);
        let all = mesh.http.get(&format!("/api/v1/orders?user_id={}", ada.id), Some(&admin.token)).await;
        assert_eq!(all.body["items"].as_array().unwrap().len(), 1);
        mesh.http.get("/api/v1/orders", None).await.expect_status(401);
    }

    async fn bad_checkouts_write_nothing_and_name_the_field(mesh) {
        let (ada, gpu) = shopper_with_cart(&mesh, 5, 1).await;
        let no_key = mesh.http.post("/api/v1/orders", body(GOOD_CARD), Some(&ada.token)).await;
        no_key.expect_status(400);
        assert_eq!(no_key.body["errors"][0]["field"], "Idempotency-Key");
        let mut bad = body("4242424242424241");
        bad["shipping_address"]["country"] = json!("Britain");
        let response = mesh.http.raw().post(mesh.http.url("/api/v1/orders")).bearer_auth(&ada.token).header("Idempotency-Key", "bad").json(&bad).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let problem: Value = response.json().await.unwrap();
        let fields: Vec<_> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["shipping_address.country", "card.number"]);
        assert_eq!(mesh.http.get("/api/v1/orders", Some(&ada.token)).await.body["items"], json!([]), "no order was written");
        assert_eq!(mesh.stock_of(&gpu).await.stock_reserved, 0, "nothing was held");

        let bob = mesh.customer("bob@example.com").await;
        let empty = mesh.http.raw().post(mesh.http.url("/api/v1/orders")).bearer_auth(&bob.token).header("Idempotency-Key", "empty").json(&body(GOOD_CARD)).send().await.unwrap();
        assert_eq!(empty.status().as_u16(), 409, "an empty cart cannot be checked out");
    }

    async fn a_checkout_answers_with_the_order_exactly_as_stored(mesh) {
        // The orders service answers a checkout it drove to the end from what
        // it wrote, without reading the order back: the answer must be what
        // any later read returns, to the microsecond, for every ending.
        let admin = mesh.admin().await;
        let first = mesh.product(&admin, "SSD-1", 12_000, 5).await;
        let second = mesh.product(&admin, "SSD-2", 9_000, 5).await;
        let scarce = mesh.product(&admin, "SSD-3", 9_000, 3).await;
        let ada = mesh.customer("ada@example.com").await;
        let service = mesh.service_token().await;
        let orders = [
            // Added newest product first, so the cart's order is not the store's.
            ("paid", vec![(&second, 1), (&first, 2)], GOOD_CARD, OrderStatus::Paid),
            ("declined", vec![(&first, 1)], DECLINED_CARD, OrderStatus::PaymentFailed),
            ("short", vec![(&scarce, 2)], GOOD_CARD, OrderStatus::Rejected),
        ];
        for (key, items, number, status) in orders {
            mesh.cart().clear_cart(bearer(ClearCartRequest::default(), &ada.token)).await.unwrap();
            mesh.fill_cart(&ada, &items).await;
            if status == OrderStatus::Rejected {
                let hold = ReserveStockRequest { order_id: "someone-else".into(), items: vec![ReservationItem { product_id: scarce.id.clone(), quantity: 2 }], ttl_seconds: 600 };
                mesh.products().reserve_stock(bearer(hold, &service)).await.unwrap();
            }
            let placed = mesh.place_order(&ada, key, number).await.unwrap();
            assert_eq!((placed.status(), placed.events.len(), placed.lines.len()), (status, 2, items.len()), "{key}: {placed:?}");
            let stored = mesh.orders().await.get_order(bearer(GetOrderRequest { order_id: placed.id.clone() }, &ada.token)).await.unwrap().into_inner().order.unwrap();
            assert_eq!(placed, stored, "{key}: the answer is the order as stored");
        }
    }
}
