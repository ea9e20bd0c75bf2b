//! Building `tonic::Status` values that carry google.rpc error details, so
//! that clients (the edge among them) can tell which field was wrong.

use tonic::{Code, Status};
pub use tonic_types::PreconditionViolation;
use tonic_types::{ErrorDetails, FieldViolation as WireViolation, StatusExt};

use crate::{auth::AuthError, telemetry::causes, validation::FieldViolation};

/// INVALID_ARGUMENT naming every bad field, in the message and as a
/// google.rpc.BadRequest detail.
pub fn invalid_argument(violations: &[FieldViolation]) -> Status {
    let message = violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
    let details = ErrorDetails::with_bad_request(
        violations.iter().map(|v| WireViolation::new(v.field.clone(), v.description.clone())).collect::<Vec<_>>(),
    );
    Status::with_error_details(Code::InvalidArgument, message, details)
}

/// One bad field, as [`invalid_argument`] puts it on the wire: what a
/// request checked before any service's own error type is involved returns.
impl From<FieldViolation> for Status {
    fn from(violation: FieldViolation) -> Self {
        invalid_argument(&[violation])
    }
}

/// A refused caller on the wire.
impl From<AuthError> for Status {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Missing | AuthError::InvalidToken => Status::unauthenticated(error.to_string()),
            AuthError::Forbidden(_) => Status::permission_denied(error.to_string()),
            AuthError::SubjectRequired => {
                invalid_argument(&[FieldViolation::new("user_id", "required when a service calls on behalf of a user")])
            }
        }
    }
}

/// The field violations carried by a status, if any.
pub fn field_violations(status: &Status) -> Vec<FieldViolation> {
    status
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| FieldViolation::new(v.field, v.description)).collect())
        .unwrap_or_default()
}

/// FAILED_PRECONDITION with a google.rpc.PreconditionFailure listing what
/// stands in the way (e.g. `STOCK` / product id / "requested 3, available 1").
pub fn failed_precondition(message: impl Into<String>, violations: Vec<PreconditionViolation>) -> Status {
    Status::with_error_details(Code::FailedPrecondition, message, ErrorDetails::with_precondition_failure(violations))
}

/// The precondition violations carried by a status, if any.
pub fn precondition_violations(status: &Status) -> Vec<PreconditionViolation> {
    status.get_details_precondition_failure().map(|failure| failure.violations).unwrap_or_default()
}

/// RESOURCE_EXHAUSTED with a google.rpc.RetryInfo saying when to try again.
pub fn resource_exhausted(message: impl Into<String>, retry_after: std::time::Duration) -> Status {
    Status::with_error_details(Code::ResourceExhausted, message, ErrorDetails::with_retry_info(Some(retry_after)))
}

/// How long a status asks the caller to wait before trying again, if it says.
pub fn retry_after(status: &Status) -> Option<std::time::Duration> {
    status.get_details_retry_info().and_then(|info| info.retry_delay)
}

/// A database failure on the wire: UNAVAILABLE (retry later) when no
/// connection could be had, INTERNAL (cause logged, never sent) otherwise.
pub fn database(error: &crate::db::DbError) -> Status {
    let causes = causes(error);
    match error {
        crate::db::DbError::Unavailable(_) => {
            tracing::warn!(error = %causes, "database unavailable");
            Status::unavailable("database unavailable, retry later")
        }
        _ => internal(&causes),
    }
}

/// INTERNAL with a fixed message; the cause is logged here, never sent.
pub fn internal(cause: &dyn std::fmt::Display) -> Status {
    tracing::error!(error = %cause, "internal error");
    Status::internal("internal error")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precondition_violations_survive_the_round_trip() {
        let status =
            failed_precondition("short", vec![PreconditionViolation::new("STOCK", "p1", "requested 3, available 1")]);
        assert_eq!(status.code(), Code::FailedPrecondition);
        let violations = precondition_violations(&status);
        assert_eq!((violations[0].r#type.as_str(), violations[0].subject.as_str()), ("STOCK", "p1"));
    }

    #[test]
    fn violations_survive_the_round_trip_through_a_status() {
        let sent = vec![
            FieldViolation::new("email", "must be a valid email address"),
            FieldViolation::new("name", "required"),
        ];
        let status = invalid_argument(&sent);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "email: must be a valid email address; name: required");
        assert_eq!(field_violations(&status), sent);
    }

    #[test]
    fn the_retry_delay_survives_the_round_trip() {
        let status = resource_exhausted("slow down", std::time::Duration::from_millis(2500));
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(retry_after(&status), Some(std::time::Duration::from_millis(2500)));
        assert_eq!(retry_after(&Status::internal("x")), None);
    }

    #[test]
    fn database_failures_keep_their_causes_for_the_log_and_not_the_wire() {
        let error = crate::db::DbError::Io(std::io::Error::other("disk full"));
        assert_eq!(causes(&error), "cannot prepare the database directory: disk full");
        let status = database(&error);
        assert_eq!((status.code(), status.message()), (Code::Internal, "internal error"));
    }
}
