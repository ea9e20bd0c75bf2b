//! The failures every service shares — bad input, a caller who may not,
//! the database, a service it calls, a bug — and their one mapping to the
//! wire. A service's own error enum holds its domain's errors and wraps
//! these in one `Common` variant (see [`crate::common_failures!`]).

use tonic::{Code, Status};

use crate::{auth::AuthError, db::DbError, grpc::status, validation::FieldViolation};

/// A failure any service's RPC can end with.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad input, by field.
    #[error("invalid argument")]
    InvalidArgument(Vec<FieldViolation>),
    /// The caller is anonymous or not allowed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A service this one calls failed.
    #[error("{service}: {}", .status.message())]
    Downstream {
        /// Which.
        service: &'static str,
        /// Its answer.
        status: Status,
    },
    /// Anything else that is our fault: logged, never sent.
    #[error("{0}")]
    Internal(String),
}

impl Failure {
    /// A failed call to `service`, for `map_err`.
    pub fn downstream(service: &'static str) -> impl FnOnce(Status) -> Self {
        move |status| Failure::Downstream { service, status }
    }

    /// A bug or broken invariant, described for the log.
    pub fn internal(description: impl Into<String>) -> Self {
        Failure::Internal(description.into())
    }
}

impl From<diesel::result::Error> for Failure {
    fn from(error: diesel::result::Error) -> Self {
        Failure::Db(DbError::from(error))
    }
}

impl From<FieldViolation> for Failure {
    fn from(violation: FieldViolation) -> Self {
        Failure::InvalidArgument(vec![violation])
    }
}

impl From<Vec<FieldViolation>> for Failure {
    fn from(violations: Vec<FieldViolation>) -> Self {
        Failure::InvalidArgument(violations)
    }
}

impl From<Failure> for Status {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::InvalidArgument(violations) => status::invalid_argument(&violations),
            Failure::Auth(auth) => auth.into(),
            Failure::Db(db) => status::database(&db),
            Failure::Downstream { service, status } => downstream(service, &status),
            Failure::Internal(_) => status::internal(&failure),
        }
    }
}

/// A downstream's transient answers are passed on, code and all, so the
/// caller can retry (an idempotent call or key makes that safe) or give up
/// in time; anything else is this service's internal error.
fn downstream(service: &'static str, status: &Status) -> Status {
    match status.code() {
        code @ (Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Cancelled
        | Code::Aborted
        | Code::ResourceExhausted) => {
            tracing::warn!(service, ?code, message = status.message(), "downstream failure");
            Status::new(code, format!("{service} is unavailable; retry later"))
        }
        _ => status::internal(&format!("{service}: {}", status.message())),
    }
}

/// Lets `?` turn what a [`Failure`] is made from — a [`DbError`], a diesel
/// error, an [`AuthError`], field violations — straight into the service
/// error enum `$error`, which must have a `Common(Failure)` variant.
#[macro_export]
macro_rules! common_failures {
    ($error:ty) => {
        $crate::common_failures!(@from $error:
            $crate::db::DbError,
            ::diesel::result::Error,
            $crate::auth::AuthError,
            $crate::validation::FieldViolation,
            ::std::vec::Vec<$crate::validation::FieldViolation>
        );
    };
    (@from $error:ty: $($source:ty),*) => {
        $(
            impl ::std::convert::From<$source> for $error {
                fn from(source: $source) -> Self {
                    Self::Common($crate::failure::Failure::from(source))
                }
            }
        )*
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_downstream_answers_keep_their_code_and_name_the_service() {
        for code in [Code::Unavailable, Code::DeadlineExceeded, Code::Cancelled, Code::Aborted, Code::ResourceExhausted]
        {
            let status: Status = Failure::downstream("payments")(Status::new(code, "db down")).into();
            assert_eq!(status.code(), code);
            assert_eq!(status.message(), "payments is unavailable; retry later");
        }
    }

    #[test]
    fn other_downstream_answers_are_internal_and_say_nothing_of_why() {
        let status: Status = Failure::downstream("products")(Status::invalid_argument("secret detail")).into();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("secret"), "{}", status.message());
    }

    #[test]
    fn bad_fields_are_named() {
        let status: Status = Failure::from(FieldViolation::new("email", "is not an address")).into();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("email"), "{}", status.message());
    }
}
