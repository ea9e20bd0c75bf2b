//! What the edge offers besides the API itself: the OpenAPI document and its
//! docs page, GraphiQL, health and readiness, limits and errors for unknown routes.

use integration_tests::mesh_tests;
use serde_json::json;

mesh_tests! {
    async fn the_openapi_document_is_3_1_and_lists_every_route(mesh) {
        let doc = mesh.http.get("/api/v1/openapi.json", None).await;
        doc.expect_status(200);
        assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc.body["openapi"]);
        for (path, method) in [
            ("/api/v1/users/register", "post"),
            ("/api/v1/users/login", "post"),
            ("/api/v1/users/refresh", "post"),
            ("/api/v1/users/logout", "post"),
            ("/api/v1/me", "get"),
            ("/api/v1/products", "get"),
            ("/api/v1/products", "post"),
            ("/api/v1/products/{id}", "get"),
            ("/api/v1/products/{id}", "patch"),
            ("/api/v1/products/{id}", "delete"),
            ("/api/v1/products/{id}/stock", "post"),
            ("/api/v1/categories", "get"),
            ("/api/v1/cart", "get"),
            ("/api/v1/cart", "delete"),
            ("/api/v1/cart/items", "post"),
            ("/api/v1/cart/items/{product_id}", "patch"),
            ("/api/v1/cart/items/{product_id}", "delete"),
            ("/api/v1/orders", "post"),
            ("/api/v1/orders", "get"),
            ("/api/v1/orders/{id}", "get"),
            ("/api/v1/orders/{id}/cancel", "post"),
            ("/api/v1/orders/{id}/status", "post"),
            ("/api/v1/orders/{id}/payments", "get"),
            ("/api/v1/notifications", "get"),
            ("/api/v1/notifications/preferences", "get"),
            ("/api/v1/notifications/preferences", "put"),
        ] {
            assert!(doc.body["paths"][path][method].is_object(), "{method} {path} is documented");
        }
        assert_eq!(doc.body["info"]["title"], "Shop mesh REST API", "the document describes this API");
        assert_eq!(doc.body["tags"].as_array().map(Vec::len), Some(5), "{}", doc.body["tags"]);
        assert_eq!(doc.body["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        let product = &doc.body["components"]["schemas"]["Product"]["properties"];
        assert_eq!(product["price"]["$ref"], "#/components/schemas/Money");
        assert_eq!(doc.body["components"]["schemas"]["Money"]["properties"]["amount_minor"]["type"], "integer");
        let checkout = &doc.body["paths"]["/api/v1/orders"]["post"];
        let key = checkout["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "Idempotency-Key").unwrap();
        assert_eq!((key["in"].as_str(), key["required"].as_bool()), (Some("header"), Some(true)));
        let start = mesh.http.raw().get(mesh.http.url("/api/v1/docs/assets/docs-start.js")).send().await.unwrap();
        assert!(start.text().await.unwrap().contains("\"/api/v1/openapi.json\""), "the docs page reads this document");
    }

    async fn graphiql_and_the_docs_load_everything_from_the_edge_itself(mesh) {
        for (page, title) in [("/graphql", "GraphiQL"), ("/api/v1/docs", "REST API")] {
            let response = mesh.http.raw().get(mesh.http.url(page)).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{page}");
            let policy = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
            assert!(policy.starts_with("default-src 'self'; script-src 'self';"), "{page}: {policy}");
            let html = response.text().await.unwrap();
            assert!(html.contains(title), "{page}");
            let links: Vec<&str> = html
                .split(['"', '\''])
                .filter(|part| part.starts_with('/') || part.starts_with("http"))
                .collect();
            assert!(links.len() >= 3, "{page} loads its scripts and styles: {links:?}");
            for link in links {
                assert!(link.starts_with('/'), "{page} loads {link} from elsewhere");
                let asset = mesh.http.raw().get(mesh.http.url(link)).send().await.unwrap();
                assert_eq!(asset.status().as_u16(), 200, "{link}");
                let kind = asset.headers()["content-type"].to_str().unwrap().to_owned();
                assert!(kind.starts_with("text/javascript") || kind.starts_with("text/css"), "{link}: {kind}");
                let etag = asset.headers()["etag"].clone();
                let served = asset.bytes().await.unwrap();
                let file = link.rsplit('/').next().unwrap();
                let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../edge/assets");
                let original = std::fs::read(assets.join("vendor").join(file)).or_else(|_| std::fs::read(assets.join(file))).unwrap();
                assert!(served == original, "{link}: a client without gzip gets the file as it is in edge/assets");
                let again = mesh.http.raw().get(mesh.http.url(link)).header("if-none-match", etag).send().await.unwrap();
                assert_eq!(again.status().as_u16(), 304, "{link} revalidates without a body");
            }
        }
        let zipped = mesh.http.raw().get(mesh.http.url("/graphql/assets/graphiql.min.js"))
            .header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(zipped.headers()["content-encoding"], "gzip");
        assert_eq!(zipped.bytes().await.unwrap()[..2], [0x1f, 0x8b], "stored gzipped, sent as it is");
        let missing = mesh.http.get("/graphql/assets/nope.js", None).await;
        missing.expect_status(404);
        assert_eq!(missing.content_type, "application/problem+json");
    }

    async fn readiness_follows_the_downstreams(mesh) {
        mesh.http.get("/healthz", None).await.expect_status(200);
        let ready = mesh.http.get("/readyz", None).await;
        ready.expect_status(200);
        for downstream in ["users", "products", "cart", "orders", "payments"] {
            assert_eq!(ready.body["checks"][downstream], "SERVING", "{downstream}");
        }

        mesh.stop_users().await;
        let not_ready = mesh.http.get("/readyz", None).await;
        not_ready.expect_status(503);
        assert_eq!(not_ready.body["status"], "not_ready");
        mesh.http.get("/healthz", None).await.expect_status(200);

        // A call that needs the stopped service fails as unavailable, without leaking addresses.
        let login = mesh.http.post("/api/v1/users/login", json!({"email": "a@example.com", "password": "whatever1"}), None).await;
        login.expect_status(503);
        assert!(!login.body["detail"].as_str().unwrap().contains("127.0.0.1"), "{}", login.body);
    }

    async fn unknown_routes_and_methods_are_problem_json(mesh) {
        let reply = mesh.http.get("/api/v1/nope", None).await;
        reply.expect_status(404);
        assert_eq!(reply.content_type, "application/problem+json");

        let response = mesh.http.raw().delete(mesh.http.url("/api/v1/categories")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 405);
        assert_eq!(response.headers()["allow"], "GET,HEAD");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!((problem["status"].as_u64(), problem["code"].as_str()), (Some(405), Some("METHOD_NOT_ALLOWED")));
    }

    async fn malformed_graphql_requests_are_problems_naming_the_field(mesh) {
        let reply = mesh.http.post("/graphql", json!({"query": 5}), None).await;
        reply.expect_status(400);
        assert_eq!(reply.content_type, "application/problem+json");
        assert_eq!(reply.body["errors"][0]["field"], "query", "{}", reply.body);
        let not_json = mesh.http.raw().post(mesh.http.url("/graphql")).body("{ me { id } }").send().await.unwrap();
        assert_eq!(not_json.status().as_u16(), 400);
    }

    async fn oversized_bodies_are_refused(mesh) {
        let huge = json!({"email": "a@example.com", "password": "x".repeat(2 * 1024 * 1024), "name": "A"}).to_string();
        let declared = format!("POST /api/v1/users/register HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: {}", huge.len());
        let response = mesh.http.send_raw(&declared, huge.clone().into_bytes()).await;
        assert!(response.starts_with("HTTP/1.1 413"), "{response}");
        assert!(response.contains("application/problem+json"), "{response}");
        assert!(response.contains(r#""code":"PAYLOAD_TOO_LARGE""#), "{response}");

        // Without a length up front, the limit applies while the body streams in.
        let chunked = format!("{:x}\r\n{huge}\r\n0\r\n\r\n", huge.len());
        let streamed = "POST /api/v1/users/register HTTP/1.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked";
        let response = mesh.http.send_raw(streamed, chunked.clone().into_bytes()).await;
        assert!(response.starts_with("HTTP/1.1 413"), "{response}");
        assert!(response.contains(r#""code":"PAYLOAD_TOO_LARGE""#), "{response}");
        let graphql = "POST /graphql HTTP/1.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked";
        let response = mesh.http.send_raw(graphql, chunked.into_bytes()).await;
        assert!(response.starts_with("HTTP/1.1 413"), "{response}");

        // Nothing was registered.
        let login = mesh.http.post("/api/v1/users/login", json!({"email": "a@example.com", "password": "x"}), None).await;
        login.expect_status(401);
    }

    async fn every_response_carries_a_request_id_and_cors_headers(mesh) {
        let response = mesh.http.raw().get(mesh.http.url("/healthz")).header("origin", "https://shop.example").send().await.unwrap();
        assert!(response.headers().contains_key("x-request-id"));
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        let mine = mesh.http.raw().get(mesh.http.url("/healthz")).header("x-request-id", "req-123").send().await.unwrap();
        assert_eq!(mine.headers()["x-request-id"], "req-123");
    }
}
