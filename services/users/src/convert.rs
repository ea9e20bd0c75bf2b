//! Stored rows and domain values as the wire shows them.

use shop_proto::users::v1 as pb;
use shop_runtime::{auth::Role, time};

use crate::{store::UserRow, usecases::accounts::Session};

/// A session as the sign-in responses carry it: the user, the access
/// token, the refresh token and the access token's lifetime.
pub fn session_parts(session: Session) -> (Option<pb::User>, String, String, i32) {
    (Some(user(&session.user)), session.access.token, session.refresh_token, session.access.expires_in)
}

/// An account as the wire shows it.
pub fn user(row: &UserRow) -> pb::User {
    let role = match Role::parse(&row.role) {
        Some(Role::Customer) => pb::Role::Customer,
        Some(Role::Admin) => pb::Role::Admin,
        Some(Role::Service) => pb::Role::Service,
        None => pb::Role::Unspecified,
    };
    pb::User {
        id: row.id.clone(),
        email: row.email.clone(),
        name: row.name.clone(),
        role: role.into(),
        created_at: Some(time::to_proto(row.created_at)),
    }
}
