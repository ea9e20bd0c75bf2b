//! A JSON body extractor whose errors are problem+json naming the field,
//! for REST bodies and GraphQL requests alike.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{StatusCode, header},
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tonic::Code;

use crate::error::ApiError;

/// Like `axum::Json`, but a body that does not fit is a 400 problem whose
/// `errors` name the offending field (e.g. `email`: "missing field").
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                Code::InvalidArgument,
                "expected a request body with Content-Type: application/json",
            ));
        }
        let body = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::body_too_large()
            } else {
                ApiError::http(rejection.status(), rejection.body_text())
            }
        })?;
        parse(&body).map(ApiJson)
    }
}

/// Deserialises a JSON body, naming the field at fault. A number with no
/// fraction is an integer, as JSON Schema says (`2.0` is a fine quantity).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        let description = error.to_string();
        ApiError::invalid_field("body", description.split(" at line ").next().unwrap_or(&description))
    })?;
    if let Some(field) = nul_in(&value, "") {
        return Err(ApiError::invalid_field(&field, NO_NUL));
    }
    serde_path_to_error::deserialize(integral(value)).map_err(|error| {
        let inner = error.inner().to_string();
        // serde reports a missing field at its parent, naming it in the message.
        let missing = inner.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
        let parent = error.path().to_string();
        let field = match (missing, parent.as_str()) {
            (Some(name), ".") => name.to_owned(),
            (Some(name), parent) => format!("{parent}.{name}"),
            (None, ".") => "body".to_owned(),
            (None, path) => path.to_owned(),
        };
        let description = inner.split(" at line ").next().unwrap_or(&inner).to_owned();
        ApiError::invalid_field(&field, description)
    })
}

/// What a text with U+0000 in it is told: no service can store or compare
/// one (PostgreSQL refuses it), so none is taken.
pub const NO_NUL: &str = "must not contain the NUL character (U+0000)";

/// Where in `value` a string holds U+0000, named as serde_path_to_error names fields.
fn nul_in(value: &Value, at: &str) -> Option<String> {
    match value {
        Value::String(text) if text.contains('\0') => {
            Some(if at.is_empty() { "body".to_owned() } else { at.to_owned() })
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| nul_in(item, &format!("{at}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(name, field)| {
            let path = if at.is_empty() { name.clone() } else { format!("{at}.{name}") };
            nul_in(field, &path)
        }),
        _ => None,
    }
}

/// `value` with every whole float (within i64) written as an integer.
fn integral(value: Value) -> Value {
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() < 9.0e18 => {
                #[expect(clippy::cast_possible_truncation, reason = "whole and within i64, checked above")]
                let whole = float as i64;
                Value::from(whole)
            }
            _ => Value::Number(number),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(integral).collect()),
        Value::Object(fields) => Value::Object(fields.into_iter().map(|(k, v)| (k, integral(v))).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "only deserialized, to see which field a bad body names")]
    struct Body {
        email: String,
        address: Address,
    }

    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "only deserialized, to see which field a bad body names")]
    struct Address {
        postal_code: String,
    }

    fn field_of(json: &str) -> String {
        parse::<Body>(json.as_bytes()).expect_err(json).violations()[0].field.clone()
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of(r#"{"address": {"postal_code": "1"}}"#), "email");
        assert_eq!(field_of(r#"{"email": 5, "address": {"postal_code": "1"}}"#), "email");
        assert_eq!(field_of(r#"{"email": "a", "address": {"postal_code": 10115}}"#), "address.postal_code");
        assert_eq!(field_of(r#"{"email": "a", "address": {}}"#), "address.postal_code");
        assert_eq!(field_of("not json"), "body");
    }

    #[test]
    fn a_nul_anywhere_is_refused_naming_where() {
        assert_eq!(field_of("{\"email\": \"a\\u0000b\", \"address\": {\"postal_code\": \"1\"}}"), "email");
        assert_eq!(field_of("{\"email\": \"a\", \"address\": {\"postal_code\": \"\\u0000\"}}"), "address.postal_code");
        let error = parse::<Vec<String>>(b"[\"ok\", \"\\u0000\"]").unwrap_err();
        assert_eq!(error.violations()[0].field, "[1]");
    }

    #[test]
    fn whole_floats_are_integers_and_fractions_are_not() {
        #[derive(Debug, serde::Deserialize)]
        struct Quantity {
            quantity: i32,
        }
        assert_eq!(parse::<Quantity>(br#"{"quantity": 3.0}"#).unwrap().quantity, 3);
        let error = parse::<Quantity>(br#"{"quantity": 2.5}"#).unwrap_err();
        assert_eq!(error.violations()[0].field, "quantity");
    }
}
