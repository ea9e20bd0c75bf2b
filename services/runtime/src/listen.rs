//! Listening sockets a process is started with, by the socket-activation
//! protocol (systemd's `LISTEN_FDS` and `LISTEN_FDNAMES`): the `shop`
//! launcher binds every component's ports before it starts any of them and
//! hands each its own, so no connection made during the launch can take a
//! port that a component started later was to listen on. Without handed
//! sockets, a component binds its configured address itself.

use std::{
    io,
    net::SocketAddr,
    sync::{Mutex, MutexGuard},
};

use tokio::net::TcpListener;

/// The socket names this mesh uses: a service's gRPC and admin ports, the edge's HTTP port.
pub const GRPC: &str = "grpc";
/// The admin (metrics) port.
pub const ADMIN: &str = "admin";
/// The edge's HTTP port.
pub const HTTP: &str = "http";

static HANDED: Mutex<Vec<(String, std::net::TcpListener)>> = Mutex::new(Vec::new());

fn handed() -> MutexGuard<'static, Vec<(String, std::net::TcpListener)>> {
    HANDED.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Takes the TCP sockets this process was handed, named by `LISTEN_FDNAMES`
/// (`grpc:admin`, say). Call it first thing in `main`, before any other
/// thread runs: taking them removes `LISTEN_FDS` from the environment, so
/// that the process's own children are not handed them again.
pub fn inherit() -> io::Result<usize> {
    // The protocol's variables are read here, where the sockets are taken.
    let names: Vec<String> =
        std::env::var("LISTEN_FDNAMES").map(|names| names.split(':').map(str::to_owned).collect()).unwrap_or_default();
    let mut fds = listenfd::ListenFd::from_env();
    let mut handed = handed();
    for index in 0..fds.len() {
        if let Some(listener) = fds.take_tcp_listener(index)? {
            let name = names.get(index).cloned().unwrap_or_else(|| format!("fd{index}"));
            handed.push((name, listener));
        }
    }
    Ok(handed.len())
}

/// The socket named `name` this process was handed, or else a new one
/// bound to `addr`.
pub async fn take_or_bind(name: &str, addr: SocketAddr) -> io::Result<TcpListener> {
    let taken = {
        let mut handed = handed();
        handed.iter().position(|(n, _)| n == name).map(|index| handed.remove(index).1)
    };
    let Some(listener) = taken else {
        return TcpListener::bind(addr).await;
    };
    let local = listener.local_addr()?;
    if local != addr && addr.port() != 0 {
        tracing::warn!(socket = name, handed = %local, configured = %addr, "serving on the handed socket, not the configured address");
    }
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}
