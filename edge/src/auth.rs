//! The caller's bearer token: checked at the edge (so a bad token is refused
//! before anything is forwarded) and then forwarded unchanged, because every
//! service verifies it again itself.

use axum::{extract::FromRequestParts, http::request::Parts};
use shop_runtime::auth::{Principal, TokenVerifier, bearer_token};
use tonic::{Code, metadata::AsciiMetadataValue};

use crate::{error::ApiError, state::AppState};

/// A verified caller and the token to forward on their behalf.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Who they are.
    pub principal: Principal,
    authorization: AsciiMetadataValue,
}

impl Caller {
    /// Verifies the `authorization` header: `Ok(None)` when there is none.
    pub fn from_headers(headers: &http::HeaderMap, verifier: &TokenVerifier) -> Result<Option<Self>, ApiError> {
        let Some(token) = bearer_token(headers) else {
            return Ok(None);
        };
        let refused = |e: shop_runtime::auth::AuthError| ApiError::new(Code::Unauthenticated, e.to_string());
        let token = token.map_err(refused)?;
        let principal = verifier.principal(token).map_err(refused)?;
        let mut authorization = AsciiMetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| ApiError::new(Code::Unauthenticated, "malformed authorization header"))?;
        authorization.set_sensitive(true);
        Ok(Some(Self { principal, authorization }))
    }
}

/// A gRPC request carrying the caller's token, if there is a caller.
pub fn forwarded<T>(caller: Option<&Caller>, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(caller) = caller {
        request.metadata_mut().insert("authorization", caller.authorization.clone());
    }
    request
}

/// REST extractor: the caller if a valid token was sent, `None` if none was,
/// 401 if a bad one was.
#[derive(Clone, Debug)]
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Caller::from_headers(&parts.headers, &state.verifier).map(MaybeCaller)
    }
}

/// REST extractor for endpoints that need a signed-in caller: 401 without one.
impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Caller::from_headers(&parts.headers, &state.verifier)?
            .ok_or_else(|| ApiError::new(Code::Unauthenticated, "authentication required"))
    }
}
