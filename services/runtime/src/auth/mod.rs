//! Access tokens: their claims, verification with the public key, the server
//! layer that attaches the caller to each request, and role checks. (This
//! service's own token, for its calls, comes from `grpc::ServiceTokens`.)

mod layer;
mod principal;
mod verifier;

pub use layer::AuthLayer;
pub use principal::{AuthError, Principal, Role};
pub use verifier::{AUDIENCE, Claims, ISSUER, KeyError, TokenVerifier};

/// Reads `authorization: Bearer <token>`. `None` when the header is absent;
/// `Some(Err)` when it is present but not a bearer token.
pub fn bearer_token(headers: &http::HeaderMap) -> Option<Result<&str, AuthError>> {
    let value = headers.get(http::header::AUTHORIZATION)?;
    let parsed = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(AuthError::InvalidToken);
    Some(parsed)
}
