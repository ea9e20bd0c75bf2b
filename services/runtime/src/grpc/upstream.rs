//! The channel to one upstream service, balanced over every address its name
//! resolves to.
//!
//! A Kubernetes ClusterIP Service pins each HTTP/2 connection, and so every
//! call on it, to one pod: a second replica would get nothing from a caller
//! that already holds a connection. So a service is addressed by a name that
//! resolves to every replica (a headless Service), each replica that says
//! SERVING gets its own connection, and calls are spread over them. The name
//! is re-resolved every `GRPC_RESOLVE_INTERVAL_MS`; see [`super::discovery`].

use std::{
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use futures::{FutureExt, future::BoxFuture};
use tonic::{
    Status,
    body::Body,
    transport::{Channel, Endpoint},
};
use tower::{Service, ServiceExt};

use super::{
    Dependency,
    discovery::{self, EndpointTemplate, Rotation, endpoint},
};
use crate::config::ClientConfig;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why an upstream URL cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// Not a URL.
    #[error("{url:?} is not a URL: {source}")]
    Invalid {
        /// What was given.
        url: String,
        /// Why it does not parse.
        source: tonic::transport::Error,
    },
    /// A URL without a host or a port.
    #[error("{0:?} needs a host and a port, e.g. http://products:50052")]
    Incomplete(String),
}

/// A channel to one service. An IP address names one server; a host name
/// names every address it resolves to, kept up to date in the background,
/// with calls spread over those that are SERVING. While none is, calls fail
/// at once with UNAVAILABLE rather than wait for one.
#[derive(Debug)]
pub struct Upstream {
    channel: Channel,
    /// Longest any one call may take, when the caller's deadline is later
    /// or there is none ([`super::MeshChannel`] keeps it).
    call_timeout: Option<Duration>,
    rotation: Option<Arc<Rotation>>,
    // `poll_ready` reserved a slot on `channel`, so `call` must use it.
    reserved: bool,
}

impl Upstream {
    /// Connects lazily to `url` (`http://host:port`); a host name is resolved,
    /// and followed, from a task on the current runtime.
    pub fn connect(url: &str, config: &ClientConfig) -> Result<Self, UpstreamError> {
        let invalid = |source| UpstreamError::Invalid { url: url.to_owned(), source };
        let uri = Endpoint::from_shared(url.to_owned()).map_err(invalid)?.uri().clone();
        let (Some(host), Some(port)) = (uri.host(), uri.port_u16()) else {
            return Err(UpstreamError::Incomplete(url.to_owned()));
        };
        let call_timeout = Some(Duration::from_millis(config.call_timeout_ms));
        if host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok() {
            let channel = endpoint(uri, config).connect_lazy();
            return Ok(Self { channel, call_timeout, rotation: None, reserved: false });
        }
        let (channel, changes) = Channel::balance_channel(16);
        let rotation = Arc::new(Rotation::new(format!("{host}:{port}")));
        let template = EndpointTemplate::new(uri, config.clone());
        let interval = Duration::from_millis(config.resolve_interval_ms.max(1));
        // Each address is asked over its own connection whether it serves.
        let probe = |at: Endpoint| Dependency::service("address", Upstream::from(at.connect_lazy()));
        tokio::spawn(discovery::follow(Arc::clone(&rotation), template, changes, interval, probe));
        Ok(Self { channel, call_timeout, rotation: Some(rotation), reserved: false })
    }

    /// The same channel, its calls limited only by the caller's deadline: for
    /// calls that last (a subscription to an event feed).
    pub fn without_call_timeout(mut self) -> Self {
        self.call_timeout = None;
        self
    }

    /// Longest any one call may take (`GRPC_CALL_TIMEOUT_MS`), if limited.
    pub fn call_timeout(&self) -> Option<Duration> {
        self.call_timeout
    }
}

impl Clone for Upstream {
    fn clone(&self) -> Self {
        // A clone has reserved nothing yet.
        Self {
            channel: self.channel.clone(),
            call_timeout: self.call_timeout,
            rotation: self.rotation.clone(),
            reserved: false,
        }
    }
}

impl From<Channel> for Upstream {
    /// A channel made elsewhere, used as it is: its calls limited only by
    /// the caller's deadline.
    fn from(channel: Channel) -> Self {
        Self { channel, call_timeout: None, rotation: None, reserved: false }
    }
}

impl Service<http::Request<Body>> for Upstream {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.rotation.as_ref().is_some_and(|rotation| rotation.serving().unwrap_or(0) == 0) {
            // `call` decides without a reserved slot.
            return Poll::Ready(Ok(()));
        }
        let ready = self.channel.poll_ready(cx).map_err(Into::into);
        self.reserved = matches!(ready, Poll::Ready(Ok(())));
        ready
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let rotation = match &self.rotation {
            Some(rotation) if !std::mem::take(&mut self.reserved) => Arc::clone(rotation),
            _ => return self.channel.call(request).map(|result| result.map_err(Into::into)).boxed(),
        };
        let mut channel = self.channel.clone();
        async move {
            // Only the calls made before the name was first looked up wait.
            rotation.settled().await;
            if rotation.serving() == Some(0) {
                return Err(Status::unavailable(rotation.describe_empty()).into());
            }
            channel.ready().await?;
            channel.call(request).await.map_err(Into::into)
        }
        .boxed()
    }
}
