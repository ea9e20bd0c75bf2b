//! The users surface over GraphQL: the same behaviour, and the same error
//! codes for the same mistakes, as REST.

use integration_tests::{TestMesh, mesh_tests};
use serde_json::{Value, json};

const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken expiresIn user { id email name role createdAt } } }";
const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken user { id } } }";
const REFRESH: &str = "mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken } }";
const LOGOUT: &str = "mutation($token: String!) { logout(refreshToken: $token) }";
const ME: &str = "{ me { id email name role } }";

async fn register(mesh: &TestMesh, email: &str) -> Value {
    let reply = mesh
        .http
        .graphql(REGISTER, json!({"input": {"email": email, "password": "correct horse", "name": "Ada"}}), None)
        .await;
    reply.expect_status(200);
    assert!(reply.body["errors"].is_null(), "{}", reply.body);
    reply.body["data"]["register"].clone()
}

mesh_tests! {
    async fn register_login_and_me(mesh) {
        let session = register(&mesh, "Ada@Example.com").await;
        assert_eq!(session["user"]["email"], "ada@example.com");
        assert_eq!(session["user"]["role"], "CUSTOMER");
        assert_eq!(session["expiresIn"], 900);

        let login = mesh.http.graphql(LOGIN, json!({"input": {"email": "ada@example.com", "password": "correct horse"}}), None).await;
        let token = login.body["data"]["login"]["accessToken"].as_str().unwrap();
        let me = mesh.http.graphql(ME, json!({}), Some(token)).await;
        assert_eq!(me.body["data"]["me"]["id"], session["user"]["id"]);
        assert_eq!(me.body["data"]["me"]["name"], "Ada");
    }

    async fn the_same_account_works_across_graphql_and_rest(mesh) {
        let session = register(&mesh, "ada@example.com").await;
        let rest_login = mesh.http.post("/api/v1/users/login", json!({"email": "ada@example.com", "password": "correct horse"}), None).await;
        rest_login.expect_status(200);
        let rest_me = mesh.http.get("/api/v1/me", session["accessToken"].as_str()).await;
        assert_eq!(rest_me.body["id"], session["user"]["id"]);
    }

    async fn the_same_mistakes_give_the_same_codes_as_rest(mesh) {
        register(&mesh, "ada@example.com").await;
        let cases = [
            (REGISTER, json!({"input": {"email": "ada@example.com", "password": "correct horse", "name": "Ada"}}), "/api/v1/users/register", json!({"email": "ada@example.com", "password": "correct horse", "name": "Ada"})),
            (REGISTER, json!({"input": {"email": "nope", "password": "correct horse", "name": "Ada"}}), "/api/v1/users/register", json!({"email": "nope", "password": "correct horse", "name": "Ada"})),
            (LOGIN, json!({"input": {"email": "ada@example.com", "password": "wrong horse"}}), "/api/v1/users/login", json!({"email": "ada@example.com", "password": "wrong horse"})),
            (REFRESH, json!({"token": "not-a-token"}), "/api/v1/users/refresh", json!({"refresh_token": "not-a-token"})),
        ];
        for (query, variables, path, body) in cases {
            let graphql = mesh.http.graphql(query, variables, None).await;
            let rest = mesh.http.post(path, body, None).await;
            assert_eq!(graphql.graphql_error_code(), rest.body["code"].as_str(), "{path}: {} vs {}", graphql.body, rest.body);
            assert_eq!(graphql.body["errors"][0]["extensions"]["status"], rest.status.as_u16(), "{path}");
            assert_eq!(graphql.body["errors"][0]["message"], rest.body["detail"], "{path}");
        }
        let me = mesh.http.graphql(ME, json!({}), None).await;
        assert_eq!(me.graphql_error_code(), Some("UNAUTHENTICATED"));
    }

    async fn invalid_fields_are_named_in_extensions(mesh) {
        let reply = mesh.http.graphql(REGISTER, json!({"input": {"email": "nope", "password": "short", "name": "Ada"}}), None).await;
        assert_eq!(reply.graphql_error_code(), Some("BAD_USER_INPUT"));
        assert_eq!(reply.body["errors"][0]["extensions"]["fields"], json!(["email", "password"]));
        assert!(reply.body["data"].is_null());
    }

    async fn refresh_rotation_and_logout(mesh) {
        let session = register(&mesh, "ada@example.com").await;
        let original = session["refreshToken"].as_str().unwrap();
        let rotated = mesh.http.graphql(REFRESH, json!({"token": original}), None).await;
        let replacement = rotated.body["data"]["refreshToken"]["refreshToken"].as_str().unwrap().to_owned();
        assert_ne!(replacement, original);
        let replay = mesh.http.graphql(REFRESH, json!({"token": original}), None).await;
        assert_eq!(replay.graphql_error_code(), Some("UNAUTHENTICATED"));
        let revoked = mesh.http.graphql(REFRESH, json!({"token": replacement}), None).await;
        assert_eq!(revoked.graphql_error_code(), Some("UNAUTHENTICATED"));

        let fresh = mesh.http.graphql(LOGIN, json!({"input": {"email": "ada@example.com", "password": "correct horse"}}), None).await;
        let token = fresh.body["data"]["login"]["refreshToken"].as_str().unwrap().to_owned();
        let out = mesh.http.graphql(LOGOUT, json!({"token": token}), None).await;
        assert_eq!(out.body["data"]["logout"], true);
        let after = mesh.http.graphql(REFRESH, json!({"token": token}), None).await;
        assert_eq!(after.graphql_error_code(), Some("UNAUTHENTICATED"));
    }

    async fn public_mutations_ignore_a_stale_token_but_me_refuses_it(mesh) {
        let session = register(&mesh, "ada@example.com").await;
        let id = session["user"]["id"].as_str().unwrap();
        let expired = integration_tests::tokens::signed(mesh.keys.private_pem.expose(), &integration_tests::tokens::claims(id, "customer", -3600));
        let refreshed = mesh.http.graphql(REFRESH, json!({"token": session["refreshToken"]}), Some(&expired)).await;
        assert!(refreshed.body["errors"].is_null(), "a client refreshing with its expired token attached: {}", refreshed.body);
        let me = mesh.http.graphql(ME, json!({}), Some(&expired)).await;
        assert_eq!(me.graphql_error_code(), Some("UNAUTHENTICATED"));
    }

    async fn queries_nested_past_the_depth_limit_are_refused(mesh) {
        let deep = "{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } } } }";
        let reply = mesh.http.graphql(deep, json!({}), None).await;
        let message = reply.body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("nested too deep"), "{}", reply.body);
    }
}
