//! Accounts and sessions over GraphQL.

use async_graphql::{Context, Object};
use shop_proto::users::v1 as pb;

use super::{app, caller};
use crate::{
    auth::forwarded,
    error::gql,
    model::users::{AuthPayload, LoginInput, RegisterInput, User},
};

/// Account queries.
#[derive(Default, Debug)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// The signed-in account.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let caller = caller(ctx)?;
        let response =
            app(ctx).users.clone().get_me(forwarded(Some(caller), pb::GetMeRequest {})).await.map_err(gql)?;
        Ok(User::try_from(response.into_inner().user)?)
    }
}

/// Account mutations.
#[derive(Default, Debug)]
pub struct UsersMutation;

#[Object]
impl UsersMutation {
    /// Creates a customer account and signs it in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> async_graphql::Result<AuthPayload> {
        let response = app(ctx).users.clone().register(pb::RegisterRequest::from(input)).await.map_err(gql)?;
        Ok(response.into_inner().try_into()?)
    }

    /// Signs in with email and password.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> async_graphql::Result<AuthPayload> {
        let response = app(ctx).users.clone().login(pb::LoginRequest::from(input)).await.map_err(gql)?;
        Ok(response.into_inner().try_into()?)
    }

    /// Rotates a refresh token: a new pair; the old token is spent. A spent
    /// token presented again revokes the whole session.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> async_graphql::Result<AuthPayload> {
        let response =
            app(ctx).users.clone().refresh_token(pb::RefreshTokenRequest { refresh_token }).await.map_err(gql)?;
        Ok(response.into_inner().try_into()?)
    }

    /// Ends the session of a refresh token. True also when it already ended.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> async_graphql::Result<bool> {
        app(ctx).users.clone().logout(pb::LogoutRequest { refresh_token }).await.map_err(gql)?;
        Ok(true)
    }
}
