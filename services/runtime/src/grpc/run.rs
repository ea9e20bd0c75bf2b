//! The body of every service's `run`: bind, say where, serve, say it stopped.

use std::{future::Future, io, net::SocketAddr};

use super::{Listeners, ServeError};
use crate::db::Backend;

/// Why a service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// An address could not be bound (in use, or not ours).
    #[error("binding {addr}")]
    Bind {
        /// The gRPC address asked for.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The server failed.
    #[error(transparent)]
    Serve(#[from] ServeError),
}

/// Binds `grpc` (and `admin`, for metrics when set), logs where the `name`
/// service listens and which database it uses, then runs `serve` on the
/// listeners until it returns.
pub async fn bind_and_serve<F, Fut>(
    name: &str,
    grpc: SocketAddr,
    admin: Option<SocketAddr>,
    backend: Backend,
    serve: F,
) -> Result<(), RunError>
where
    F: FnOnce(Listeners) -> Fut,
    Fut: Future<Output = Result<(), ServeError>>,
{
    let bind_error = |source| RunError::Bind { addr: grpc, source };
    let listeners = Listeners::bind(grpc, admin).await.map_err(bind_error)?;
    let addr = listeners.grpc_addr().map_err(bind_error)?;
    tracing::info!(%addr, admin = ?listeners.admin_addr(), ?backend, "{name} service listening");
    serve(listeners).await?;
    tracing::info!("{name} service stopped");
    Ok(())
}
