//! The gRPC face of the notifications service: check the caller, validate,
//! read or write, convert.

use serde::{Deserialize, Serialize};
use shop_proto::notifications::v1::{self as pb, notification_service_server::NotificationService};
use shop_runtime::{
    auth::{AuthError, Principal},
    pagination,
    validation::FieldViolation,
};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::{AppState, convert, domain::Preferences, error::Error, store, usecases::preferences};

/// The `shop.notifications.v1.NotificationService` implementation.
#[derive(Clone, Debug)]
pub struct NotificationsApi {
    state: AppState,
}

impl NotificationsApi {
    /// The service over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// Where a page of mails ends.
#[derive(Serialize, Deserialize)]
struct NotificationsCursor {
    before: String,
}

/// The account a request is about: the named one, which only admins and
/// services may name, or the caller's own.
fn subject_of(caller: &Principal, named: &str) -> Result<String, Error> {
    if named.is_empty() {
        return Ok(caller.subject.clone());
    }
    if !caller.may_access(named) {
        return Err(AuthError::Forbidden("you may read only your own notifications").into());
    }
    Ok(named.to_owned())
}

#[tonic::async_trait]
impl NotificationService for NotificationsApi {
    #[instrument(skip_all, fields(rpc = "ListNotifications", user_id, page_size))]
    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        let caller = Principal::require(&request).map_err(Error::from)?.clone();
        let input = request.into_inner();
        let user_id = subject_of(&caller, &input.user_id)?;
        let page_size = pagination::page_size(input.page_size).map_err(Error::from)?;
        tracing::Span::current().record("user_id", user_id.as_str()).record("page_size", page_size);
        let cursor = pagination::decode_token::<NotificationsCursor>(&input.page_token).map_err(Error::from)?;
        let mut conn = self.state.db.conn().await.map_err(Error::from)?;
        let before = cursor.as_ref().map(|c| c.before.as_str());
        let mut rows = store::for_user(&mut conn, &user_id, before, page_size + 1).await.map_err(Error::from)?;
        let more = rows.len() as i64 > page_size;
        rows.truncate(page_size as usize);
        let cursors: Vec<String> =
            rows.iter().map(|row| pagination::encode_token(&NotificationsCursor { before: row.id.clone() })).collect();
        let next_page_token = if more { cursors.last().cloned().unwrap_or_default() } else { String::new() };
        let notifications = rows.iter().map(convert::notification).collect();
        Ok(Response::new(pb::ListNotificationsResponse { notifications, next_page_token, cursors }))
    }

    #[instrument(skip_all, fields(rpc = "GetPreferences", user_id))]
    async fn get_preferences(
        &self,
        request: Request<pb::GetPreferencesRequest>,
    ) -> Result<Response<pb::GetPreferencesResponse>, Status> {
        let caller = Principal::require(&request).map_err(Error::from)?.clone();
        let user_id = subject_of(&caller, &request.get_ref().user_id)?;
        tracing::Span::current().record("user_id", user_id.as_str());
        let chosen = preferences::of(&self.state, &user_id).await?.unwrap_or_default();
        Ok(Response::new(pb::GetPreferencesResponse { preferences: Some(convert::preferences(chosen)) }))
    }

    #[instrument(skip_all, fields(rpc = "UpdatePreferences", user_id))]
    async fn update_preferences(
        &self,
        request: Request<pb::UpdatePreferencesRequest>,
    ) -> Result<Response<pb::UpdatePreferencesResponse>, Status> {
        let caller = Principal::require(&request).map_err(Error::from)?.clone();
        tracing::Span::current().record("user_id", caller.subject.as_str());
        let Some(chosen) = request.into_inner().preferences else {
            return Err(Error::from(FieldViolation::new("preferences", "is required")).into());
        };
        let chosen = Preferences { shipping_updates: chosen.shipping_updates };
        let stored = preferences::set(&self.state, &caller.subject, chosen).await?;
        Ok(Response::new(pb::UpdatePreferencesResponse { preferences: Some(convert::preferences(stored)) }))
    }
}
