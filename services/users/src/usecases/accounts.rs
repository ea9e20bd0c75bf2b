//! The account flows: registration, sign-in, refresh-token rotation with
//! reuse detection, sign-out, service tokens, and seeding the admin.

use std::net::IpAddr;

use shop_proto::events::v1::{Event, UserRegistered, event::Payload};
use shop_runtime::{
    auth::Role,
    db::{DbConn, is_unique_violation},
    failure::Failure,
    outbox,
    service::Service as _,
    time,
    validation::FieldViolation,
};

use crate::{
    AppState,
    domain::{self, NewAccount, RefreshVerdict},
    error::Error,
    store::{self, RefreshTokenRow, UserRow},
    tokens::{self, SignedToken},
};

/// A signed-in session: the account, an access token and a refresh token.
#[derive(Debug)]
pub struct Session {
    /// The account.
    pub user: UserRow,
    /// The access token.
    pub access: SignedToken,
    /// The refresh token (only its hash is stored).
    pub refresh_token: String,
}

/// Creates a customer account and signs it in, for a client at `address`.
pub async fn register(state: &AppState, account: NewAccount, address: Option<IpAddr>) -> Result<Session, Error> {
    state.throttles.register(address)?;
    let password_hash = state.passwords.hash(account.password).await?;
    let now = time::now();
    let user = UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        email: account.email,
        name: account.name,
        password_hash,
        role: Role::Customer.as_str().to_owned(),
        created_at: now,
        updated_at: now,
    };
    let (refresh_token, refresh_row) = new_refresh_token(state, &user.id, None);
    state
        .db
        .transaction(async |tx| {
            store::insert_user(tx, &user)
                .await
                .map_err(|e| if is_unique_violation(&e) { Error::EmailTaken } else { e.into() })?;
            store::insert_refresh_token(tx, &refresh_row).await?;
            outbox::append(tx, &registered(&user)).await?;
            Ok::<_, Error>(())
        })
        .await?;
    tracing::info!(user_id = %user.id, "account registered");
    let access = sign_access(state, &user)?;
    Ok(Session { user, access, refresh_token })
}

/// The event a new customer account is.
fn registered(user: &UserRow) -> Event {
    let payload = UserRegistered { user_id: user.id.clone(), email: user.email.clone(), name: user.name.clone() };
    outbox::event(AppState::NAME, &user.id, Payload::UserRegistered(payload))
}

