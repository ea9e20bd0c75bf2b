//! A gRPC proxy in front of one service that can hold the calls to chosen
//! methods: to those calls the service looks stopped (as under SIGSTOP: the
//! connection is open and the request is sent, but nothing answers) until
//! the gate lets them through. A held request is delivered when released
//! even if its caller has given up meanwhile, as a stopped process reads its
//! socket when it resumes.

use std::{
    collections::{BTreeMap, BTreeSet},
    net::SocketAddr,
    sync::Arc,
    time::Duration,
};

use axum::{
    extract::{Request, State},
    response::{IntoResponse, Response},
};
use tokio::sync::watch;
use tonic::transport::Channel;
use tower::{Service, ServiceExt};

/// A running gate.
#[derive(Clone, Debug)]
pub struct Gate {
    /// Where callers connect.
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    upstream: Channel,
    /// Full method paths whose calls are held.
    held: watch::Sender<BTreeSet<String>>,
    /// How many calls to each method the gate has seen (held or not).
    arrived: watch::Sender<BTreeMap<String, usize>>,
}

impl Gate {
    /// A gate in front of the gRPC server at `upstream`, holding nothing.
    pub async fn start(upstream: SocketAddr) -> Self {
        let channel = Channel::from_shared(format!("http://{upstream}")).expect("upstream url").connect_lazy();
        let inner = Arc::new(Inner {
            upstream: channel,
            held: watch::Sender::new(BTreeSet::new()),
            arrived: watch::Sender::new(BTreeMap::new()),
        });
        let router = axum::Router::new().fallback(pass).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the gate");
        let addr = listener.local_addr().expect("gate address");
        let server = tonic::transport::Server::builder()
            .add_routes(tonic::service::Routes::from(router))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
        tokio::spawn(server);
        Self { addr, inner }
    }

    /// The gate's URL, for a service's upstream setting.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Holds every call to `method` (a full path such as
    /// `/shop.payments.v1.PaymentService/Charge`) from now on.
    pub fn hold(&self, method: &str) {
        self.inner.held.send_modify(|held| {
            held.insert(method.to_owned());
        });
    }

    /// Lets every held call through, and holds nothing from now on.
    pub fn release(&self) {
        self.inner.held.send_modify(BTreeSet::clear);
    }

    /// How many calls to `method` have arrived so far.
    pub fn arrivals(&self, method: &str) -> usize {
        self.inner.arrived.borrow().get(method).copied().unwrap_or(0)
    }

    /// Waits until more than `seen` calls to `method` have arrived.
    pub async fn arrival_after(&self, method: &str, seen: usize) {
        let mut arrived = self.inner.arrived.subscribe();
        let waited = tokio::time::timeout(
            Duration::from_secs(20),
            arrived.wait_for(|counts| counts.get(method).copied().unwrap_or(0) > seen),
        )
        .await;
        assert!(waited.is_ok(), "no call to {method} reached the gate");
    }
}

async fn pass(State(gate): State<Arc<Inner>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    gate.arrived.send_modify(|arrived| *arrived.entry(path.clone()).or_default() += 1);
    // The whole (unary) request is read first: it is in the callee's socket
    // buffer whatever the caller does next.
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 4 << 20).await else {
        return tonic::Status::cancelled("the caller went away mid-request").into_http::<axum::body::Body>();
    };
    let mut held = gate.held.subscribe();
    let gate = gate.clone();
    let delivered = tokio::spawn(async move {
        let _ = held.wait_for(|held| !held.contains(&path)).await;
        let request = http::Request::from_parts(parts, tonic::body::Body::new(axum::body::Body::from(bytes)));
        let mut upstream = gate.upstream.clone();
        upstream.ready().await?;
        upstream.call(request).await
    });
    match delivered.await {
        Ok(Ok(response)) => response.map(axum::body::Body::new).into_response(),
        _ => tonic::Status::unavailable("the gate could not reach its service").into_http::<axum::body::Body>(),
    }
}
