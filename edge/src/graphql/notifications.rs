//! A user's mails and their choices over GraphQL.

use async_graphql::{
    ComplexObject, Context, Object,
    connection::{Connection, Edge},
};
use shop_proto::notifications::v1 as pb;

use super::{app, caller};
use crate::{
    auth::forwarded,
    error::{ApiError, gql},
    model::{
        notifications::{Notification, NotificationPreferences},
        users::User,
    },
};

#[ComplexObject]
impl User {
    /// The mails sent to this account, newest first (the caller's own; an
    /// admin may read anyone's).
    #[graphql(complexity = "usize::try_from(first).unwrap_or(1) * child_complexity")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Notification>> {
        if !(1..=100).contains(&first) {
            return Err(ApiError::invalid_field("first", "must be between 1 and 100").into());
        }
        let message = pb::ListNotificationsRequest {
            user_id: self.id.0.clone(),
            page_size: first,
            page_token: after.clone().unwrap_or_default(),
        };
        let page = app(ctx)
            .notifications
            .clone()
            .list_notifications(forwarded(Some(caller(ctx)?), message))
            .await
            .map_err(|status| ApiError::from(status).rename_field("page_token", "after"))?
            .into_inner();
        let mut connection = Connection::new(after.is_some(), !page.next_page_token.is_empty());
        for (notification, cursor) in page.notifications.into_iter().zip(page.cursors) {
            connection.edges.push(Edge::new(cursor, Notification::from(notification)));
        }
        Ok(connection)
    }
}

/// Notification queries.
#[derive(Default, Debug)]
pub struct NotificationsQuery;

#[Object]
impl NotificationsQuery {
    /// What the signed-in customer chose to receive.
    async fn notification_preferences(&self, ctx: &Context<'_>) -> async_graphql::Result<NotificationPreferences> {
        let request = forwarded(Some(caller(ctx)?), pb::GetPreferencesRequest::default());
        let response = app(ctx).notifications.clone().get_preferences(request).await.map_err(gql)?;
        Ok(response.into_inner().preferences.into())
    }
}

/// Notification mutations.
#[derive(Default, Debug)]
pub struct NotificationsMutation;

#[Object]
impl NotificationsMutation {
    /// Sets what the signed-in customer receives.
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
        input: NotificationPreferences,
    ) -> async_graphql::Result<NotificationPreferences> {
        let message = pb::UpdatePreferencesRequest { preferences: Some(input.into()) };
        let response = app(ctx)
            .notifications
            .clone()
            .update_preferences(forwarded(Some(caller(ctx)?), message))
            .await
            .map_err(gql)?;
        Ok(response.into_inner().preferences.into())
    }
}
