//! The one way a service serves gRPC: its services plus grpc.health.v1,
//! server reflection (v1 and v1alpha), auth, deadlines, per-RPC spans and
//! metrics, health that follows the service's dependencies, and a graceful
//! shutdown that drains in-flight calls within a time limit.

use std::{
    convert::Infallible,
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use tokio::net::TcpListener;
use tokio_util::task::{AbortOnDropHandle, TaskTracker};
use tonic::{body::Body, server::NamedService, service::RoutesBuilder};
use tonic_health::server::HealthReporter;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};
use tracing::{Instrument, Span};

use super::{
    accept::{self, ConnectionSettings},
    background::Background,
    deadline,
    health::{Dependency, HealthWatch},
    observe::{ObserveLayer, ServedMethods},
    trace,
};
use crate::{
    admin,
    auth::{AuthLayer, TokenVerifier},
    config::ServeConfig,
    db::{Db, PoolGauges},
    listen,
    metrics::{Metrics, RpcMetrics},
    shutdown::{Shutdown, drain_within},
};

/// Where a service listens: gRPC, and the admin HTTP port (metrics) if any.
#[derive(Debug)]
pub struct Listeners {
    /// The gRPC port.
    pub grpc: TcpListener,
    /// The admin HTTP port.
    pub admin: Option<TcpListener>,
}

impl Listeners {
    /// Binds both addresses (port 0 picks free ports), or takes the sockets
    /// named `grpc` and `admin` if the process was handed them (see [`crate::listen`]).
    pub async fn bind(grpc: std::net::SocketAddr, admin: Option<std::net::SocketAddr>) -> std::io::Result<Self> {
        let grpc = listen::take_or_bind(listen::GRPC, grpc).await?;
        let admin = match admin {
            Some(addr) => Some(listen::take_or_bind(listen::ADMIN, addr).await?),
            None => None,
        };
        Ok(Self { grpc, admin })
    }

    /// The bound gRPC address.
    pub fn grpc_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.grpc.local_addr()
    }

    /// The bound admin address, if there is one.
    pub fn admin_addr(&self) -> Option<std::net::SocketAddr> {
        self.admin.as_ref().and_then(|l| l.local_addr().ok())
    }
}

/// Why serving stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The reflection service could not be built.
    #[error("cannot build the reflection service")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// A gRPC server under construction.
#[derive(Debug)]
pub struct GrpcServer {
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    health: HealthReporter,
    dependencies: Vec<Dependency>,
    verifier: TokenVerifier,
    config: ServeConfig,
    metrics: Metrics,
    background: Background,
}

impl GrpcServer {
    /// A server with health and reflection, verifying tokens with `verifier`.
    pub fn new(config: ServeConfig, verifier: TokenVerifier) -> Self {
        let (health, health_service) = tonic_health::server::health_reporter();
        let mut routes = RoutesBuilder::default();
        routes.add_service(health_service);
        let metrics = Metrics::new();
        let background = Background::default();
        Self { routes, names: Vec::new(), health, dependencies: Vec::new(), verifier, config, metrics, background }
    }

    /// The service's own database: its pool shows in the metrics, and the
    /// server is NOT_SERVING while the database does not answer.
    pub fn database(mut self, db: Db) -> Self {
        self.metrics.register_collector(PoolGauges(db.clone()));
        self.dependencies.push(Dependency::Database(db));
        self
    }

    /// Services this one calls: while one is not SERVING, neither are this
    /// server's named services (the overall status stays with the database).
    pub fn depends_on(mut self, services: impl IntoIterator<Item = Dependency>) -> Self {
        self.dependencies.extend(services);
        self
    }

