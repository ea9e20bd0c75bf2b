//! The gRPC face of the users service: validate, call the account flows or
//! the store, convert. Nothing else lives here.

use shop_proto::users::v1::{self as pb, user_service_server::UserService};
use shop_runtime::{
    auth::{AuthError, Principal, Role},
    grpc::client_address,
    pagination,
    validation::FieldViolation,
};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::{
    AppState, convert,
    domain::NewAccount,
    error::Error,
    store::{self, UserRow},
    usecases::accounts,
};

/// The `shop.users.v1.UserService` implementation.
#[derive(Clone, Debug)]
pub struct UsersApi {
    state: AppState,
}

impl UsersApi {
    /// The service over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct UsersCursor {
    after: String,
}

#[tonic::async_trait]
impl UserService for UsersApi {
    #[instrument(skip_all, fields(rpc = "Register"))]
    async fn register(&self, request: Request<pb::RegisterRequest>) -> Result<Response<pb::RegisterResponse>, Status> {
        let address = client_address::of(&request);
        let input = request.into_inner();
        let account = NewAccount::parse(&input.email, &input.password, &input.name).map_err(Error::from)?;
        let session = accounts::register(&self.state, account, address).await?;
        let (user, access_token, refresh_token, expires_in) = convert::session_parts(session);
        Ok(Response::new(pb::RegisterResponse { user, access_token, refresh_token, expires_in }))
    }

    #[instrument(skip_all, fields(rpc = "Login"))]
    async fn login(&self, request: Request<pb::LoginRequest>) -> Result<Response<pb::LoginResponse>, Status> {
        let address = client_address::of(&request);
        let input = request.into_inner();
        let session = accounts::login(&self.state, &input.email, input.password, address).await?;
        let (user, access_token, refresh_token, expires_in) = convert::session_parts(session);
        Ok(Response::new(pb::LoginResponse { user, access_token, refresh_token, expires_in }))
    }

    #[instrument(skip_all, fields(rpc = "RefreshToken"))]
    async fn refresh_token(
        &self,
        request: Request<pb::RefreshTokenRequest>,
    ) -> Result<Response<pb::RefreshTokenResponse>, Status> {
        let address = client_address::of(&request);
        let session = accounts::refresh(&self.state, &request.into_inner().refresh_token, address).await?;
        let (user, access_token, refresh_token, expires_in) = convert::session_parts(session);
        Ok(Response::new(pb::RefreshTokenResponse { user, access_token, refresh_token, expires_in }))
    }

    #[instrument(skip_all, fields(rpc = "Logout"))]
    async fn logout(&self, request: Request<pb::LogoutRequest>) -> Result<Response<pb::LogoutResponse>, Status> {
        accounts::logout(&self.state, &request.into_inner().refresh_token).await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    #[instrument(skip_all, fields(rpc = "GetMe", user_id))]
    async fn get_me(&self, request: Request<pb::GetMeRequest>) -> Result<Response<pb::GetMeResponse>, Status> {
        let caller = Principal::require(&request).map_err(Error::from)?;
        if caller.role == Role::Service {
            return Err(Error::from(AuthError::Forbidden("a service token has no account")).into());
        }
        tracing::Span::current().record("user_id", caller.subject.as_str());
        let user = self.find_user(&caller.subject).await?;
        Ok(Response::new(pb::GetMeResponse { user: Some(convert::user(&user)) }))
    }

    #[instrument(skip_all, fields(rpc = "GetUser", user_id))]
    async fn get_user(&self, request: Request<pb::GetUserRequest>) -> Result<Response<pb::GetUserResponse>, Status> {
        let caller = Principal::require(&request).map_err(Error::from)?;
        let user_id = &request.get_ref().user_id;
        tracing::Span::current().record("user_id", user_id.as_str());
        if user_id.is_empty() {
            return Err(Error::from(FieldViolation::new("user_id", "is required")).into());
        }
        if !caller.may_access(user_id) {
            return Err(Error::from(AuthError::Forbidden("you may read only your own account")).into());
        }
        let user = self.find_user(user_id).await?;
        Ok(Response::new(pb::GetUserResponse { user: Some(convert::user(&user)) }))
    }

    #[instrument(skip_all, fields(rpc = "ListUsers", page_size))]
    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        Principal::require(&request).and_then(Principal::require_internal).map_err(Error::from)?;
        let input = request.into_inner();
        let role = match input.role() {
            pb::Role::Unspecified => None,
            pb::Role::Customer => Some(Role::Customer),
            pb::Role::Admin => Some(Role::Admin),
            pb::Role::Service => Some(Role::Service),
        };
        let page_size = pagination::page_size(input.page_size).map_err(Error::from)?;
        tracing::Span::current().record("page_size", page_size);
        let cursor = pagination::decode_token::<UsersCursor>(&input.page_token).map_err(Error::from)?;
        let mut conn = self.state.db.conn().await.map_err(Error::from)?;
        let mut rows = store::list_users(
            &mut conn,
            role.map(Role::as_str),
            cursor.as_ref().map(|c| c.after.as_str()),
            page_size + 1,
        )
        .await
        .map_err(Error::from)?;
        let next_page_token = if rows.len() as i64 > page_size {
            rows.truncate(page_size as usize);
            rows.last()
                .map(|last| pagination::encode_token(&UsersCursor { after: last.id.clone() }))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListUsersResponse { users: rows.iter().map(convert::user).collect(), next_page_token }))
    }

    #[instrument(skip_all, fields(rpc = "IssueServiceToken", client_id))]
    async fn issue_service_token(
        &self,
        request: Request<pb::IssueServiceTokenRequest>,
    ) -> Result<Response<pb::IssueServiceTokenResponse>, Status> {
        let input = request.into_inner();
        tracing::Span::current().record("client_id", input.client_id.as_str());
        let signed = accounts::issue_service_token(&self.state, &input.client_id, &input.client_secret)?;
        Ok(Response::new(pb::IssueServiceTokenResponse { access_token: signed.token, expires_in: signed.expires_in }))
    }
}

impl UsersApi {
    async fn find_user(&self, id: &str) -> Result<UserRow, Error> {
        let mut conn = self.state.db.conn().await?;
        store::find_user(&mut conn, id).await?.ok_or(Error::UserNotFound)
    }
}
