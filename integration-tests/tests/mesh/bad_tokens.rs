//! Expired, tampered, unsigned, algorithm-confused and foreign tokens are
//! refused at the edge (REST and GraphQL) and at the service itself.

use integration_tests::{TestMesh, mesh_tests, tokens};
use serde_json::json;
use shop_proto::users::v1 as pb;
use tonic::{Code, Request};

/// Every kind of bad token, for a real account, named for the messages.
async fn bad_tokens(mesh: &TestMesh) -> Vec<(&'static str, String)> {
    let session = mesh
        .http
        .post(
            "/api/v1/users/register",
            json!({"email": "ada@example.com", "password": "correct horse", "name": "Ada"}),
            None,
        )
        .await;
    let id = session.body["user"]["id"].as_str().unwrap();
    let good = session.body["access_token"].as_str().unwrap();
    let admin_claims = tokens::claims(id, "admin", 600);
    let other_key = shop_users::keys::generate().unwrap();
    vec![
        ("expired", tokens::signed(mesh.keys.private_pem.expose(), &tokens::claims(id, "customer", -120))),
        ("tampered", tokens::tampered(good, &admin_claims)),
        ("alg none", tokens::unsigned(&admin_claims)),
        ("HS256 with the public key", tokens::hs256_with_public_key(&mesh.keys.public_pem, &admin_claims)),
        ("another key", tokens::signed(other_key.private_pem.expose(), &admin_claims)),
        ("garbage", "not.a.jwt".to_owned()),
    ]
}

mesh_tests! {
    async fn refused_by_rest(mesh) {
        for (kind, token) in bad_tokens(&mesh).await {
            let reply = mesh.http.get("/api/v1/me", Some(&token)).await;
            assert_eq!(reply.status.as_u16(), 401, "{kind}: {}", reply.body);
            assert_eq!(reply.body["code"], "UNAUTHENTICATED", "{kind}");
        }
    }

    async fn refused_by_graphql(mesh) {
        for (kind, token) in bad_tokens(&mesh).await {
            let reply = mesh.http.graphql("{ me { id role } }", json!({}), Some(&token)).await;
            assert_eq!(reply.graphql_error_code(), Some("UNAUTHENTICATED"), "{kind}: {}", reply.body);
            assert!(reply.body["data"].is_null(), "{kind}");
        }
    }

    async fn refused_by_the_service_itself(mesh) {
        for (kind, token) in bad_tokens(&mesh).await {
            for rpc in ["GetMe", "ListUsers", "Register"] {
                let mut users = mesh.users();
                let bearer = format!("Bearer {token}").parse().unwrap();
                let status = match rpc {
                    "GetMe" => {
                        let mut request = Request::new(pb::GetMeRequest {});
                        request.metadata_mut().insert("authorization", bearer);
                        users.get_me(request).await.unwrap_err()
                    }
                    "ListUsers" => {
                        let mut request = Request::new(pb::ListUsersRequest::default());
                        request.metadata_mut().insert("authorization", bearer);
                        users.list_users(request).await.unwrap_err()
                    }
                    _ => {
                        let mut request = Request::new(pb::RegisterRequest { email: "eve@example.com".into(), password: "correct horse".into(), name: "Eve".into() });
                        request.metadata_mut().insert("authorization", bearer);
                        users.register(request).await.unwrap_err()
                    }
                };
                assert_eq!(status.code(), Code::Unauthenticated, "{kind} on {rpc}");
            }
        }
    }
}
