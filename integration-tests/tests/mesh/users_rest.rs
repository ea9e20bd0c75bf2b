//! The users surface over REST, through the edge, into a real database.

use integration_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, TestMesh, mesh_tests};
use serde_json::{Value, json};

async fn register(mesh: &TestMesh, email: &str) -> Value {
    let reply = mesh
        .http
        .post("/api/v1/users/register", json!({"email": email, "password": "correct horse", "name": "Ada"}), None)
        .await;
    reply.expect_status(201);
    reply.body
}

mesh_tests! {
    async fn register_login_and_me(mesh) {
        let registered = register(&mesh, "  Ada@Example.COM ").await;
        assert_eq!(registered["user"]["email"], "ada@example.com", "email is normalised");
        assert_eq!(registered["user"]["role"], "customer");
        assert_eq!(registered["expires_in"], 900);
        let id = registered["user"]["id"].as_str().unwrap().to_owned();

        let login = mesh.http.post("/api/v1/users/login", json!({"email": "ADA@example.com", "password": "correct horse"}), None).await;
        login.expect_status(200);
        assert_eq!(login.body["user"]["id"], id.as_str());
        let token = login.body["access_token"].as_str().unwrap();

        let me = mesh.http.get("/api/v1/me", Some(token)).await;
        me.expect_status(200);
        assert_eq!(me.body["id"], id.as_str());
        assert_eq!(me.body["name"], "Ada");
        assert!(me.body["created_at"].as_str().unwrap().ends_with('Z'));
    }

    async fn me_without_a_token_is_401_problem_json(mesh) {
        let reply = mesh.http.get("/api/v1/me", None).await;
        reply.expect_status(401);
        assert_eq!(reply.content_type, "application/problem+json");
        assert_eq!(reply.body["code"], "UNAUTHENTICATED");
        assert_eq!(reply.body["status"], 401);
    }

    async fn a_taken_email_is_409(mesh) {
        register(&mesh, "ada@example.com").await;
        let again = mesh.http.post("/api/v1/users/register", json!({"email": "ADA@example.com", "password": "another horse", "name": "Imposter"}), None).await;
        again.expect_status(409);
        assert_eq!(again.body["code"], "CONFLICT");
        assert_eq!(again.body["detail"], "email: already registered");
    }

    async fn bad_input_is_400_naming_every_field_and_writes_nothing(mesh) {
        let reply = mesh.http.post("/api/v1/users/register", json!({"email": "not-an-email", "password": "short", "name": "  "}), None).await;
        reply.expect_status(400);
        assert_eq!(reply.content_type, "application/problem+json");
        let fields: Vec<_> = reply.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["email", "password", "name"]);
        let login = mesh.http.post("/api/v1/users/login", json!({"email": "not-an-email", "password": "short"}), None).await;
        login.expect_status(401);
    }

    async fn malformed_bodies_name_the_field(mesh) {
        let missing = mesh.http.post("/api/v1/users/register", json!({"email": "a@example.com", "name": "A"}), None).await;
        missing.expect_status(400);
        assert_eq!(missing.body["errors"][0]["field"], "password");
        let wrong_type = mesh.http.post("/api/v1/users/login", json!({"email": 42, "password": "x"}), None).await;
        wrong_type.expect_status(400);
        assert_eq!(wrong_type.body["errors"][0]["field"], "email");
        let not_json = mesh.http.raw().post(mesh.http.url("/api/v1/users/login")).body("email=a").send().await.unwrap();
        assert_eq!(not_json.status().as_u16(), 400);
    }

    async fn wrong_password_and_unknown_email_fail_alike(mesh) {
        register(&mesh, "ada@example.com").await;
        let wrong = mesh.http.post("/api/v1/users/login", json!({"email": "ada@example.com", "password": "wrong horse"}), None).await;
        let unknown = mesh.http.post("/api/v1/users/login", json!({"email": "nobody@example.com", "password": "wrong horse"}), None).await;
        wrong.expect_status(401);
        unknown.expect_status(401);
        assert_eq!(wrong.body, unknown.body);
    }

    async fn refresh_rotates_and_a_replayed_token_revokes_the_session(mesh) {
        let first = register(&mesh, "ada@example.com").await;
        let original = first["refresh_token"].as_str().unwrap();

        let rotated = mesh.http.post("/api/v1/users/refresh", json!({"refresh_token": original}), None).await;
        rotated.expect_status(200);
        let replacement = rotated.body["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(replacement, original);
        mesh.http.get("/api/v1/me", rotated.body["access_token"].as_str()).await.expect_status(200);

        // The spent token comes back: a thief or a replay. It fails, and so
        // does everything else from that session.
        let replay = mesh.http.post("/api/v1/users/refresh", json!({"refresh_token": original}), None).await;
        replay.expect_status(401);
        let after = mesh.http.post("/api/v1/users/refresh", json!({"refresh_token": replacement}), None).await;
        after.expect_status(401);

        // Other sessions of the same account live on.
        let other = mesh.http.post("/api/v1/users/login", json!({"email": "ada@example.com", "password": "correct horse"}), None).await;
        let other_refresh = other.body["refresh_token"].as_str().unwrap();
        mesh.http.post("/api/v1/users/refresh", json!({"refresh_token": other_refresh}), None).await.expect_status(200);
    }

    async fn concurrent_refreshes_spend_a_token_once(mesh) {
        let session = register(&mesh, "ada@example.com").await;
        let token = session["refresh_token"].as_str().unwrap();
        let attempts = (0..8).map(|_| mesh.http.post("/api/v1/users/refresh", json!({"refresh_token": token}), None));
        let replies = futures::future::join_all(attempts).await;
        let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 401), "{statuses:?}");
    }

    async fn logout_revokes_the_refresh_token_and_is_idempotent(mesh) {
        let session = register(&mesh, "ada@example.com").await;
        let token = session["refresh_token"].as_str().unwrap();
        let out = mesh.http.post("/api/v1/users/logout", json!({"refresh_token": token}), None).await;
        out.expect_status(204);
        mesh.http.post("/api/v1/users/refresh", json!({"refresh_token": token}), None).await.expect_status(401);
        mesh.http.post("/api/v1/users/logout", json!({"refresh_token": token}), None).await.expect_status(204);
        mesh.http.post("/api/v1/users/logout", json!({"refresh_token": ""}), None).await.expect_status(400);
    }

    async fn the_seeded_admin_is_an_admin(mesh) {
        let login = mesh.http.post("/api/v1/users/login", json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}), None).await;
        login.expect_status(200);
        assert_eq!(login.body["user"]["role"], "admin");
    }

    async fn an_expired_access_token_is_refused(mesh) {
        let session = register(&mesh, "ada@example.com").await;
        let id = session["user"]["id"].as_str().unwrap();
        let expired = integration_tests::tokens::signed(mesh.keys.private_pem.expose(), &integration_tests::tokens::claims(id, "customer", -3600));
        let reply = mesh.http.get("/api/v1/me", Some(&expired)).await;
        reply.expect_status(401);
        assert_eq!(reply.body["code"], "UNAUTHENTICATED");
    }
}
