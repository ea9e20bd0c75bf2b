//! The HTTP/2 accept loop gRPC is served on.
//!
//! tonic's `Server` wraps every service in a timer of its own on
//! `grpc-timeout`, which answers CANCELLED when it fires: a second owner of
//! the deadline that [`super::server`]'s deadline layer already keeps, and
//! one that said the wrong thing. Serving the routes on hyper directly
//! leaves exactly one owner, and sets TCP_NODELAY on every accepted
//! connection whether the listener was bound here or handed in.

use std::{convert::Infallible, net::SocketAddr, time::Duration};

use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::net::{TcpListener, TcpStream};
use tonic::{body::Body, transport::server::TcpConnectInfo};
use tower::{Service, ServiceExt, limit::ConcurrencyLimit};

use crate::shutdown::Shutdown;

/// How each connection is served.
#[derive(Clone, Copy, Debug)]
pub(super) struct ConnectionSettings {
    /// Most calls served at once on one connection; the rest wait their turn.
    pub concurrency: usize,
    /// How often an idle connection is pinged to keep it (and NATs) alive.
    pub keepalive: Duration,
}

/// Serves `service` on every connection `listener` accepts until `shutdown`
/// starts, then stops accepting (closing the socket) and waits for the open
/// connections to finish their calls; the caller bounds that wait.
pub(super) async fn serve<S, B>(listener: TcpListener, service: S, settings: ConnectionSettings, shutdown: Shutdown)
where
    S: Service<http::Request<Body>, Response = http::Response<B>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = hyper::body::Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut builder = auto::Builder::new(TokioExecutor::new()).http2_only();
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(settings.keepalive);
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, remote) = tokio::select! {
            () = shutdown.wait() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: back off instead of spinning.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let info = prepare(&stream, remote);
        // Calls beyond the limit wait their turn on this connection.
        let service = ConcurrencyLimit::new(service.clone(), settings.concurrency).map_request(
            move |request: http::Request<Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(info.clone());
                request
            },
        );
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Readies an accepted connection: TCP_NODELAY (without it a small
/// response waits for the peer's delayed ACK: Nagle's algorithm), and the
/// addresses each call sees through tonic's `Request::remote_addr`.
fn prepare(stream: &TcpStream, remote: SocketAddr) -> TcpConnectInfo {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
    TcpConnectInfo { local_addr: stream.local_addr().ok(), remote_addr: Some(remote) }
}
