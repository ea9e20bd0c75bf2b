//! Following a service's name: resolve it every interval, keep in rotation
//! each address whose grpc.health.v1 says SERVING, and tell the balancer what
//! changed. Checking each address, as gRPC's own client-side health checking
//! does, keeps calls away from an address that resolves but does not serve
//! (`localhost`'s `::1` when the server listens on IPv4 only; a replica still
//! starting, or draining after SIGTERM). When the name fails to resolve (a
//! DNS hiccup), the addresses in rotation are kept and re-checked.

use std::{
    collections::{BTreeMap, BTreeSet},
    net::SocketAddr,
    time::Duration,
};

use futures::future::join_all;
use tokio::sync::{mpsc::Sender, watch};
use tonic::transport::{Endpoint, Uri, channel::Change};

use crate::config::ClientConfig;

/// Asks one address whether it serves.
pub(super) trait Probe: Send + Sync {
    /// `Err` says why not.
    fn serves(&self) -> impl Future<Output = Result<(), String>> + Send;
}

/// How soon to look again while no address is in rotation.
const EMPTY_RETRY: Duration = Duration::from_millis(500);

/// What the last round found.
#[derive(Debug)]
struct Round {
    serving: usize,
    // Why nothing is serving, for the UNAVAILABLE callers get meanwhile.
    problem: String,
}

/// The addresses of one service that calls are spread over.
#[derive(Debug)]
pub(super) struct Rotation {
    target: String,
    // `None` until the first round has finished: calls made before then wait for it.
    last: watch::Sender<Option<Round>>,
}

impl Rotation {
    pub(super) fn new(target: String) -> Self {
        Self { target, last: watch::Sender::new(None) }
    }

    /// How many addresses serve, once the first round has finished.
    pub(super) fn serving(&self) -> Option<usize> {
        self.last.borrow().as_ref().map(|round| round.serving)
    }

    /// Waits until the first round has finished.
    pub(super) async fn settled(&self) {
        // The sender lives in `self`, so the wait cannot fail.
        let _ = self.last.subscribe().wait_for(Option::is_some).await;
    }

    pub(super) fn describe_empty(&self) -> String {
        let problem = self.last.borrow().as_ref().map_or_else(String::new, |round| round.problem.clone());
        format!("no address of {} is serving: {problem}", self.target)
    }

    fn set(&self, serving: usize, problem: String) {
        self.last.send_replace(Some(Round { serving, problem }));
    }
}

/// Follows `rotation.target` until the balancer behind `changes` is gone.
/// Each address is asked through the probe `probe_at` makes for it.
pub(super) async fn follow<P: Probe>(
    rotation: std::sync::Arc<Rotation>,
    template: EndpointTemplate,
    changes: Sender<Change<SocketAddr, Endpoint>>,
    interval: Duration,
    probe_at: impl Fn(Endpoint) -> P,
) {
    let mut probes: BTreeMap<SocketAddr, P> = BTreeMap::new();
    let mut members = BTreeSet::new();
    let mut resolve_error: Option<String> = None;
    loop {
        let candidates = match tokio::net::lookup_host(&rotation.target).await {
            Ok(found) => {
                resolve_error = None;
                found.collect::<BTreeSet<_>>()
            }
            Err(error) => {
                if resolve_error.is_none() {
                    tracing::warn!(target_name = %rotation.target, %error, kept = ?members, "cannot resolve upstream");
                }
                resolve_error = Some(format!("cannot resolve it: {error}"));
                members.clone()
            }
        };
        probes.retain(|address, _| candidates.contains(address));
        for address in &candidates {
            probes.entry(*address).or_insert_with(|| probe_at(template.at(*address)));
        }
        let checks =
            join_all(probes.iter().map(|(address, probe)| async move { (*address, probe.serves().await) })).await;
        let serving: BTreeSet<SocketAddr> = checks.iter().filter(|(_, r)| r.is_ok()).map(|(a, _)| *a).collect();
        let refused: Vec<String> =
            checks.iter().filter_map(|(address, r)| r.as_ref().err().map(|why| format!("{address}: {why}"))).collect();

        for gone in members.difference(&serving) {
            if changes.send(Change::Remove(*gone)).await.is_err() {
                return;
            }
        }
        for new in serving.difference(&members) {
            if changes.send(Change::Insert(*new, template.at(*new))).await.is_err() {
                return;
            }
        }
        if serving != members {
            tracing::info!(target_name = %rotation.target, serving = ?serving, not_serving = ?refused, "upstream rotation changed");
        }
        let problem = match resolve_error.clone() {
            Some(error) => error,
            None if candidates.is_empty() => "it resolves to no address".to_owned(),
            None => refused.join(", "),
        };
        rotation.set(serving.len(), problem);
        members = serving;

        let pause = if members.is_empty() { interval.min(EMPTY_RETRY) } else { interval };
        tokio::select! {
            () = changes.closed() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// How a connection to each address of a service is made.
#[derive(Clone, Debug)]
pub(super) struct EndpointTemplate {
    origin: Uri,
    config: ClientConfig,
}

impl EndpointTemplate {
    /// Endpoints for the service at `origin`, connected as `config` says.
    pub(super) fn new(origin: Uri, config: ClientConfig) -> Self {
        Self { origin, config }
    }

    /// An endpoint that connects to `address` and calls it by the service's
    /// own name.
    pub(super) fn at(&self, address: std::net::SocketAddr) -> Endpoint {
        let uri = Uri::builder()
            .scheme(self.origin.scheme_str().unwrap_or("http"))
            .authority(address.to_string())
            .path_and_query("/")
            .build()
            .unwrap_or_else(|_| self.origin.clone());
        endpoint(uri, &self.config).origin(self.origin.clone())
    }
}

/// An endpoint for `uri`, connected as `config` says.
pub(super) fn endpoint(uri: Uri, config: &ClientConfig) -> Endpoint {
    Endpoint::from(uri)
        .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true)
}
