//! `/api/v1/users/*` and `/api/v1/me`.

use axum::{Json, extract::State, http::StatusCode};
use shop_proto::users::v1 as pb;

use crate::json::ApiJson;
use crate::{
    auth::{Caller, forwarded},
    error::{ApiError, Problem},
    model::users::{AuthPayload, LoginInput, RefreshInput, RegisterInput, User},
    state::AppState,
};

/// Creates a customer account and signs it in.
#[utoipa::path(
    post, path = "/users/register", tag = "users", request_body = RegisterInput,
    responses(
        (status = 201, description = "Account created and signed in", body = AuthPayload),
        (status = 400, description = "Invalid input; `errors` names the fields", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email already registered", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next attempt is taken"))),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RegisterInput>,
) -> Result<(StatusCode, Json<AuthPayload>), ApiError> {
    let response = state.users.clone().register(pb::RegisterRequest::from(input)).await?;
    Ok((StatusCode::CREATED, Json(response.into_inner().try_into()?)))
}

/// Signs in with email and password.
#[utoipa::path(
    post, path = "/users/login", tag = "users", request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in", body = AuthPayload),
        (status = 400, description = "Missing fields", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next attempt is taken"))),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<LoginInput>,
) -> Result<Json<AuthPayload>, ApiError> {
    let response = state.users.clone().login(pb::LoginRequest::from(input)).await?;
    Ok(Json(response.into_inner().try_into()?))
}

/// Rotates a refresh token: returns a new pair and spends the old token.
/// Presenting a spent token revokes the whole session.
#[utoipa::path(
    post, path = "/users/refresh", tag = "users", request_body = RefreshInput,
    responses(
        (status = 200, description = "A new pair", body = AuthPayload),
        (status = 401, description = "Unknown, spent, revoked or expired refresh token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many refreshes; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next attempt is taken"))),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RefreshInput>,
) -> Result<Json<AuthPayload>, ApiError> {
    let request = pb::RefreshTokenRequest { refresh_token: input.refresh_token };
    let response = state.users.clone().refresh_token(request).await?;
    Ok(Json(response.into_inner().try_into()?))
}

/// Ends a session: its refresh tokens stop working at once; access tokens
/// already issued expire on their own within minutes.
#[utoipa::path(
    post, path = "/users/logout", tag = "users", request_body = RefreshInput,
    responses(
        (status = 204, description = "Signed out (also when the token was already revoked)"),
        (status = 400, description = "Missing refresh_token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RefreshInput>,
) -> Result<StatusCode, ApiError> {
    state.users.clone().logout(pb::LogoutRequest { refresh_token: input.refresh_token }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account.
#[utoipa::path(
    get, path = "/me", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account", body = User),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<User>, ApiError> {
    let response = state.users.clone().get_me(forwarded(Some(&caller), pb::GetMeRequest {})).await?;
    Ok(Json(User::try_from(response.into_inner().user)?))
}
