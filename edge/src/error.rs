//! The one place where failures become HTTP statuses, RFC 9457
//! `application/problem+json` bodies and GraphQL `extensions.code` values.

use std::time::Duration;

use async_graphql::ErrorExtensions;
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use shop_runtime::{
    grpc::status::{field_violations, retry_after},
    validation::FieldViolation,
};
use tonic::Code;
use utoipa::ToSchema;

/// A failure on its way to a client: its HTTP status and `code` (mostly
/// classified from a gRPC code), a client-facing message and the bad fields.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    violations: Vec<FieldViolation>,
    retry_after: Option<Duration>,
}

/// How each gRPC code shows to HTTP and GraphQL clients.
fn classify(code: Code) -> (StatusCode, &'static str) {
    match code {
        Code::Ok => (StatusCode::OK, "OK"),
        Code::InvalidArgument | Code::OutOfRange => (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
        Code::Unauthenticated => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
        Code::PermissionDenied => (StatusCode::FORBIDDEN, "FORBIDDEN"),
        Code::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND"),
        Code::AlreadyExists | Code::Aborted => (StatusCode::CONFLICT, "CONFLICT"),
        Code::FailedPrecondition => (StatusCode::CONFLICT, "FAILED_PRECONDITION"),
        Code::ResourceExhausted => (StatusCode::TOO_MANY_REQUESTS, "RESOURCE_EXHAUSTED"),
        Code::DeadlineExceeded => (StatusCode::GATEWAY_TIMEOUT, "DEADLINE_EXCEEDED"),
        Code::Unavailable | Code::Cancelled => (StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE"),
        Code::Unimplemented => (StatusCode::NOT_IMPLEMENTED, "NOT_IMPLEMENTED"),
        Code::Internal | Code::Unknown | Code::DataLoss => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_SERVER_ERROR"),
    }
}

impl ApiError {
    /// An error of `code` with a client-facing message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        let (status, code) = classify(code);
        Self { status, code, message: message.into(), violations: Vec::new(), retry_after: None }
    }

    /// A failure only HTTP has a word for (413, 405, ...), from its status;
    /// the statuses in the gRPC table keep their codes from it.
    pub fn http(status: StatusCode, message: impl Into<String>) -> Self {
        let code = match status {
            StatusCode::BAD_REQUEST => "BAD_USER_INPUT",
            StatusCode::NOT_FOUND => "NOT_FOUND",
            StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
            StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
            StatusCode::TOO_MANY_REQUESTS => "RESOURCE_EXHAUSTED",
            StatusCode::SERVICE_UNAVAILABLE => "UNAVAILABLE",
            StatusCode::GATEWAY_TIMEOUT => "DEADLINE_EXCEEDED",
            status if status.is_server_error() => "INTERNAL_SERVER_ERROR",
            _ => "BAD_REQUEST",
        };
        Self { status, code, message: message.into(), violations: Vec::new(), retry_after: None }
    }

    /// A request body over the edge's limit.
    pub fn body_too_large() -> Self {
        Self::http(StatusCode::PAYLOAD_TOO_LARGE, "the request body is larger than this server accepts")
    }

    /// Bad input in `field`.
    pub fn invalid_field(field: &str, description: impl Into<String>) -> Self {
        let violation = FieldViolation::new(field, description);
        let (status, code) = classify(Code::InvalidArgument);
        Self { status, code, message: violation.to_string(), violations: vec![violation], retry_after: None }
    }

    /// Names a field as the client knows it (e.g. `page_token` is GraphQL's `after`).
    pub fn rename_field(mut self, from: &str, to: &str) -> Self {
        for violation in &mut self.violations {
            if violation.field == from {
                violation.field = to.to_owned();
            }
        }
        self.message = self.message.replace(&format!("{from}:"), &format!("{to}:"));
        self
    }

    /// The HTTP status.
    pub fn http_status(&self) -> StatusCode {
        self.status
    }

    /// The GraphQL `extensions.code`.
    pub fn graphql_code(&self) -> &'static str {
        self.code
    }

    /// What went wrong, fit for the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The bad fields, if the input was at fault.
    pub fn violations(&self) -> &[FieldViolation] {
        &self.violations
    }

    /// When to try again, in whole seconds (at least 1), if the failure says.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after.map(|wait| wait.as_secs() + u64::from(wait.subsec_nanos() > 0 || wait.is_zero()))
    }
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        let code = status.code();
        // Server-side failures (and transport errors, which carry addresses)
        // are logged here and never passed on.
        let message =
            if classify(code).0.is_server_error() && code != Code::DeadlineExceeded && code != Code::Unavailable {
                tracing::error!(?code, message = status.message(), "upstream failure");
                "internal error".to_owned()
            } else if code == Code::Unavailable {
                tracing::warn!(message = status.message(), "upstream unavailable");
                "a service is unavailable, retry later".to_owned()
            } else {
                status.message().to_owned()
            };
        Self { violations: field_violations(&status), retry_after: retry_after(&status), ..Self::new(code, message) }
    }
}

