//! Observes every RPC to its end: the final gRPC status (from the headers of
//! a trailers-only response, or from the trailers of a streamed one) goes to
//! the RPC's span and, for calls served here, to the metrics with the time
//! it took.

use std::{
    collections::HashSet,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use prost::Message as _;

use http_body::{Body, Frame};
use tonic::Code;
use tower::{Layer, Service};
use tracing::Span;

use crate::metrics::{RpcLabels, RpcMetrics};

/// The label of every request for a method this server does not serve: a
/// client sending made-up paths must not grow the label set.
pub const OTHER: &str = "_OTHER";

/// The paths (`package.Service/Method`) of every method of the named
/// services, read from their descriptors: the only values the RPC metrics'
/// service and method labels take.
#[derive(Clone, Debug, Default)]
pub(crate) struct ServedMethods(Arc<HashSet<String>>);

impl ServedMethods {
    /// Every method of `services` found in the encoded descriptor `sets`.
    pub(crate) fn of(services: &[&str], sets: &[&[u8]]) -> Self {
        let mut paths = HashSet::new();
        for set in sets {
            let Ok(set) = prost_types::FileDescriptorSet::decode(*set) else { continue };
            for file in set.file {
                for service in &file.service {
                    let name = format!("{}.{}", file.package(), service.name());
                    if services.contains(&name.as_str()) {
                        paths.extend(service.method.iter().map(|m| format!("{name}/{}", m.name())));
                    }
                }
            }
        }
        Self(Arc::new(paths))
    }

    /// The (service, method) labels of a request path.
    fn labels(&self, path: &str) -> (String, String) {
        let path = path.trim_start_matches('/');
        match path.split_once('/') {
            Some((service, method)) if self.0.contains(path) => (service.to_owned(), method.to_owned()),
            _ => (OTHER.to_owned(), OTHER.to_owned()),
        }
    }
}

/// Records each RPC in `metrics` and on its span.
#[derive(Clone, Debug)]
pub(crate) struct ObserveLayer {
    pub(crate) metrics: RpcMetrics,
    pub(crate) served: ServedMethods,
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe { inner, metrics: self.metrics.clone(), served: self.served.clone() }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Observe<S> {
    inner: S,
    metrics: RpcMetrics,
    served: ServedMethods,
}

impl<S, B, RB> Service<http::Request<B>> for Observe<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    RB: Body + Send + 'static,
{
    type Response = http::Response<ObservedBody<RB>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let (service, method) = self.served.labels(request.uri().path());
        let labels = RpcLabels { service, method, code: String::new() };
        let started = Instant::now();
        let timeout = request.headers().get("grpc-timeout").and_then(super::deadline::parse_grpc_timeout);
        let deadline = timeout.and_then(|timeout| started.checked_add(timeout));
        let side = Side::Server { metrics: self.metrics.clone(), labels, started, deadline };
        let response = self.inner.call(request);
        Box::pin(async move {
            // tonic enters the RPC's span when it polls, not when it calls.
            let mut finish = Finish { span: Span::current(), side, done: false };
            let response = response.await?;
            if let Some(code) = grpc_status(response.headers()) {
                finish.record(code);
            }
            Ok(response.map(|inner| ObservedBody { inner, finish }))
        })
    }
}

/// Records the final status of an outgoing call on its client `span`, which
/// stays open until the response body ends.
pub(crate) fn client_response(
    response: http::Response<tonic::body::Body>,
    span: Span,
) -> http::Response<tonic::body::Body> {
    let mut finish = Finish { span, side: Side::Client, done: false };
    if let Some(code) = grpc_status(response.headers()) {
        finish.record(code);
    }
    response.map(|inner| tonic::body::Body::new(ObservedBody { inner, finish }))
}

/// Records the final status of an outgoing call that ended without a
/// response (given up at its deadline, say) on its client `span`.
pub(crate) fn client_status(span: Span, code: Code) {
    Finish { span, side: Side::Client, done: false }.record(code);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_served_methods_become_labels() {
        let served = ServedMethods::of(&["grpc.health.v1.Health"], &[tonic_health::pb::FILE_DESCRIPTOR_SET]);
        assert_eq!(served.labels("/grpc.health.v1.Health/Check"), ("grpc.health.v1.Health".into(), "Check".into()));
        for made_up in ["/grpc.health.v1.Health/Nope", "/made.up.Service/Check", "/", "/x", "/grpc.health.v1.Health/"] {
            assert_eq!(served.labels(made_up), (OTHER.into(), OTHER.into()), "{made_up}");
        }
    }
}

/// The `grpc-status` of a trailers-only response, if it is one.
pub(crate) fn grpc_status(headers: &http::HeaderMap) -> Option<Code> {
    headers.get("grpc-status").and_then(|v| v.to_str().ok()?.parse::<i32>().ok()).map(Code::from_i32)
}

/// Where the status of a finished RPC goes, besides its span.
enum Side {
    /// Served here: into the RPC metrics.
    Server { metrics: RpcMetrics, labels: RpcLabels, started: Instant, deadline: Option<Instant> },
    /// Called from here: the span only.
    Client,
}

struct Finish {
    span: Span,
    side: Side,
    done: bool,
}

impl Finish {
    fn record(&mut self, code: Code) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        self.span.record("rpc.grpc.status_code", code as i32);
        let failed = match &mut self.side {
            Side::Server { metrics, labels, started, .. } => {
                labels.code = code_name(code).to_owned();
                metrics.record(labels, started.elapsed().as_secs_f64());
                // OpenTelemetry's RPC conventions: a server span fails only on
                // codes that mean the server could not do its job.
                matches!(
                    code,
                    Code::Unknown
                        | Code::DeadlineExceeded
                        | Code::Unimplemented
                        | Code::Internal
                        | Code::Unavailable
                        | Code::DataLoss
                )
            }
            Side::Client => code != Code::Ok,
        };
        if failed {
            self.span.record("otel.status_code", "ERROR");
        }
    }
}

/// How much sooner than this server a caller sees its own deadline pass: it
/// started the clock before sending, and the request took time to arrive.
const CALLER_CLOCK_LEAD: Duration = Duration::from_millis(20);

impl Drop for Finish {
    // Dropped before a status: the caller went away. At its deadline (its
    // timer fires a transit time before ours) that is DEADLINE_EXCEEDED, as
    // the caller itself reports it; before, the caller cancelled.
    fn drop(&mut self) {
        let deadline = match &self.side {
            Side::Server { deadline, .. } => *deadline,
            Side::Client => None,
        };
        let passed = deadline.is_some_and(|deadline| Instant::now() + CALLER_CLOCK_LEAD >= deadline);
        self.record(if passed { Code::DeadlineExceeded } else { Code::Cancelled });
    }
}

pin_project_lite::pin_project! {
    /// A response body that reports the RPC's final status when it ends.
    pub(crate) struct ObservedBody<B> {
        #[pin]
        inner: B,
        finish: Finish,
    }
}

impl<B: Body> Body for ObservedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                    this.finish.record(code);
                }
            }
            Poll::Ready(Some(Err(_))) => this.finish.record(Code::Internal),
            Poll::Ready(None) => this.finish.record(Code::Ok),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The canonical upper-case name of a code, as in grpc.io's status codes.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}
