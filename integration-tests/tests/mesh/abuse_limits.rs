//! Abuse limits: sign-in, refresh and registration are throttled per
//! account and per client address (429 with Retry-After over REST,
//! RESOURCE_EXHAUSTED with `retryAfter` in GraphQL and a RetryInfo over
//! gRPC), nobody can throttle a victim from elsewhere, and GraphQL bounds
//! aliases, root fields and batches, with introspection switched off.

use integration_tests::{HttpClient, MeshOptions, Reply, mesh_tests_with};
use serde_json::{Value, json};
use shop_edge::config::HttpLimits;
use shop_proto::users::v1 as pb;
use shop_users::config::AbuseLimits;

const ATTACKER: &str = "203.0.113.9";
const VICTIM: &str = "198.51.100.1";

fn options() -> MeshOptions {
    MeshOptions {
        users_limits: AbuseLimits {
            login_attempts_per_minute: 3,
            login_attempts_per_minute_per_address: 6,
            refreshes_per_minute: 2,
            refreshes_per_minute_per_address: 100,
            registrations_per_hour_per_address: 3,
        },
        // One proxy in front: the client is the address it appended.
        edge_limits: HttpLimits {
            graphql_max_aliases: 3,
            graphql_max_root_fields: 3,
            graphql_max_batch: 2,
            graphql_introspection: false,
            trusted_proxy_hops: 1,
            ..HttpLimits::default()
        },
        ..MeshOptions::default()
    }
}

/// `POST path` as a client at `from` (the proxy's `X-Forwarded-For`, after
/// whatever the client itself claimed).
async fn post_from(http: &HttpClient, from: &str, path: &str, body: Value) -> (Reply, Option<u64>) {
    let forwarded = format!("10.9.8.7, {from}");
    let response =
        http.raw().post(http.url(path)).header("x-forwarded-for", forwarded).json(&body).send().await.unwrap();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
    let status = response.status();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    (Reply { status, content_type, body: response.json().await.unwrap() }, retry_after)
}

async fn register(http: &HttpClient, from: &str, email: &str) -> (Reply, Option<u64>) {
    let body = json!({"email": email, "password": "correct horse", "name": "Ada"});
    post_from(http, from, "/api/v1/users/register", body).await
}

async fn login(http: &HttpClient, from: &str, email: &str, password: &str) -> (Reply, Option<u64>) {
    post_from(http, from, "/api/v1/users/login", json!({"email": email, "password": password})).await
}

