//! The server layer that turns `authorization` metadata into a [`Principal`].

use std::task::{Context, Poll};

use futures::future::{Either, Ready, ready};
use tower::{Layer, Service};

use super::{AuthError, TokenVerifier, bearer_token};

/// Verifies the bearer token of every request, if there is one, and attaches
/// the caller as a [`super::Principal`] request extension. A request without a
/// token passes on as anonymous (each RPC decides whether that is enough); a
/// request with a bad token is refused here with UNAUTHENTICATED.
#[derive(Clone, Debug)]
pub struct AuthLayer {
    verifier: TokenVerifier,
}

impl AuthLayer {
    /// A layer verifying with `verifier`.
    pub fn new(verifier: TokenVerifier) -> Self {
        Self { verifier }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService { inner, verifier: self.verifier.clone() }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    verifier: TokenVerifier,
}

impl<S, B, RB> Service<http::Request<B>> for AuthService<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>>,
    RB: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<S::Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let principal = match bearer_token(request.headers()) {
            None => None,
            Some(token) => match token.and_then(|t| self.verifier.principal(t)) {
                Ok(principal) => Some(principal),
                Err(error) => return Either::Left(ready(Ok(refuse(error)))),
            },
        };
        if let Some(principal) = principal {
            request.extensions_mut().insert(principal);
        }
        Either::Right(self.inner.call(request))
    }
}

fn refuse<RB: Default>(error: AuthError) -> http::Response<RB> {
    tonic::Status::from(error).into_http()
}
