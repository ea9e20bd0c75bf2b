//! One request through goose, named for the report, with a bearer token and
//! a JSON body where needed.

use goose::{goose::GooseResponse, prelude::*};
use serde_json::Value;

/// A request to send.
pub struct Call<'a> {
    /// GET, POST, ...
    pub method: GooseMethod,
    /// Path and query on the edge.
    pub path: &'a str,
    /// The row it is counted under in the report.
    pub name: &'a str,
    /// The caller's access token.
    pub token: Option<&'a str>,
    /// A JSON body, as sent.
    pub body: Option<String>,
    /// An `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
}

impl<'a> Call<'a> {
    /// A GET of `path`, counted under `name`.
    pub fn get(path: &'a str, name: &'a str) -> Self {
        Self { method: GooseMethod::Get, path, name, token: None, body: None, idempotency_key: None }
    }

    /// `method` on `path` with a JSON `body`.
    pub fn json(method: GooseMethod, path: &'a str, name: &'a str, body: Value) -> Self {
        Self::json_text(method, path, name, body.to_string())
    }

    /// `method` on `path` with a JSON body already serialized.
    pub fn json_text(method: GooseMethod, path: &'a str, name: &'a str, body: String) -> Self {
        Self { method, path, name, token: None, body: Some(body), idempotency_key: None }
    }

    /// Sent by the customer holding `token`.
    pub fn by(self, token: &'a str) -> Self {
        Self { token: Some(token), ..self }
    }

    /// Sends it; goose records the time and the status (non-2xx fails).
    pub async fn send(self, user: &mut GooseUser) -> Result<GooseResponse, Box<TransactionError>> {
        let mut builder = user.get_request_builder(&self.method, self.path)?;
        if let Some(token) = self.token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        if let Some(key) = self.idempotency_key {
            builder = builder.header("idempotency-key", key);
        }
        if let Some(body) = self.body {
            builder = builder.header("content-type", "application/json").body(body);
        }
        let request = GooseRequest::builder()
            .method(self.method)
            .path(self.path)
            .name(self.name)
            .set_request_builder(builder)
            .build();
        user.request(request).await
    }
}

/// The JSON body of a successful answer (`Value::Null` if there is none).
pub async fn json_of(response: GooseResponse) -> Value {
    match response.response {
        Ok(answer) if answer.status().is_success() => {
            answer.text().await.ok().and_then(|text| serde_json::from_str::<Value>(&text).ok()).unwrap_or(Value::Null)
        }
        _ => Value::Null,
    }
}

/// The body of a successful answer read as a `T`, which names only what is
/// checked (with `serde::de::IgnoredAny` for the rest, nothing is built);
/// `None` if it is not one.
pub async fn checked_body<T: serde::de::DeserializeOwned>(response: GooseResponse) -> Option<T> {
    match response.response {
        Ok(answer) if answer.status().is_success() => {
            answer.bytes().await.ok().and_then(|bytes| serde_json::from_slice(&bytes).ok())
        }
        _ => None,
    }
}
