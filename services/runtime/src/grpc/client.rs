//! The channel every outgoing call goes through: trace context, the
//! remaining deadline and, for service-to-service calls, this service's own
//! token are added to each request.

use std::{
    task::{Context, Poll},
    time::Instant,
};

use futures::{FutureExt, future::BoxFuture};
use http::HeaderValue;
use http_body_util::BodyExt;
use tonic::{Code, Status, body::Body};
use tower::{Service, ServiceExt};
use tracing::{Instrument, Span};

use super::ServiceTokens;
use super::{Upstream, client_address, deadline, observe, trace};
use crate::telemetry::inject_context;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An [`Upstream`] channel that adds, on every call: a client span (with the final
/// status) and the W3C trace context; the end client's address, when the
/// work is done for one (see [`super::client_address`]); a deadline, the sooner of the current
/// one and the upstream's call timeout, sent as `grpc-timeout` and kept here
/// (DEADLINE_EXCEEDED once it passes, without waiting for the server to say
/// so, and before the call is made if none is left); and, when built with
/// [`MeshChannel::with_service_tokens`], this service's bearer token unless
/// the request already carries an `authorization` value.
#[derive(Clone, Debug)]
pub struct MeshChannel {
    channel: Upstream,
    tokens: Option<ServiceTokens>,
}

impl MeshChannel {
    /// Calls with whatever credentials each request carries (the edge
    /// forwards the end user's token this way).
    pub fn new(channel: impl Into<Upstream>) -> Self {
        Self { channel: channel.into(), tokens: None }
    }

    /// Calls as this service, with tokens from `tokens`.
    pub fn with_service_tokens(channel: impl Into<Upstream>, tokens: ServiceTokens) -> Self {
        Self { channel: channel.into(), tokens: Some(tokens) }
    }
}

impl Service<http::Request<Body>> for MeshChannel {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.channel.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        let span = trace::client_span(request.uri().path());
        inject_context(&span, request.headers_mut());
        let now = Instant::now();
        let limit = self.channel.call_timeout().map(|timeout| now + timeout);
        let deadline = match (deadline::current(), limit) {
            (Some(current), Some(limit)) => Some(current.min(limit)),
            (current, limit) => current.or(limit),
        };
        if let Some(left) = deadline.map(|d| d.saturating_duration_since(now)) {
            if left.is_zero() {
                let status = Status::deadline_exceeded("deadline exceeded before the call was made");
                return futures::future::ready(Err(status.into())).boxed();
            }
            let asked = request.headers().get("grpc-timeout").and_then(deadline::parse_grpc_timeout);
            let timeout = asked.map_or(left, |t| t.min(left));
            request.headers_mut().insert("grpc-timeout", deadline::encode_grpc_timeout(timeout));
        }
        if let Some(address) = client_address::header_value() {
            request.headers_mut().insert(client_address::HEADER, address);
        }
        // `poll_ready` reserved capacity on `self.channel`; the call must use that one.
        let fresh = self.channel.clone();
        let channel = std::mem::replace(&mut self.channel, fresh);
        let tokens = self.tokens.clone().filter(|_| !request.headers().contains_key(http::header::AUTHORIZATION));
        async move {
            match tokens {
                Some(tokens) => call_as_service(channel, request, &tokens, deadline).await,
                None => call(channel, request, deadline).await,
            }
        }
        .instrument(span)
        .boxed()
    }
}

/// Calls with this service's token. A token refused with UNAUTHENTICATED
/// (the users service restarted with a new key pair, say) is dropped from
/// the cache and the call is made once more with a fresh one; so the
/// (unary) request is buffered to be sent twice.
async fn call_as_service(
    channel: Upstream,
    request: http::Request<Body>,
    tokens: &ServiceTokens,
    deadline: Option<Instant>,
) -> Result<http::Response<Body>, BoxError> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let again = |token: HeaderValue| {
        let mut request = http::Request::new(Body::new(http_body_util::Full::new(body.clone())));
        *request.method_mut() = parts.method.clone();
        *request.uri_mut() = parts.uri.clone();
        *request.version_mut() = parts.version;
        *request.headers_mut() = parts.headers.clone();
        request.headers_mut().insert(http::header::AUTHORIZATION, token);
        request
    };
    let token = tokens.authorization().await?;
    let mut first = again(token.clone());
    *first.extensions_mut() = parts.extensions.clone();
    let mut spare = channel.clone();
    let response = call(channel, first, deadline).await?;
    if observe::grpc_status(response.headers()) != Some(Code::Unauthenticated) {
        return Ok(response);
    }
    tracing::info!("this service's token was refused; retrying once with a fresh one");
    tokens.invalidate_if(&token).await;
    let token = tokens.authorization().await?;
    spare.ready().await?;
    call(spare, again(token), deadline).await
}

/// One call on a ready `channel`, given up at `deadline`.
async fn call(
    mut channel: Upstream,
    request: http::Request<Body>,
    deadline: Option<Instant>,
) -> Result<http::Response<Body>, BoxError> {
    let call = channel.call(request);
    let Some(deadline) = deadline else {
        return Ok(observe::client_response(call.await?, Span::current()));
    };
    // The server stops at the deadline too, but a server that is
    // stuck, or a network that is, must not hold this caller longer.
    // tonic's channel also times the call on the `grpc-timeout` sent (it
    // cannot be turned off) and fails it with `TimeoutExpired`, which it
    // would call CANCELLED: that is this same deadline passing.
    match tokio::time::timeout_at(deadline.into(), call).await {
        Ok(Ok(response)) => Ok(observe::client_response(response, Span::current())),
        Ok(Err(error)) if !timed_out(&*error) => Err(error),
        Ok(Err(_)) | Err(_) => {
            observe::client_status(Span::current(), Code::DeadlineExceeded);
            Err(Status::deadline_exceeded("deadline exceeded waiting for the response").into())
        }
    }
}

/// Whether `error` is tonic's own timer on the sent `grpc-timeout` firing.
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<tonic::TimeoutExpired>() {
            return true;
        }
        cause = error.source();
    }
    false
}
