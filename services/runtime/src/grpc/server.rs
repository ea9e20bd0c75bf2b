//! The one way a service serves gRPC: its services plus grpc.health.v1,
//! server reflection (v1 and v1alpha), auth, deadlines, per-RPC spans, and a
//! graceful shutdown that drains in-flight calls within a time limit.

use std::{
    convert::Infallible,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use futures::FutureExt;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{body::Body, server::NamedService, service::RoutesBuilder, transport::Server};
use tonic_health::{ServingStatus, server::HealthReporter};
use tower::{Layer, Service};

use super::{deadline, observe::ObserveLayer, trace};
use crate::{
    admin,
    auth::{AuthLayer, TokenVerifier},
    config::ServeConfig,
    metrics::Metrics,
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
    /// Binds both addresses (port 0 picks free ports).
    pub async fn bind(grpc: std::net::SocketAddr, admin: Option<std::net::SocketAddr>) -> std::io::Result<Self> {
        let grpc = TcpListener::bind(grpc).await?;
        let admin = match admin {
            Some(addr) => Some(TcpListener::bind(addr).await?),
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
    /// The transport failed.
    #[error("gRPC transport")]
    Transport(#[from] tonic::transport::Error),
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
    verifier: TokenVerifier,
    config: ServeConfig,
    metrics: Metrics,
}

impl GrpcServer {
    /// A server with health and reflection, verifying tokens with `verifier`.
    pub fn new(config: ServeConfig, verifier: TokenVerifier) -> Self {
        let (health, health_service) = tonic_health::server::health_reporter();
        let mut routes = RoutesBuilder::default();
        routes.add_service(health_service);
        Self { routes, names: Vec::new(), health, verifier, config, metrics: Metrics::new() }
    }

    /// The server's metrics, to register a service's own families.
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
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

    /// The health reporter, to mark services NOT_SERVING when a dependency fails.
    pub fn health(&self) -> HealthReporter {
        self.health.clone()
    }

    /// Serves gRPC (and metrics on the admin port, if there is one) until
    /// `shutdown` fires, then drains in-flight calls for at most the
    /// configured time. Health turns NOT_SERVING as soon as the shutdown
    /// starts, so load balancers stop sending work.
    pub async fn serve(self, listeners: Listeners, shutdown: Shutdown) -> Result<(), ServeError> {
        let Self { mut routes, names, health, verifier, config, metrics } = self;
        if let Some(admin) = listeners.admin {
            let (metrics, stop) = (metrics.clone(), shutdown.clone());
            tokio::spawn(async move {
                if let Err(error) = admin::serve(admin, metrics, stop).await {
                    tracing::error!(%error, "admin server failed");
                }
            });
        }
        routes
            .add_service(reflection(&names, "grpc.reflection.v1.ServerReflection").build_v1()?)
            .add_service(reflection(&names, "grpc.reflection.v1alpha.ServerReflection").build_v1alpha()?);
        for name in &names {
            health.set_service_status(*name, ServingStatus::Serving).await;
        }
        let draining = shutdown.clone();
        tokio::spawn(async move {
            draining.wait().await;
            health.set_service_status("", ServingStatus::NotServing).await;
            for name in names {
                health.set_service_status(name, ServingStatus::NotServing).await;
            }
        });

        let request_timeout = Duration::from_secs(config.request_timeout_secs);
        let stop = shutdown.clone();
        let server = Server::builder()
            .timeout(request_timeout)
            .concurrency_limit_per_connection(config.concurrency_per_connection)
            .tcp_nodelay(true)
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .trace_fn(trace::server_span)
            // Outermost first: the observer sees every status, auth refusals included.
            .layer(ObserveLayer { metrics })
            .layer(DeadlineLayer { default: request_timeout })
            .layer(AuthLayer::new(verifier))
            .add_routes(routes.routes())
            .serve_with_incoming_shutdown(TcpListenerStream::new(listeners.grpc), async move { stop.wait().await });
        let drain = Duration::from_secs(config.drain_secs);
        match drain_within(&shutdown, drain, server).await {
            Some(result) => result.map_err(ServeError::from),
            None => Ok(()),
        }
    }
}

/// Reflection advertising exactly what this server serves, with the
/// descriptors grpcurl needs to print requests, responses and error details.
fn reflection<'a>(served: &[&str], itself: &str) -> tonic_reflection::server::Builder<'a> {
    let builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(shop_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .with_service_name("grpc.health.v1.Health")
        .with_service_name(itself);
    served.iter().fold(builder, |builder, name| builder.with_service_name(*name))
}

/// Runs each call inside a deadline scope: the caller's `grpc-timeout`, or
/// the server's own request timeout, whichever is sooner. Outgoing calls made
/// while serving pass on what is left.
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

impl<S, B> Service<http::Request<B>> for DeadlineService<S>
where
    S: Service<http::Request<B>>,
    S::Future: Send + 'static,
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
        deadline::within(timeout, self.inner.call(request)).boxed()
    }
}