mesh_tests_with! { options();
    async fn sign_in_is_throttled_per_account_and_address_and_the_victim_still_gets_in(mesh) {
        register(&mesh.http, VICTIM, "ada@example.com").await.0.expect_status(201);
        for _ in 0..3 {
            login(&mesh.http, ATTACKER, "ada@example.com", "guess").await.0.expect_status(401);
        }
        // The right password from the attacker's address is not even tried.
        let (throttled, retry_after) = login(&mesh.http, ATTACKER, "ADA@example.com ", "correct horse").await;
        throttled.expect_status(429);
        assert_eq!(throttled.content_type, "application/problem+json");
        assert_eq!(throttled.body["code"], "RESOURCE_EXHAUSTED", "{}", throttled.body);
        assert!(throttled.body["detail"].as_str().unwrap().contains("sign-in attempts for this account"), "{}", throttled.body);
        let retry_after = retry_after.expect("a Retry-After header");
        assert!((1..=20).contains(&retry_after), "one attempt comes back every 20 s: {retry_after}");

        // GraphQL says the same, with the delay in extensions.
        let query = json!({"query": "mutation { login(input: {email: \"ada@example.com\", password: \"guess\"}) { accessToken } }"});
        let (graphql, _) = post_from(&mesh.http, ATTACKER, "/graphql", query).await;
        graphql.expect_status(200);
        assert_eq!(graphql.graphql_error_code(), Some("RESOURCE_EXHAUSTED"), "{}", graphql.body);
        assert!(graphql.body["errors"][0]["extensions"]["retryAfter"].as_u64().is_some_and(|s| (1..=20).contains(&s)), "{}", graphql.body);

        // The victim, from their own address, is not locked out.
        login(&mesh.http, VICTIM, "ada@example.com", "correct horse").await.0.expect_status(200);
        // Nor is another account at the attacker's address.
        login(&mesh.http, ATTACKER, "grace@example.com", "guess").await.0.expect_status(401);
    }

    async fn an_address_is_throttled_across_accounts_and_over_grpc(mesh) {
        for n in 0..6 {
            login(&mesh.http, ATTACKER, &format!("user{n}@example.com"), "guess").await.0.expect_status(401);
        }
        let (throttled, _) = login(&mesh.http, ATTACKER, "user99@example.com", "guess").await;
        throttled.expect_status(429);
        assert!(throttled.body["detail"].as_str().unwrap().contains("from this address"), "{}", throttled.body);

        // A direct gRPC caller is counted by its own address: RESOURCE_EXHAUSTED with a RetryInfo.
        let attempt = || pb::LoginRequest { email: "grace@example.com".into(), password: "guess".into() };
        for _ in 0..3 {
            let refused = mesh.users().login(attempt()).await.unwrap_err();
            assert_eq!(refused.code(), tonic::Code::Unauthenticated);
        }
        let throttled = mesh.users().login(attempt()).await.unwrap_err();
        assert_eq!(throttled.code(), tonic::Code::ResourceExhausted, "{throttled:?}");
        let delay = shop_runtime::grpc::status::retry_after(&throttled).expect("a RetryInfo detail");
        assert!(delay > std::time::Duration::ZERO && delay <= std::time::Duration::from_secs(20), "{delay:?}");
    }

    async fn registration_is_throttled_per_address(mesh) {
        for n in 0..3 {
            register(&mesh.http, ATTACKER, &format!("bulk{n}@example.com")).await.0.expect_status(201);
        }
        let (throttled, retry_after) = register(&mesh.http, ATTACKER, "bulk3@example.com").await;
        throttled.expect_status(429);
        assert!(retry_after.is_some_and(|s| (1..=1200).contains(&s)), "one registration comes back every 20 min: {retry_after:?}");
        register(&mesh.http, VICTIM, "bulk3@example.com").await.0.expect_status(201);
        // The refused one made nothing.
        login(&mesh.http, VICTIM, "bulk3@example.com", "correct horse").await.0.expect_status(200);
        let count = mesh.users().list_users(integration_tests::bearer(pb::ListUsersRequest { page_size: 50, ..Default::default() }, &mesh.admin().await.token)).await.unwrap().into_inner().users.len();
        assert_eq!(count, 5, "the admin and four customers");
    }

    async fn refresh_is_throttled_per_account_from_any_address(mesh) {
        let (session, _) = register(&mesh.http, VICTIM, "ada@example.com").await;
        let mut token = session.body["refresh_token"].as_str().unwrap().to_owned();
        for _ in 0..2 {
            let (rotated, _) = post_from(&mesh.http, VICTIM, "/api/v1/users/refresh", json!({"refresh_token": token})).await;
            rotated.expect_status(200);
            token = rotated.body["refresh_token"].as_str().unwrap().to_owned();
        }
        let (throttled, retry_after) = post_from(&mesh.http, ATTACKER, "/api/v1/users/refresh", json!({"refresh_token": token})).await;
        throttled.expect_status(429);
        assert!(retry_after.is_some_and(|s| (1..=30).contains(&s)), "{retry_after:?}");
        assert!(throttled.body["detail"].as_str().unwrap().contains("refreshes for this account"), "{}", throttled.body);
    }

    async fn graphql_bounds_aliases_root_fields_and_batches_and_hides_its_schema(mesh) {
        let aliased = mesh.http.graphql("{ a: categories { name } b: categories { name } c: categories { name } d: categories { name } }", json!({}), None).await;
        assert_eq!(aliased.graphql_error_code(), Some("BAD_USER_INPUT"), "{}", aliased.body);
        assert!(aliased.body["errors"][0]["message"].as_str().unwrap().contains("4 aliased fields"), "{}", aliased.body);
        assert!(aliased.body["data"].is_null(), "nothing ran: {}", aliased.body);

        let wide = "{ categories { name } products { totalCount } more: categories { name } ...F } fragment F on Query { me { id } }";
        let wide = mesh.http.graphql(wide, json!({}), None).await;
        assert!(wide.body["errors"][0]["message"].as_str().unwrap().contains("4 root fields"), "{}", wide.body);

        let op = json!({"query": "{ categories { name } }"});
        let batch = mesh.http.post("/graphql", json!([op, op]), None).await;
        batch.expect_status(200);
        assert_eq!(batch.body.as_array().map(Vec::len), Some(2), "{}", batch.body);
        assert!(batch.body[1]["data"]["categories"].is_array(), "{}", batch.body);
        let too_many = mesh.http.post("/graphql", json!([op, op, op]), None).await;
        too_many.expect_status(400);
        assert!(too_many.body["detail"].as_str().unwrap().contains("3 operations; at most 2"), "{}", too_many.body);

        // Switched off, introspection answers nothing (async-graphql's null).
        let introspection = mesh.http.graphql("{ __schema { types { name } } __type(name: \"Query\") { name } }", json!({}), None).await;
        assert_eq!(introspection.body["data"], json!({"__schema": null, "__type": null}), "{}", introspection.body);
    }
}
