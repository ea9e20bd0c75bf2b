//! `/api/v1/notifications`: the caller's mails and their choices.

use axum::{Json, extract::State};
use serde::Deserialize;
use shop_proto::notifications::v1 as pb;
use utoipa::IntoParams;

use super::query::ApiQuery;
use crate::{
    auth::{Caller, forwarded},
    error::{ApiError, Problem},
    json::ApiJson,
    model::notifications::{Notification, NotificationPage, NotificationPreferences},
    state::AppState,
};

/// The query string of `GET /api/v1/notifications`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListNotificationsParams {
    /// Admins only: this user's mails.
    pub user_id: Option<String>,
    /// Mails per page, 1 to 100; 0 or none: 20.
    #[param(minimum = 0, maximum = 100)]
    pub page_size: Option<i32>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// The caller's mails, newest first.
#[utoipa::path(
    get, path = "/notifications", tag = "notifications", params(ListNotificationsParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of mails", body = NotificationPage),
        (status = 400, description = "A bad page size or token, named in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A customer asked for another user's mails", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListNotificationsParams>,
) -> Result<Json<NotificationPage>, ApiError> {
    let message = pb::ListNotificationsRequest {
        user_id: params.user_id.unwrap_or_default(),
        page_size: params.page_size.unwrap_or(0),
        page_token: params.page_token.unwrap_or_default(),
    };
    let page = state.notifications.clone().list_notifications(forwarded(Some(&caller), message)).await?.into_inner();
    let items = page.notifications.into_iter().map(Notification::from).collect();
    Ok(Json(NotificationPage { items, next_page_token: page.next_page_token }))
}

/// What the caller chose to receive.
#[utoipa::path(
    get, path = "/notifications/preferences", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's choices (everything, until they choose)", body = NotificationPreferences),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn preferences(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<NotificationPreferences>, ApiError> {
    let request = forwarded(Some(&caller), pb::GetPreferencesRequest::default());
    let response = state.notifications.clone().get_preferences(request).await?;
    Ok(Json(response.into_inner().preferences.into()))
}

/// Sets what the caller receives.
#[utoipa::path(
    put, path = "/notifications/preferences", tag = "notifications", request_body = NotificationPreferences,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's choices now", body = NotificationPreferences),
        (status = 400, description = "A missing or unknown field, named in `errors`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_preferences(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<NotificationPreferences>,
) -> Result<Json<NotificationPreferences>, ApiError> {
    let message = pb::UpdatePreferencesRequest { preferences: Some(input.into()) };
    let response = state.notifications.clone().update_preferences(forwarded(Some(&caller), message)).await?;
    Ok(Json(response.into_inner().preferences.into()))
}
