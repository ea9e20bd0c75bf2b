//! Every query of the users service. Each takes a connection, so callers
//! compose them inside one transaction; each is written once for both backends.

use chrono::NaiveDateTime;
use diesel::{OptionalExtension, prelude::*, result::QueryResult};
use diesel_async::RunQueryDsl;
use shop_runtime::{
    db::{DbConn, ReuseStatement},
    db_run,
};

use crate::schema::{refresh_tokens, users};

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct UserRow {
    /// UUIDv7.
    pub id: String,
    /// Normalised email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// `customer` or `admin`.
    pub role: String,
    /// Created at (UTC).
    pub created_at: NaiveDateTime,
    /// Last changed at (UTC).
    pub updated_at: NaiveDateTime,
}

/// A stored refresh token (its hash, never the token).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct RefreshTokenRow {
    /// UUIDv7.
    pub id: String,
    /// Whose session it is.
    pub user_id: String,
    /// The sign-in session it belongs to.
    pub family_id: String,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Issued at.
    pub created_at: NaiveDateTime,
    /// Expires at.
    pub expires_at: NaiveDateTime,
    /// When rotation spent it.
    pub rotated_at: Option<NaiveDateTime>,
    /// When its family was revoked.
    pub revoked_at: Option<NaiveDateTime>,
}

/// Adds an account; a taken email fails with a unique violation.
pub async fn insert_user(conn: &mut DbConn, user: &UserRow) -> QueryResult<()> {
    db_run!(conn, |c| diesel::insert_into(users::table).values(user).execute(c).await).map(drop)
}

/// The account with this id.
pub async fn find_user(conn: &mut DbConn, id: &str) -> QueryResult<Option<UserRow>> {
    db_run!(conn, |c| users::table.find(id).select(UserRow::as_select()).first(c).await.optional())
}

/// The account with this (normalised) email.
pub async fn find_user_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserRow>> {
    db_run!(conn, |c| users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Up to `limit` accounts with ids after `after`, in id order (UUIDv7: oldest first).
pub async fn list_users(
    conn: &mut DbConn,
    role: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    db_run!(conn, |c| {
        let mut query = users::table.select(UserRow::as_select()).order(users::id.asc()).limit(limit).into_boxed();
        if let Some(after) = after {
            query = query.filter(users::id.gt(after));
        }
        if let Some(role) = role {
            query = query.filter(users::role.eq(role));
        }
        query.load(c).await
    })
}

/// Changes an account's role.
pub async fn set_role(conn: &mut DbConn, id: &str, role: &str, now: NaiveDateTime) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(users::table.find(id))
        .set((users::role.eq(role), users::updated_at.eq(now)))
        .reuse_statement()
        .execute(c)
        .await)
    .map(drop)
}

/// Stores a refresh token.
pub async fn insert_refresh_token(conn: &mut DbConn, token: &RefreshTokenRow) -> QueryResult<()> {
    db_run!(conn, |c| diesel::insert_into(refresh_tokens::table).values(token).execute(c).await).map(drop)
}

/// The refresh token with this hash.
pub async fn find_refresh_token(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<RefreshTokenRow>> {
    db_run!(conn, |c| refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshTokenRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Spends a refresh token if, and only if, nobody spent or revoked it yet.
/// `false` means another request got there first: a concurrent replay.
pub async fn spend_refresh_token(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = db_run!(conn, |c| diesel::update(
        refresh_tokens::table
            .find(id)
            .filter(refresh_tokens::rotated_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
    )
    .set(refresh_tokens::rotated_at.eq(now))
    .reuse_statement()
    .execute(c)
    .await)?;
    Ok(updated == 1)
}

/// Revokes every token of a sign-in session that is not revoked yet.
pub async fn revoke_family(conn: &mut DbConn, family_id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    db_run!(conn, |c| diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null())
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .reuse_statement()
    .execute(c)
    .await)
}
