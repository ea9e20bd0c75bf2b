//! Catalog writes: admins only, on every surface; validation names fields;
//! archiving keeps a product resolvable.

use integration_tests::{bearer, mesh_tests};
use serde_json::{Value, json};
use shop_proto::{common::v1::Money, products::v1 as pb};
use tonic::Code;

fn new_product(sku: &str) -> Value {
    json!({"sku": sku, "name": "Quiet case fan", "description": "140 mm.", "price": {"amount_minor": 1999, "currency": "USD"}, "category": "Cooling", "image_url": "https://img.example/fan.png", "stock": 12})
}

const CREATE: &str = "mutation($input: CreateProductInput!) { createProduct(input: $input) { id sku price { amountMinor currency } stock } }";

mesh_tests! {
    async fn admins_create_change_restock_and_archive_over_rest(mesh) {
        let admin = mesh.admin().await;
        let created = mesh.http.post("/api/v1/products", new_product("FAN-140"), Some(&admin.token)).await;
        created.expect_status(201);
        assert_eq!(created.body["price"], json!({"amount_minor": 1999, "currency": "USD"}));
        assert_eq!((created.body["stock"].as_i64(), created.body["stock_on_hand"].as_i64()), (Some(12), Some(12)));
        let id = created.body["id"].as_str().unwrap().to_owned();

        let patched = mesh.http.raw().patch(mesh.http.url(&format!("/api/v1/products/{id}"))).bearer_auth(&admin.token).json(&json!({"name": "Silent case fan", "price": {"amount_minor": 2499, "currency": "USD"}})).send().await.unwrap();
        assert_eq!(patched.status().as_u16(), 200);
        let patched: Value = patched.json().await.unwrap();
        assert_eq!((patched["name"].as_str(), patched["price"]["amount_minor"].as_i64(), patched["sku"].as_str()), (Some("Silent case fan"), Some(2499), Some("FAN-140")));

        let restocked = mesh.http.post(&format!("/api/v1/products/{id}/stock"), json!({"delta": -2, "reason": "damaged in storage"}), Some(&admin.token)).await;
        restocked.expect_status(200);
        assert_eq!(restocked.body["stock"], 10);

        let archived = mesh.http.raw().delete(mesh.http.url(&format!("/api/v1/products/{id}"))).bearer_auth(&admin.token).send().await.unwrap();
        assert_eq!(archived.status().as_u16(), 200);
        let archived: Value = archived.json().await.unwrap();
        assert_eq!(archived["archived"], true);
        // Deleted from the REST catalog; GraphQL still shows it, archived.
        mesh.http.get(&format!("/api/v1/products/{id}"), None).await.expect_status(404);
        let shown = mesh.http.graphql(&format!("{{ product(id: \"{id}\") {{ archived }} }}"), json!({}), None).await;
        assert_eq!(shown.body["data"]["product"]["archived"], true, "{}", shown.body);
        let listed = mesh.http.get("/api/v1/products?category=Cooling", None).await;
        assert!(listed.body["items"].as_array().unwrap().is_empty());

        mesh.http.get("/api/v1/products/not-a-product", None).await.expect_status(404);
    }

    async fn customers_get_403_and_anonymous_callers_401_for_every_write(mesh) {
        let admin = mesh.admin().await;
        let customer = mesh.customer("ada@example.com").await;
        let product = mesh.product(&admin, "TARGET", 1000, 5).await;
        let id = product.id.as_str();
        let writes: Vec<(&str, String, Value)> = vec![
            ("POST", "/api/v1/products".into(), new_product("NEW-1")),
            ("PATCH", format!("/api/v1/products/{id}"), json!({"name": "Hijacked"})),
            ("DELETE", format!("/api/v1/products/{id}"), Value::Null),
            ("POST", format!("/api/v1/products/{id}/stock"), json!({"delta": 100, "reason": "free stock"})),
        ];
        for (method, path, body) in writes {
            for (token, expected) in [(Some(customer.token.as_str()), 403), (None, 401)] {
                let mut request = mesh.http.raw().request(method.parse().unwrap(), mesh.http.url(&path));
                if !body.is_null() { request = request.json(&body); }
                if let Some(token) = token { request = request.bearer_auth(token); }
                let status = request.send().await.unwrap().status().as_u16();
                assert_eq!(status, expected, "{method} {path} as {}", if token.is_some() { "customer" } else { "anonymous" });
            }
        }

        let mutations = [
            (CREATE, json!({"input": {"sku": "NEW-2", "name": "x", "price": {"amountMinor": 1, "currency": "USD"}, "category": "c"}})),
            ("mutation($id: ID!) { updateProduct(id: $id, input: {name: \"Hijacked\"}) { id } }", json!({"id": id})),
            ("mutation($id: ID!) { deleteProduct(id: $id) { id } }", json!({"id": id})),
            ("mutation($id: ID!) { adjustStock(productId: $id, input: {delta: 100, reason: \"free\"}) { id } }", json!({"id": id})),
        ];
        for (query, variables) in mutations {
            let as_customer = mesh.http.graphql(query, variables.clone(), Some(&customer.token)).await;
            assert_eq!(as_customer.graphql_error_code(), Some("FORBIDDEN"), "{query}");
            let anonymous = mesh.http.graphql(query, variables, None).await;
            assert_eq!(anonymous.graphql_error_code(), Some("UNAUTHENTICATED"), "{query}");
        }

        let grpc_create = pb::CreateProductRequest { sku: "NEW-3".into(), name: "x".into(), price: Some(Money { amount_minor: 1, currency: "USD".into() }), category: "c".into(), ..Default::default() };
        assert_eq!(mesh.products().create_product(bearer(grpc_create.clone(), &customer.token)).await.unwrap_err().code(), Code::PermissionDenied);
        assert_eq!(mesh.products().create_product(grpc_create).await.unwrap_err().code(), Code::Unauthenticated);
        let grpc_adjust = pb::AdjustStockRequest { product_id: id.into(), delta: 100, reason: "free".into() };
        assert_eq!(mesh.products().adjust_stock(bearer(grpc_adjust, &customer.token)).await.unwrap_err().code(), Code::PermissionDenied);

        let unchanged = mesh.products().get_product(pb::GetProductRequest { product_id: id.into() }).await.unwrap().into_inner().product.unwrap();
        assert_eq!((unchanged.name, unchanged.stock, unchanged.archived), (product.name, 5, false), "nothing was written");
    }

    async fn invalid_products_name_their_fields_and_skus_are_unique(mesh) {
        let admin = mesh.admin().await;
        let bad = json!({"sku": "has space", "name": "", "price": {"amount_minor": -5, "currency": "USD"}, "category": "c", "image_url": "ftp://x", "stock": -1});
        let reply = mesh.http.post("/api/v1/products", bad, Some(&admin.token)).await;
        reply.expect_status(400);
        let fields: Vec<_> = reply.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["sku", "name", "price.amount_minor", "image_url", "stock"]);
        let euros = json!({"sku": "EUR-1", "name": "n", "price": {"amount_minor": 5, "currency": "EUR"}, "category": "c"});
        let reply = mesh.http.post("/api/v1/products", euros, Some(&admin.token)).await;
        assert_eq!(reply.body["errors"][0]["field"], "price.currency");

        mesh.http.post("/api/v1/products", new_product("DUP-1"), Some(&admin.token)).await.expect_status(201);
        let again = mesh.http.graphql(CREATE, json!({"input": {"sku": "DUP-1", "name": "x", "price": {"amountMinor": 1, "currency": "USD"}, "category": "c"}}), Some(&admin.token)).await;
        assert_eq!(again.graphql_error_code(), Some("CONFLICT"));
        let empty_patch = mesh.http.raw().patch(mesh.http.url("/api/v1/products/whatever")).bearer_auth(&admin.token).json(&json!({})).send().await.unwrap();
        assert_eq!(empty_patch.status().as_u16(), 400);
    }

    async fn graphql_admins_manage_the_catalog(mesh) {
        let admin = mesh.admin().await;
        let created = mesh.http.graphql(CREATE, json!({"input": {"sku": "GQL-1", "name": "Thermal paste", "price": {"amountMinor": 899, "currency": "USD"}, "category": "Cooling", "stock": 30}}), Some(&admin.token)).await;
        let id = created.body["data"]["createProduct"]["id"].as_str().unwrap().to_owned();
        assert_eq!(created.body["data"]["createProduct"]["stock"], 30);
        let adjusted = mesh.http.graphql("mutation($id: ID!) { adjustStock(productId: $id, input: {delta: -30, reason: \"recall\"}) { stock stockOnHand } }", json!({"id": id}), Some(&admin.token)).await;
        assert_eq!(adjusted.body["data"]["adjustStock"], json!({"stock": 0, "stockOnHand": 0}));
        let fetched = mesh.http.graphql("query($id: ID!) { product(id: $id) { sku imageUrl stock } missing: product(id: \"nope\") { sku } }", json!({"id": id}), None).await;
        assert_eq!(fetched.body["data"]["product"], json!({"sku": "GQL-1", "imageUrl": "", "stock": 0}));
        assert!(fetched.body["data"]["missing"].is_null());
        let deleted = mesh.http.graphql("mutation($id: ID!) { deleteProduct(id: $id) { archived } }", json!({"id": id}), Some(&admin.token)).await;
        assert_eq!(deleted.body["data"]["deleteProduct"]["archived"], true);
    }

    async fn oversized_graphql_pages_are_refused_clearly(mesh) {
        let wide = mesh.http.graphql("{ products(first: 500) { edges { node { id } } } }", json!({}), None).await;
        assert_eq!(wide.graphql_error_code(), Some("BAD_USER_INPUT"), "{}", wide.body);
        assert!(wide.body["errors"][0]["message"].as_str().unwrap().contains("first"));
        // Each aliased page costs 100 x its fields; three of them pass the limit of 5000.
        let page = "products(first: 100) { edges { cursor node { id sku name description category imageUrl stock stockOnHand stockReserved archived createdAt updatedAt price { amountMinor currency } } } }";
        let heavy = format!("{{ a: {page} b: {page} c: {page} }}");
        let reply = mesh.http.graphql(&heavy, json!({}), None).await;
        let message = reply.body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("too complex"), "{}", reply.body);
    }
}
