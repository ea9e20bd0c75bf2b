//! The cart: priced from the catalog, bounded per line and by stock, and
//! always the caller's own, over REST, GraphQL and gRPC.

use integration_tests::{TestMesh, bearer, mesh_tests};
use serde_json::json;
use shop_proto::{cart::v1 as cart_pb, products::v1 as products_pb};
use tonic::Code;

async fn patch(mesh: &TestMesh, path: &str, body: serde_json::Value, token: &str) -> (u16, serde_json::Value) {
    let response = mesh.http.raw().patch(mesh.http.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or_default())
}

async fn delete(mesh: &TestMesh, path: &str, token: &str) -> (u16, serde_json::Value) {
    let response = mesh.http.raw().delete(mesh.http.url(path)).bearer_auth(token).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or_default())
}

mesh_tests! {
    async fn a_cart_is_filled_priced_and_emptied_over_rest(mesh) {
        let admin = mesh.admin().await;
        let ada = mesh.customer("ada@example.com").await;
        let cpu = mesh.product(&admin, "CPU", 19_900, 10).await;
        let ram = mesh.product(&admin, "RAM", 4_950, 10).await;

        let empty = mesh.http.get("/api/v1/cart", Some(&ada.token)).await;
        empty.expect_status(200);
        assert_eq!(empty.body["lines"], json!([]));
        assert_eq!(empty.body["total"]["amount_minor"], 0);

        mesh.http.post("/api/v1/cart/items", json!({"product_id": cpu.id, "quantity": 1}), Some(&ada.token)).await.expect_status(200);
        mesh.http.post("/api/v1/cart/items", json!({"product_id": ram.id, "quantity": 2}), Some(&ada.token)).await.expect_status(200);
        let added = mesh.http.post("/api/v1/cart/items", json!({"product_id": cpu.id, "quantity": 1}), Some(&ada.token)).await;
        added.expect_status(200);
        assert_eq!(added.body["lines"][0]["product_id"], cpu.id.as_str(), "lines keep the order they were first added in");
        assert_eq!(added.body["lines"][0]["quantity"], 2, "adding to an existing line");
        assert_eq!(added.body["lines"][0]["subtotal"], json!({"amount_minor": 39_800, "currency": "USD"}));
        assert_eq!(added.body["total"], json!({"amount_minor": 49_700, "currency": "USD"}));
        assert_eq!(added.body["item_count"], 4);

        // Prices come from the catalog at read time, not from when the line was added.
        let reprice = products_pb::UpdateProductRequest { product_id: ram.id.clone(), price: Some(shop_proto::common::v1::Money { amount_minor: 5_000, currency: "USD".into() }), ..Default::default() };
        mesh.products().update_product(bearer(reprice, &admin.token)).await.unwrap();
        let repriced = mesh.http.get("/api/v1/cart", Some(&ada.token)).await;
        assert_eq!(repriced.body["total"]["amount_minor"], 49_800);

        let (status, set) = patch(&mesh, &format!("/api/v1/cart/items/{}", ram.id), json!({"quantity": 5}), &ada.token).await;
        assert_eq!((status, set["lines"][1]["quantity"].as_i64()), (200, Some(5)));
        let (status, zero) = patch(&mesh, &format!("/api/v1/cart/items/{}", ram.id), json!({"quantity": 0}), &ada.token).await;
        assert_eq!((status, zero["lines"].as_array().unwrap().len()), (200, 1), "quantity 0 removes the line");
        let (status, removed) = delete(&mesh, &format!("/api/v1/cart/items/{}", cpu.id), &ada.token).await;
        assert_eq!((status, removed["lines"].as_array().unwrap().len()), (200, 0));
        mesh.http.post("/api/v1/cart/items", json!({"product_id": cpu.id, "quantity": 3}), Some(&ada.token)).await.expect_status(200);
        let (status, cleared) = delete(&mesh, "/api/v1/cart", &ada.token).await;
        assert_eq!((status, cleared["item_count"].as_i64()), (200, Some(0)));
    }

    async fn quantities_stock_and_products_are_checked(mesh) {
        let admin = mesh.admin().await;
        let ada = mesh.customer("ada@example.com").await;
        let gpu = mesh.product(&admin, "GPU", 59_900, 3).await;
        let plenty = mesh.product(&admin, "PLENTY", 100, 500).await;

        let too_many = mesh.http.post("/api/v1/cart/items", json!({"product_id": gpu.id, "quantity": 4}), Some(&ada.token)).await;
        too_many.expect_status(409);
        assert_eq!(too_many.body["code"], "FAILED_PRECONDITION");
        assert!(too_many.body["detail"].as_str().unwrap().contains("only 3"), "{}", too_many.body);

        for quantity in [0, -1, 100] {
            let reply = mesh.http.post("/api/v1/cart/items", json!({"product_id": plenty.id, "quantity": quantity}), Some(&ada.token)).await;
            reply.expect_status(400);
            assert_eq!(reply.body["errors"][0]["field"], "quantity", "quantity {quantity}");
        }
        mesh.http.post("/api/v1/cart/items", json!({"product_id": plenty.id, "quantity": 90}), Some(&ada.token)).await.expect_status(200);
        let past_max = mesh.http.post("/api/v1/cart/items", json!({"product_id": plenty.id, "quantity": 10}), Some(&ada.token)).await;
        past_max.expect_status(400);
        assert!(past_max.body["detail"].as_str().unwrap().contains("already has 90"));

        let unknown = mesh.http.post("/api/v1/cart/items", json!({"product_id": "no-such-product", "quantity": 1}), Some(&ada.token)).await;
        unknown.expect_status(404);
        assert!(unknown.body["detail"].as_str().unwrap().starts_with("product_id:"));
        mesh.products().delete_product(bearer(products_pb::DeleteProductRequest { product_id: gpu.id.clone() }, &admin.token)).await.unwrap();
        let archived = mesh.http.post("/api/v1/cart/items", json!({"product_id": gpu.id, "quantity": 1}), Some(&ada.token)).await;
        archived.expect_status(404);
        let missing_field = mesh.http.post("/api/v1/cart/items", json!({"quantity": 1}), Some(&ada.token)).await;
        missing_field.expect_status(400);
        assert_eq!(missing_field.body["errors"][0]["field"], "product_id");
        mesh.http.get("/api/v1/cart", None).await.expect_status(401);
    }

    async fn concurrent_adds_to_one_line_are_never_lost(mesh) {
        let admin = mesh.admin().await;
        let ada = mesh.customer("ada@example.com").await;
        let product = mesh.product(&admin, "BUSY", 100, 1000).await;
        let adds = (0..10).map(|_| {
            let mut cart = mesh.cart();
            let request = bearer(cart_pb::AddItemRequest { user_id: String::new(), product_id: product.id.clone(), quantity: 3 }, &ada.token);
            async move { cart.add_item(request).await }
        });
        for result in futures::future::join_all(adds).await {
            result.unwrap();
        }
        let cart = mesh.cart().get_cart(bearer(cart_pb::GetCartRequest::default(), &ada.token)).await.unwrap().into_inner().cart.unwrap();
        assert_eq!(cart.lines[0].quantity, 30);
    }

    async fn one_user_never_sees_or_changes_anothers_cart(mesh) {
        let admin = mesh.admin().await;
        let ada = mesh.customer("ada@example.com").await;
        let bob = mesh.customer("bob@example.com").await;
        let product = mesh.product(&admin, "MINE", 1_000, 10).await;
        mesh.http.post("/api/v1/cart/items", json!({"product_id": product.id, "quantity": 2}), Some(&ada.token)).await.expect_status(200);

        // REST and GraphQL offer no way to name another user: Bob sees his own, empty cart.
        let bobs = mesh.http.get("/api/v1/cart", Some(&bob.token)).await;
        assert_eq!((&bobs.body["item_count"], &bobs.body["total"]), (&json!(0), &json!({"amount_minor": 0, "currency": "USD"})));
        let bobs = mesh.http.graphql("{ cart { itemCount total { amountMinor currency } } }", json!({}), Some(&bob.token)).await;
        assert_eq!(bobs.body["data"]["cart"], json!({"itemCount": 0, "total": {"amountMinor": 0, "currency": "USD"}}));
        mesh.http.raw().delete(mesh.http.url("/api/v1/cart")).bearer_auth(&bob.token).send().await.unwrap();

        // Over gRPC, naming Ada is refused for Bob, and for an admin too.
        let read = mesh.cart().get_cart(bearer(cart_pb::GetCartRequest { user_id: ada.id.clone() }, &bob.token)).await.unwrap_err();
        assert_eq!(read.code(), Code::PermissionDenied);
        let write = mesh.cart().clear_cart(bearer(cart_pb::ClearCartRequest { user_id: ada.id.clone() }, &bob.token)).await.unwrap_err();
        assert_eq!(write.code(), Code::PermissionDenied);
        let add = mesh.cart().add_item(bearer(cart_pb::AddItemRequest { user_id: ada.id.clone(), product_id: product.id.clone(), quantity: 1 }, &bob.token)).await.unwrap_err();
        assert_eq!(add.code(), Code::PermissionDenied);
        let by_admin = mesh.cart().get_cart(bearer(cart_pb::GetCartRequest { user_id: ada.id.clone() }, &admin.token)).await.unwrap_err();
        assert_eq!(by_admin.code(), Code::PermissionDenied);
        let anonymous = mesh.cart().get_cart(cart_pb::GetCartRequest::default()).await.unwrap_err();
        assert_eq!(anonymous.code(), Code::Unauthenticated);

        let adas = mesh.http.get("/api/v1/cart", Some(&ada.token)).await;
        assert_eq!(adas.body["item_count"], 2, "Ada's cart is untouched");

        // A service names the user it acts for (orders during checkout).
        let service = mesh.service_token().await;
        let as_service = mesh.cart().get_cart(bearer(cart_pb::GetCartRequest { user_id: ada.id.clone() }, &service)).await.unwrap().into_inner().cart.unwrap();
        assert_eq!((as_service.user_id.as_str(), as_service.item_count), (ada.id.as_str(), 2));
        let unnamed = mesh.cart().get_cart(bearer(cart_pb::GetCartRequest::default(), &service)).await.unwrap_err();
        assert_eq!(unnamed.code(), Code::InvalidArgument);
        mesh.cart().clear_cart(bearer(cart_pb::ClearCartRequest { user_id: ada.id.clone() }, &service)).await.unwrap();
        assert_eq!(mesh.http.get("/api/v1/cart", Some(&ada.token)).await.body["item_count"], 0);
    }

    async fn graphql_cart_mutations(mesh) {
        let admin = mesh.admin().await;
        let ada = mesh.customer("ada@example.com").await;
        let product = mesh.product(&admin, "GQL-CART", 2_500, 10).await;
        let add = mesh.http.graphql("mutation($id: ID!) { addToCart(productId: $id, quantity: 2) { total { amountMinor currency } lines { productId quantity subtotal { amountMinor } } } }", json!({"id": product.id}), Some(&ada.token)).await;
        assert_eq!(add.body["data"]["addToCart"]["total"], json!({"amountMinor": 5000, "currency": "USD"}));
        let set = mesh.http.graphql("mutation($id: ID!) { setCartItemQuantity(productId: $id, quantity: 4) { itemCount } }", json!({"id": product.id}), Some(&ada.token)).await;
        assert_eq!(set.body["data"]["setCartItemQuantity"]["itemCount"], 4);
        let too_many = mesh.http.graphql("mutation($id: ID!) { setCartItemQuantity(productId: $id, quantity: 11) { itemCount } }", json!({"id": product.id}), Some(&ada.token)).await;
        assert_eq!(too_many.graphql_error_code(), Some("FAILED_PRECONDITION"));
        let removed = mesh.http.graphql("mutation($id: ID!) { removeFromCart(productId: $id) { itemCount } }", json!({"id": product.id}), Some(&ada.token)).await;
        assert_eq!(removed.body["data"]["removeFromCart"]["itemCount"], 0);
        mesh.http.graphql("mutation($id: ID!) { addToCart(productId: $id) { itemCount } }", json!({"id": product.id}), Some(&ada.token)).await;
        let cleared = mesh.http.graphql("mutation { clearCart { itemCount lines { productId } } }", json!({}), Some(&ada.token)).await;
        assert_eq!(cleared.body["data"]["clearCart"], json!({"itemCount": 0, "lines": []}));
        let anonymous = mesh.http.graphql("{ cart { itemCount } }", json!({}), None).await;
        assert_eq!(anonymous.graphql_error_code(), Some("UNAUTHENTICATED"));
    }

    async fn product_fields_of_cart_lines_are_batched_not_fetched_one_by_one(mesh) {
        let admin = mesh.admin().await;
        let ada = mesh.customer("ada@example.com").await;
        for n in 0..20 {
            let product = mesh.product(&admin, &format!("LINE-{n:02}"), 100 + n, 5).await;
            mesh.cart().add_item(bearer(cart_pb::AddItemRequest { user_id: String::new(), product_id: product.id, quantity: 1 }, &ada.token)).await.unwrap();
        }
        let calls = |text: &str, method: &str| shop_runtime::metrics::sample(text, "rpc_server_requests_total", &[("method", method)]);
        let query = "{ cart { itemCount lines { quantity product { name category stock price { amountMinor } } } } }";

        let before = mesh.products_metrics().await;
        let reply = mesh.http.graphql(query, json!({}), Some(&ada.token)).await;
        let after = mesh.products_metrics().await;
        let lines = reply.body["data"]["cart"]["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 20);
        assert!(lines.iter().all(|line| line["product"]["category"] == "Test"), "{}", reply.body);

        // One BatchGetProducts prices the cart in the cart service; one more
        // resolves the 20 `product` fields at the edge. No GetProduct at all.
        assert_eq!(calls(&after, "GetProduct") - calls(&before, "GetProduct"), 0.0);
        assert_eq!(calls(&after, "BatchGetProducts") - calls(&before, "BatchGetProducts"), 2.0);
    }
}
