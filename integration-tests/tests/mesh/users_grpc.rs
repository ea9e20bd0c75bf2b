//! The users service over gRPC directly: admin-only listing with pagination,
//! account visibility, service tokens and the runtime's token client layer.

use std::collections::HashSet;

use integration_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET, TestMesh, mesh_tests};
use shop_proto::users::v1::{self as pb, user_service_client::UserServiceClient};
use shop_runtime::{
    Secret,
    grpc::{MeshChannel, ServiceTokens},
};
use tonic::{Code, Request};

async fn register(mesh: &TestMesh, email: &str) -> pb::RegisterResponse {
    let request = pb::RegisterRequest { email: email.into(), password: "correct horse".into(), name: "Someone".into() };
    mesh.users().register(request).await.unwrap().into_inner()
}

async fn admin_token(mesh: &TestMesh) -> String {
    let login = pb::LoginRequest { email: ADMIN_EMAIL.into(), password: ADMIN_PASSWORD.into() };
    mesh.users().login(login).await.unwrap().into_inner().access_token
}

fn bearer<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

mesh_tests! {
    async fn admins_page_through_every_account_without_gaps_or_repeats(mesh) {
        let mut expected = HashSet::from([ADMIN_EMAIL.to_owned()]);
        for n in 0..5 {
            let email = format!("user{n}@example.com");
            register(&mesh, &email).await;
            expected.insert(email);
        }
        let token = admin_token(&mesh).await;
        let mut seen = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = mesh.users().list_users(bearer(pb::ListUsersRequest { page_size: 2, page_token, ..Default::default() }, &token)).await.unwrap().into_inner();
            assert!(page.users.len() <= 2);
            seen.extend(page.users.into_iter().map(|u| u.email));
            if page.next_page_token.is_empty() { break; }
            page_token = page.next_page_token;
        }
        assert_eq!(seen.len(), expected.len(), "{seen:?}");
        assert_eq!(seen.into_iter().collect::<HashSet<_>>(), expected);
    }

    async fn only_admins_and_services_list_accounts_and_may_ask_for_one_role(mesh) {
        let customer = register(&mesh, "ada@example.com").await;
        let denied = mesh.users().list_users(bearer(pb::ListUsersRequest::default(), &customer.access_token)).await.unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
        let anonymous = mesh.users().list_users(pb::ListUsersRequest::default()).await.unwrap_err();
        assert_eq!(anonymous.code(), Code::Unauthenticated);
        let bad_token = mesh.users().list_users(bearer(pb::ListUsersRequest { page_size: 0, page_token: "garbage".into(), ..Default::default() }, &admin_token(&mesh).await)).await.unwrap_err();
        assert_eq!(bad_token.code(), Code::InvalidArgument);
        assert!(bad_token.message().contains("page_token"), "{}", bad_token.message());

        let admins = pb::ListUsersRequest { role: pb::Role::Admin as i32, ..Default::default() };
        let listed = mesh.users().list_users(bearer(admins, &mesh.service_token().await)).await.unwrap().into_inner();
        let emails: Vec<_> = listed.users.iter().map(|u| u.email.as_str()).collect();
        assert_eq!(emails, [ADMIN_EMAIL], "a service lists the admins, and only them");
        let customers = pb::ListUsersRequest { role: pb::Role::Customer as i32, ..Default::default() };
        let listed = mesh.users().list_users(bearer(customers, &admin_token(&mesh).await)).await.unwrap().into_inner();
        assert_eq!(listed.users.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(), ["ada@example.com"]);
    }

    async fn customers_read_only_their_own_account(mesh) {
        let ada = register(&mesh, "ada@example.com").await;
        let bob = register(&mesh, "bob@example.com").await;
        let own = mesh.users().get_user(bearer(pb::GetUserRequest { user_id: ada.user.clone().unwrap().id }, &ada.access_token)).await.unwrap();
        assert_eq!(own.into_inner().user.unwrap().email, "ada@example.com");
        let other = mesh.users().get_user(bearer(pb::GetUserRequest { user_id: bob.user.clone().unwrap().id }, &ada.access_token)).await.unwrap_err();
        assert_eq!(other.code(), Code::PermissionDenied);
        let admin = mesh.users().get_user(bearer(pb::GetUserRequest { user_id: bob.user.unwrap().id }, &admin_token(&mesh).await)).await.unwrap();
        assert_eq!(admin.into_inner().user.unwrap().email, "bob@example.com");
    }

    async fn field_violations_travel_as_error_details(mesh) {
        let status = mesh.users().register(pb::RegisterRequest { email: "nope".into(), password: "correct horse".into(), name: "A".into() }).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let violations = shop_runtime::grpc::status::field_violations(&status);
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "email");
        let taken = register(&mesh, "ada@example.com").await;
        assert!(taken.user.is_some());
        let again = mesh.users().register(pb::RegisterRequest { email: "ada@example.com".into(), password: "correct horse".into(), name: "A".into() }).await.unwrap_err();
        assert_eq!(again.code(), Code::AlreadyExists);
    }

    async fn service_credentials_give_a_service_token(mesh) {
        let wrong = mesh.users().issue_service_token(pb::IssueServiceTokenRequest { client_id: SERVICE_CLIENT_ID.into(), client_secret: "not the secret".into() }).await.unwrap_err();
        assert_eq!(wrong.code(), Code::Unauthenticated);
        let unknown = mesh.users().issue_service_token(pb::IssueServiceTokenRequest { client_id: "intruder".into(), client_secret: SERVICE_CLIENT_SECRET.into() }).await.unwrap_err();
        assert_eq!(unknown.code(), Code::Unauthenticated);

        let issued = mesh.users().issue_service_token(pb::IssueServiceTokenRequest { client_id: SERVICE_CLIENT_ID.into(), client_secret: SERVICE_CLIENT_SECRET.into() }).await.unwrap().into_inner();
        assert_eq!(issued.expires_in, 300);
        let verifier = shop_runtime::auth::TokenVerifier::from_public_pem(mesh.keys.public_pem.as_bytes()).unwrap();
        let claims = verifier.verify(&issued.access_token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.role), (SERVICE_CLIENT_ID, shop_runtime::auth::Role::Service));

        // A service may read any account, but has none of its own.
        let ada = register(&mesh, "ada@example.com").await;
        let read = mesh.users().get_user(bearer(pb::GetUserRequest { user_id: ada.user.unwrap().id }, &issued.access_token)).await;
        assert!(read.is_ok());
        let me = mesh.users().get_me(bearer(pb::GetMeRequest {}, &issued.access_token)).await.unwrap_err();
        assert_eq!(me.code(), Code::PermissionDenied);
    }

    async fn the_runtime_client_layer_obtains_caches_and_sends_the_service_token(mesh) {
        let tokens = ServiceTokens::new(mesh.users_channel(), SERVICE_CLIENT_ID, Secret::new(SERVICE_CLIENT_SECRET));
        let first = tokens.authorization().await.unwrap();
        let second = tokens.authorization().await.unwrap();
        assert_eq!(first, second, "a fresh token is reused, not re-issued");
        tokens.invalidate().await;
        let renewed = tokens.authorization().await.unwrap();
        assert_ne!(renewed, first, "an invalidated token is replaced");

        let ada = register(&mesh, "ada@example.com").await;
        let mut as_service = UserServiceClient::new(MeshChannel::with_service_tokens(mesh.users_channel(), tokens));
        let user = as_service.get_user(pb::GetUserRequest { user_id: ada.user.unwrap().id }).await.unwrap().into_inner().user.unwrap();
        assert_eq!(user.email, "ada@example.com");

        let wrong = ServiceTokens::new(mesh.users_channel(), SERVICE_CLIENT_ID, Secret::new("wrong-secret-0123456789"));
        let mut refused = UserServiceClient::new(MeshChannel::with_service_tokens(mesh.users_channel(), wrong));
        let status = refused.get_user(pb::GetUserRequest { user_id: "x".into() }).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    }
}