/// An RFC 9457 problem details body.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`about:blank`: see `title`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the problem type (the HTTP reason phrase).
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong in this request.
    pub detail: String,
    /// The gRPC-derived error code, as in GraphQL `extensions.code`.
    pub code: String,
    /// The invalid fields, for 400.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// One invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field, e.g. `email`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.http_status();
        // A client's own U+0000 (in a field name it sent, say) never comes back.
        let clean = |text: &str| text.replace('\0', "\u{FFFD}");
        let problem = Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: clean(&self.message),
            code: self.graphql_code().into(),
            errors: self
                .violations
                .iter()
                .map(|v| ProblemField { field: clean(&v.field), message: clean(&v.description) })
                .collect(),
        };
        let mut response = (status, Json(problem)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after_secs() {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let code = error.graphql_code();
        let status = error.http_status().as_u16();
        let fields: Vec<_> = error.violations.iter().map(|v| async_graphql::Value::from(v.field.clone())).collect();
        let retry_after = error.retry_after_secs();
        async_graphql::Error::new(error.message).extend_with(|_, extensions| {
            extensions.set("code", code);
            extensions.set("status", status);
            if let Some(seconds) = retry_after {
                extensions.set("retryAfter", seconds);
            }
            if !fields.is_empty() {
                extensions.set("fields", async_graphql::Value::List(fields));
            }
        })
    }
}

/// For GraphQL resolvers: `.map_err(gql)?` on a gRPC call.
pub fn gql(status: tonic::Status) -> async_graphql::Error {
    ApiError::from(status).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mapping_covers_the_codes_clients_rely_on() {
        for (code, http, gql) in [
            (Code::InvalidArgument, 400, "BAD_USER_INPUT"),
            (Code::Unauthenticated, 401, "UNAUTHENTICATED"),
            (Code::PermissionDenied, 403, "FORBIDDEN"),
            (Code::NotFound, 404, "NOT_FOUND"),
            (Code::AlreadyExists, 409, "CONFLICT"),
            (Code::FailedPrecondition, 409, "FAILED_PRECONDITION"),
            (Code::DeadlineExceeded, 504, "DEADLINE_EXCEEDED"),
            (Code::Unavailable, 503, "UNAVAILABLE"),
            (Code::Internal, 500, "INTERNAL_SERVER_ERROR"),
        ] {
            let error = ApiError::new(code, "x");
            assert_eq!((error.http_status().as_u16(), error.graphql_code()), (http, gql), "{code:?}");
        }
    }

    #[test]
    fn a_retry_delay_becomes_retry_after_in_whole_seconds() {
        let status = shop_runtime::grpc::status::resource_exhausted("slow down", Duration::from_millis(2100));
        let error = ApiError::from(status);
        assert_eq!((error.http_status().as_u16(), error.retry_after_secs()), (429, Some(3)));
        let response = error.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "3");
        let at_once = ApiError::from(shop_runtime::grpc::status::resource_exhausted("x", Duration::ZERO));
        assert_eq!(at_once.retry_after_secs(), Some(1));
    }

    #[test]
    fn internal_messages_never_reach_the_client() {
        let error = ApiError::from(tonic::Status::internal("connection to 10.0.0.7:5432 refused"));
        assert_eq!(error.message(), "internal error");
        let error = ApiError::from(tonic::Status::unavailable("tcp connect error: 127.0.0.1:50051"));
        assert!(!error.message().contains("127.0.0.1"));
    }

    #[test]
    fn field_violations_travel_from_grpc_to_the_client() {
        let status = shop_runtime::grpc::status::invalid_argument(&[FieldViolation::new(
            "email",
            "must be a valid email address",
        )]);
        let error = ApiError::from(status);
        assert_eq!(error.http_status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.violations()[0].field, "email");
    }
}