/// Signs in with email and password, for a client at `address`. An unknown
/// email and a wrong password fail alike, in the same time, and count alike.
pub async fn login(state: &AppState, email: &str, password: String, address: Option<IpAddr>) -> Result<Session, Error> {
    let email = email.trim().to_lowercase();
    let missing = [("email", email.is_empty()), ("password", password.is_empty())];
    let violations: Vec<_> =
        missing.iter().filter(|(_, m)| *m).map(|(f, _)| FieldViolation::new(*f, "is required")).collect();
    if !violations.is_empty() {
        return Err(Failure::InvalidArgument(violations).into());
    }
    state.throttles.login(&email, address)?;
    // No connection is held while argon2 runs.
    let user = store::find_user_by_email(&mut state.db.conn().await?, &email).await?;
    let matches = state.passwords.verify(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let user = user.filter(|_| matches).ok_or(Error::BadCredentials)?;
    let (refresh_token, refresh_row) = new_refresh_token(state, &user.id, None);
    state.db.write(async |w| store::insert_refresh_token(w, &refresh_row).await).await?;
    let access = sign_access(state, &user)?;
    Ok(Session { user, access, refresh_token })
}

enum Rotation {
    Rotated(Box<UserRow>, String),
    ReuseDetected,
    Refused,
}

/// Spends a refresh token for a new pair, for a client at `address`.
/// Presenting a spent token revokes its whole family; the revocation is
/// committed even though the call fails.
pub async fn refresh(state: &AppState, presented: &str, address: Option<IpAddr>) -> Result<Session, Error> {
    if presented.is_empty() {
        return Err(FieldViolation::new("refresh_token", "is required").into());
    }
    state.throttles.refresh_from(address)?;
    let hash = tokens::hash_refresh_token(presented);
    let now = time::now();
    let rotation = state
        .db
        .transaction(async |tx| {
            let Some(stored) = store::find_refresh_token(tx, &hash).await? else {
                return Ok::<_, Error>(Rotation::Refused);
            };
            // Nothing is written yet: a throttled refresh leaves the token as it was.
            state.throttles.refresh_of(&stored.user_id)?;
            match domain::judge_refresh(stored.rotated_at, stored.revoked_at, stored.expires_at, now) {
                RefreshVerdict::Valid if store::spend_refresh_token(tx, &stored.id, now).await? => {
                    let Some(user) = store::find_user(tx, &stored.user_id).await? else {
                        return Ok(Rotation::Refused);
                    };
                    let (token, row) = new_refresh_token(state, &user.id, Some(&stored.family_id));
                    store::insert_refresh_token(tx, &row).await?;
                    Ok(Rotation::Rotated(Box::new(user), token))
                }
                // Valid but spent by a concurrent request: a replay as well.
                RefreshVerdict::Valid | RefreshVerdict::Reused => {
                    let revoked = store::revoke_family(tx, &stored.family_id, now).await?;
                    tracing::warn!(user_id = %stored.user_id, family_id = %stored.family_id, revoked, "refresh token reuse; session revoked");
                    Ok(Rotation::ReuseDetected)
                }
                RefreshVerdict::Revoked | RefreshVerdict::Expired => Ok(Rotation::Refused),
            }
        })
        .await?;
    match rotation {
        Rotation::Rotated(user, refresh_token) => {
            let access = sign_access(state, &user)?;
            Ok(Session { user: *user, access, refresh_token })
        }
        Rotation::ReuseDetected | Rotation::Refused => Err(Error::BadRefreshToken),
    }
}

/// Ends the session the refresh token belongs to. Unknown or already
/// revoked tokens succeed too: the result is the same, and nothing leaks.
pub async fn logout(state: &AppState, presented: &str) -> Result<(), Error> {
    if presented.is_empty() {
        return Err(FieldViolation::new("refresh_token", "is required").into());
    }
    let found = store::find_refresh_token(&mut state.db.conn().await?, &tokens::hash_refresh_token(presented)).await?;
    if let Some(stored) = found {
        state.db.write(async |w| store::revoke_family(w, &stored.family_id, time::now()).await).await?;
    }
    Ok(())
}

/// The client-credentials grant: a `service` token for a configured client.
pub fn issue_service_token(state: &AppState, client_id: &str, client_secret: &str) -> Result<SignedToken, Error> {
    if client_id.is_empty() {
        return Err(FieldViolation::new("client_id", "is required").into());
    }
    if !state.clients.authenticate(client_id, client_secret) {
        tracing::warn!(client_id, "service token refused: wrong client credentials");
        return Err(Error::BadClientCredentials);
    }
    state.signer.sign(client_id, Role::Service, state.ttls.service_token())
}

/// Makes sure the configured admin account exists and is an admin. An
/// existing account keeps its password.
pub async fn seed_admin(state: &AppState, email: &str, password: &str) -> Result<(), Error> {
    let account = NewAccount::parse(email, password, "Administrator")?;
    let mut conn = state.db.conn().await?;
    match store::find_user_by_email(&mut conn, &account.email).await? {
        Some(user) if user.role == Role::Admin.as_str() => {}
        Some(user) => {
            store::set_role(&mut conn, &user.id, Role::Admin.as_str(), time::now()).await?;
            tracing::info!(user_id = %user.id, "existing account promoted to admin");
        }
        None => {
            drop(conn);
            insert_admin(state, account).await?;
        }
    }
    Ok(())
}

async fn insert_admin(state: &AppState, account: NewAccount) -> Result<(), Error> {
    let now = time::now();
    let user = UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        email: account.email,
        name: account.name,
        password_hash: state.passwords.hash(account.password).await?,
        role: Role::Admin.as_str().to_owned(),
        created_at: now,
        updated_at: now,
    };
    let mut conn: DbConn = state.db.conn().await?;
    match store::insert_user(&mut conn, &user).await {
        // Another replica seeded it first.
        Err(e) if is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e.into()),
        Ok(()) => {
            tracing::info!(user_id = %user.id, email = %user.email, "admin account seeded");
            Ok(())
        }
    }
}

fn sign_access(state: &AppState, user: &UserRow) -> Result<SignedToken, Error> {
    let role =
        Role::parse(&user.role).ok_or_else(|| Failure::internal(format!("stored role {:?} is unknown", user.role)))?;
    state.signer.sign(&user.id, role, state.ttls.access_token())
}

fn new_refresh_token(state: &AppState, user_id: &str, family_id: Option<&str>) -> (String, RefreshTokenRow) {
    let token = tokens::new_refresh_token();
    let now = time::now();
    let row = RefreshTokenRow {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        family_id: family_id.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned),
        token_hash: tokens::hash_refresh_token(&token),
        created_at: now,
        expires_at: now + state.ttls.refresh_token(),
        rotated_at: None,
        revoked_at: None,
    };
    (token, row)
}