    /// The server's metrics, to register a service's own families.
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// Runs `round` on a clone of `state` every `interval` (the first at
    /// once) while the server serves. A failed round is logged under `name`
    /// and the next one runs on time; at shutdown no new round starts, and the
    /// one under way gets the drain limit to finish.
    pub fn every<S, F, Fut, E>(mut self, name: &'static str, interval: Duration, state: S, round: F) -> Self
    where
        S: Clone + Send + 'static,
        F: Fn(S) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send,
        E: std::fmt::Display,
    {
        self.background.every(name, interval, move || round(state.clone()));
        self
    }

    /// A task that runs from the start of serving until the shutdown (an
    /// event consumer, say): given the shutdown signal, it should stop soon
    /// after it fires; it gets the drain limit to do so.
    pub fn worker<F, Fut>(mut self, name: &'static str, work: F) -> Self
    where
        F: FnOnce(Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.background.worker(name, work);
        self
    }

    /// Tasks that calls start and that outlive them (`name` says what they
    /// are in the log): at shutdown, once the calls have drained, they get
    /// the drain limit to finish.
    pub fn detached(mut self, name: &'static str, tasks: TaskTracker) -> Self {
        self.background.detached(name, tasks);
        self
    }

    /// Adds a generated service (`FooServiceServer::new(..)`).
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Serves gRPC (and metrics on the admin port, if there is one) until
    /// `shutdown` fires, then drains in-flight calls for at most the
    /// configured time. Health is checked before the first call is taken,
    /// then every configured interval, and turns NOT_SERVING as soon as the
    /// shutdown starts, so load balancers stop sending work.
    pub async fn serve(self, listeners: Listeners, shutdown: Shutdown) -> Result<(), ServeError> {
        let Self { mut routes, names, health, dependencies, verifier, config, metrics, background } = self;
        let rpc_metrics = RpcMetrics::rpc(&metrics);
        if let Some(admin) = listeners.admin {
            let (metrics, stop) = (metrics.clone(), shutdown.clone());
            tokio::spawn(async move {
                if let Err(error) = admin::serve(admin, metrics, stop).await {
                    tracing::error!(%error, "admin server failed");
                }
            });
        }
        let served = ServedMethods::of(
            &[&names[..], &[HEALTH, REFLECTION_V1, REFLECTION_V1ALPHA]].concat(),
            &[
                shop_proto::FILE_DESCRIPTOR_SET,
                tonic_health::pb::FILE_DESCRIPTOR_SET,
                tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
                tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
            ],
        );
        routes
            .add_service(reflection(&names, REFLECTION_V1).build_v1()?)
            .add_service(reflection(&names, REFLECTION_V1ALPHA).build_v1alpha()?);
        let interval = Duration::from_millis(config.health_check_interval_ms);
        let watch = HealthWatch { reporter: health, names, dependencies, interval };
        let watching = watch.start(shutdown.clone()).await;

        let request_timeout = Duration::from_secs(config.request_timeout_secs);
        let calls = ServiceBuilder::new()
            // Outermost first: the span covers everything, and the observer
            // sees every status, auth refusals included.
            .layer_fn(Traced)
            .layer(ObserveLayer { metrics: rpc_metrics, served })
            .layer(DeadlineLayer { default: request_timeout })
            .layer(AuthLayer::new(verifier))
            .service(routes.routes());
        let settings =
            ConnectionSettings { concurrency: config.concurrency_per_connection, keepalive: Duration::from_secs(30) };
        let background = background.start(&shutdown);
        let server = accept::serve(listeners.grpc, calls, settings, shutdown.clone());
        let drain = Duration::from_secs(config.drain_secs);
        drain_within(&shutdown, drain, server).await;
        background.finish(drain).await;
        watching.abort();
        Ok(())
    }
}

const HEALTH: &str = "grpc.health.v1.Health";
const REFLECTION_V1: &str = "grpc.reflection.v1.ServerReflection";
const REFLECTION_V1ALPHA: &str = "grpc.reflection.v1alpha.ServerReflection";

/// Reflection advertising exactly what this server serves, with the
/// descriptors grpcurl needs to print requests, responses and error details.
fn reflection<'a>(served: &[&str], itself: &str) -> tonic_reflection::server::Builder<'a> {
    let builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(shop_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .with_service_name(HEALTH)
        .with_service_name(itself);
    served.iter().fold(builder, |builder, name| builder.with_service_name(*name))
}

/// Runs each call inside a deadline scope: the caller's `grpc-timeout`, or
/// the server's own request timeout, whichever is sooner. Outgoing calls made
/// while serving pass on what is left, and when the deadline passes the work
/// is abandoned and the caller gets DEADLINE_EXCEEDED.
#[derive(Clone, Copy, Debug)]
struct DeadlineLayer {
    default: Duration,
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = DeadlineService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DeadlineService { inner, default: self.default }
    }
}

#[derive(Clone, Debug)]
struct DeadlineService<S> {
    inner: S,
    default: Duration,
}

impl<S, B, RB> Service<http::Request<B>> for DeadlineService<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let timeout = request
            .headers()
            .get("grpc-timeout")
            .and_then(deadline::parse_grpc_timeout)
            .map_or(self.default, |t| t.min(self.default));
        let deadline = Instant::now() + timeout;
        let work = deadline::until(Some(deadline), self.inner.call(request));
        Box::pin(async move {
            // tonic enters the RPC's span when it polls, not when it calls.
            let work = work.instrument(Span::current());
            // A task of its own, so abandoning the work never waits for it: a
            // SQLite statement being dropped finishes on its blocking thread first.
            let task = AbortOnDropHandle::new(tokio::spawn(work));
            // The one timer on this call's deadline: nothing else in the
            // server times it (see `accept`), so its answer is the answer.
            match tokio::time::timeout_at(deadline.into(), task).await {
                Ok(Ok(result)) => result,
                Ok(Err(failed)) => {
                    tracing::error!(error = %failed, "the handler panicked");
                    Ok(tonic::Status::internal("internal error").into_http())
                }
                Err(_) => {
                    tracing::warn!(timeout_ms = timeout.as_millis() as u64, "deadline passed; work abandoned");
                    Ok(tonic::Status::deadline_exceeded("deadline exceeded").into_http())
                }
            }
        })
    }
}

/// Runs each call inside its server span (continuing the caller's trace).
#[derive(Clone, Debug)]
struct Traced<S>(S);

impl<S, B> Service<http::Request<B>> for Traced<S>
where
    S: Service<http::Request<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = tracing::instrument::Instrumented<tower::util::Oneshot<S, http::Request<B>>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The inner service is readied in the call's own future, inside its span.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let span = trace::server_span(&request);
        self.0.clone().oneshot(request).instrument(span)
    }
}
