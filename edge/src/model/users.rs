//! Accounts and sessions.

use async_graphql::{Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shop_proto::users::v1 as pb;
use utoipa::ToSchema;

use crate::error::ApiError;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, Enum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A shopper.
    Customer,
    /// An operator.
    Admin,
    /// Another service of the mesh.
    Service,
}

/// An account.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
#[graphql(complex)]
pub struct User {
    /// UUIDv7.
    #[schema(value_type = String)]
    pub id: ID,
    /// Normalised email address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// The account's role.
    pub role: Role,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// A signed-in session.
#[derive(Debug, Clone, Serialize, ToSchema, SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`.
    pub access_token: String,
    /// Exchange for a new pair before the access token expires; single use.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i32,
    /// The signed-in account.
    pub user: User,
}

/// A new account.
#[derive(Clone, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    /// An email address (in the form documented here; the service also
    /// takes internationalised domains). Case and surrounding spaces do not matter.
    #[schema(
        pattern = r"^[A-Za-z0-9_%+-]{1,30}(\.[A-Za-z0-9_%+-]{1,16}){0,2}@[A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,20})?(\.[A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,20})?){1,3}$",
        max_length = 254
    )]
    pub email: String,
    /// 8 to 256 characters.
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
    /// Display name, up to 100 characters, without control characters.
    #[schema(
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$",
        max_length = 100
    )]
    pub name: String,
}

/// Credentials.
#[derive(Clone, Deserialize, ToSchema, InputObject)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    /// The account's email.
    #[schema(pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub email: String,
    /// The account's password.
    #[schema(min_length = 1)]
    pub password: String,
}

/// A refresh token, to rotate or to revoke.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshInput {
    /// The refresh token of the session.
    #[schema(min_length = 1)]
    pub refresh_token: String,
}

// Passwords and tokens never reach a log line through `Debug`.
impl std::fmt::Debug for RegisterInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterInput").field("email", &self.email).field("name", &self.name).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for LoginInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginInput").field("email", &self.email).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RefreshInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshInput").finish_non_exhaustive()
    }
}

impl From<RegisterInput> for pb::RegisterRequest {
    fn from(input: RegisterInput) -> Self {
        Self { email: input.email, password: input.password, name: input.name }
    }
}

impl From<LoginInput> for pb::LoginRequest {
    fn from(input: LoginInput) -> Self {
        Self { email: input.email, password: input.password }
    }
}

impl TryFrom<Option<pb::User>> for User {
    type Error = ApiError;

    fn try_from(user: Option<pb::User>) -> Result<Self, ApiError> {
        let user = user.ok_or_else(|| ApiError::new(tonic::Code::Internal, "internal error"))?;
        let role = match pb::Role::try_from(user.role) {
            Ok(pb::Role::Admin) => Role::Admin,
            Ok(pb::Role::Service) => Role::Service,
            _ => Role::Customer,
        };
        let created_at = user.created_at.as_ref().and_then(shop_runtime::time::from_proto).unwrap_or_default();
        Ok(Self { id: ID(user.id), email: user.email, name: user.name, role, created_at })
    }
}

impl AuthPayload {
    /// The session from the parts every sign-in response carries.
    pub fn new(
        user: Option<pb::User>,
        access_token: String,
        refresh_token: String,
        expires_in: i32,
    ) -> Result<Self, ApiError> {
        Ok(Self { access_token, refresh_token, expires_in, user: User::try_from(user)? })
    }
}

macro_rules! impl_from_session {
    ($($response:ty),*) => {$(
        impl TryFrom<$response> for AuthPayload {
            type Error = ApiError;

            fn try_from(r: $response) -> Result<Self, ApiError> {
                AuthPayload::new(r.user, r.access_token, r.refresh_token, r.expires_in)
            }
        }
    )*};
}

impl_from_session!(pb::RegisterResponse, pb::LoginResponse, pb::RefreshTokenResponse);
