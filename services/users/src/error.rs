//! The users service's one error type, and its one conversion to the wire.

use shop_runtime::{failure::Failure, grpc::status};
use tonic::Status;

/// Everything an RPC of the users service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What every service can fail with: bad input, auth, the database, a
    /// service it calls, a bug.
    #[error(transparent)]
    Common(#[from] Failure),
    /// Registration with an email that has an account.
    #[error("email: already registered")]
    EmailTaken,
    /// Wrong email or password (deliberately the same for both).
    #[error("invalid email or password")]
    BadCredentials,
    /// A refresh token that is unknown, spent, revoked or expired.
    #[error("invalid or expired refresh token")]
    BadRefreshToken,
    /// Wrong service client id or secret.
    #[error("invalid client credentials")]
    BadClientCredentials,
    /// Too many attempts of one kind: try again after `retry_after`.
    #[error("too many {what}; retry in {} s", retry_after.as_secs().max(1))]
    Throttled {
        /// What was counted, e.g. "sign-in attempts for this account".
        what: &'static str,
        /// When the next attempt will be taken.
        retry_after: std::time::Duration,
    },
    /// No such account (or not one the caller may see).
    #[error("user not found")]
    UserNotFound,
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::BadCredentials | Error::BadRefreshToken | Error::BadClientCredentials => {
                Status::unauthenticated(error.to_string())
            }
            Error::EmailTaken => Status::already_exists(error.to_string()),
            Error::UserNotFound => Status::not_found(error.to_string()),
            Error::Throttled { retry_after, .. } => status::resource_exhausted(error.to_string(), retry_after),
            Error::Common(failure) => failure.into(),
        }
    }
}

// `?` turns a database, auth or validation failure into `Error::Common`.
shop_runtime::common_failures!(Error);
