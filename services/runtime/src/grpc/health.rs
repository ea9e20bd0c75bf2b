//! What a service needs in order to serve, and the watch that keeps
//! grpc.health.v1 true to it. The overall status (service `""`, what
//! orchestrator probes ask) follows the service's own database; each named
//! service's status also follows the services it calls. So a payments outage
//! shows on `shop.orders.v1.OrderService` without taking every orders
//! replica out of rotation (which would stop order history too).

use std::time::Duration;

use futures::future::join_all;
use tonic::Code;
use tonic_health::{
    ServingStatus,
    pb::{HealthCheckRequest, health_check_response, health_client::HealthClient},
    server::HealthReporter,
};

use super::{Upstream, discovery::Probe};
use crate::{db::Db, shutdown::Shutdown};

/// How long one dependency check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Something a service needs in order to serve.
#[derive(Clone, Debug)]
pub enum Dependency {
    /// Its database: healthy when a pooled connection round-trips `SELECT 1`.
    Database(Db),
    /// Another service: healthy when its grpc.health.v1 says SERVING for `service`.
    Service {
        /// Its short name, e.g. `payments`.
        name: &'static str,
        /// The health service name to ask about (`""`: the server as a whole).
        service: &'static str,
        /// A channel to it.
        channel: Upstream,
    },
}

/// Why a dependency is not healthy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unhealthy {
    /// It answered, with another status (e.g. NOT_SERVING).
    #[error("{0}")]
    Status(String),
    /// The call failed (e.g. UNAVAILABLE: nothing listens).
    #[error("ERROR ({0:?})")]
    Call(Code),
    /// The database refused or failed the round trip.
    #[error("ERROR (database: {0})")]
    Database(String),
    /// No answer in time.
    #[error("TIMEOUT")]
    Timeout,
}

impl Dependency {
    /// Another service, judged by its overall status.
    pub fn service(name: &'static str, channel: Upstream) -> Self {
        Self::Service { name, service: "", channel }
    }

    /// The name it is reported under.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Database(_) => "database",
            Self::Service { name, .. } => name,
        }
    }

    /// Checks it once, within a time limit.
    pub async fn check(&self) -> Result<(), Unhealthy> {
        let check = async {
            match self {
                Self::Database(db) => db.ping().await.map_err(|e| Unhealthy::Database(e.to_string())),
                Self::Service { service, channel, .. } => {
                    let request = HealthCheckRequest { service: (*service).to_owned() };
                    let response = HealthClient::new(channel.clone()).check(request).await;
                    let status = response.map_err(|status| Unhealthy::Call(status.code()))?.into_inner().status;
                    match health_check_response::ServingStatus::try_from(status) {
                        Ok(health_check_response::ServingStatus::Serving) => Ok(()),
                        Ok(other) => Err(Unhealthy::Status(other.as_str_name().to_owned())),
                        Err(_) => Err(Unhealthy::Status(format!("status {status}"))),
                    }
                }
            }
        };
        tokio::time::timeout(CHECK_TIMEOUT, check).await.unwrap_or(Err(Unhealthy::Timeout))
    }
}

/// One round of checks: whether the service's own database answered, and
/// every failure (`"<dependency>: <why>"`).
#[derive(Clone, Debug)]
struct Round {
    database_ok: bool,
    failures: Vec<String>,
}

impl Round {
    async fn check(dependencies: &[Dependency]) -> Self {
        let results = join_all(dependencies.iter().map(Dependency::check)).await;
        let mut database_ok = true;
        let mut failures = Vec::new();
        for (dependency, result) in dependencies.iter().zip(results) {
            if let Err(why) = result {
                database_ok &= !matches!(dependency, Dependency::Database(_));
                failures.push(format!("{}: {why}", dependency.name()));
            }
        }
        Self { database_ok, failures }
    }

    /// The overall status: the service's own database answers.
    fn overall(&self) -> ServingStatus {
        serving(self.database_ok)
    }

    /// Each named service's status: everything it depends on answers.
    fn services(&self) -> ServingStatus {
        serving(self.failures.is_empty())
    }
}

fn serving(ok: bool) -> ServingStatus {
    if ok { ServingStatus::Serving } else { ServingStatus::NotServing }
}

/// Keeps the health of the server serving `names` true to its dependencies.
#[derive(Debug)]
pub(crate) struct HealthWatch {
    pub(crate) reporter: HealthReporter,
    pub(crate) names: Vec<&'static str>,
    pub(crate) dependencies: Vec<Dependency>,
    pub(crate) interval: Duration,
}

impl HealthWatch {
    async fn report(&self, overall: ServingStatus, services: ServingStatus) {
        self.reporter.set_service_status("", overall).await;
        for name in &self.names {
            self.reporter.set_service_status(*name, services).await;
        }
    }

    /// Checks once and reports, so the server starts out truthful; then
    /// re-checks every interval until `shutdown`, logging each change, and
    /// finally reports NOT_SERVING for good, so load balancers stop sending
    /// work. Returns once the first round is reported.
    pub(crate) async fn start(self, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        let first = Round::check(&self.dependencies).await;
        log_change(None, &first);
        self.report(first.overall(), first.services()).await;
        tokio::spawn(async move {
            let mut last = first;
            loop {
                let round = tokio::select! {
                    () = shutdown.wait() => break,
                    round = async {
                        tokio::time::sleep(self.interval).await;
                        Round::check(&self.dependencies).await
                    } => round,
                };
                log_change(Some(&last), &round);
                self.report(round.overall(), round.services()).await;
                last = round;
            }
            self.report(ServingStatus::NotServing, ServingStatus::NotServing).await;
        })
    }
}

fn log_change(last: Option<&Round>, now: &Round) {
    if last.is_some_and(|last| last.failures == now.failures) {
        return;
    }
    if now.failures.is_empty() {
        if last.is_some() {
            tracing::info!("every dependency is healthy again");
        }
    } else {
        tracing::warn!(failures = ?now.failures, overall = ?now.overall(), services = ?now.services(), "dependency unhealthy");
    }
}

impl Probe for Dependency {
    async fn serves(&self) -> Result<(), String> {
        self.check().await.map_err(|unhealthy| unhealthy.to_string())
    }
}
