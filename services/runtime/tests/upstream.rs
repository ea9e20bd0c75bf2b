//! An upstream addressed by host name: calls go only to addresses whose
//! health says SERVING, fail at once with UNAVAILABLE while none does, and
//! find the server again once it serves. (Several replicas behind one name
//! are proved with real processes in the integration tests' `deploy` suite.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use shop_runtime::{config::ClientConfig, grpc::Upstream};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::Code;
use tonic_health::{
    ServingStatus,
    pb::{HealthCheckRequest, health_client::HealthClient},
    server::HealthReporter,
};

const RESOLVE_INTERVAL: Duration = Duration::from_millis(100);

/// A server with only grpc.health.v1, on 127.0.0.1 and a free port.
async fn health_server() -> (u16, HealthReporter) {
    let (reporter, service) = tonic_health::server::health_reporter();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(
        tonic::transport::Server::builder().add_service(service).serve_with_incoming(TcpListenerStream::new(listener)),
    );
    (port, reporter)
}

fn config() -> ClientConfig {
    ClientConfig { resolve_interval_ms: RESOLVE_INTERVAL.as_millis() as u64, ..ClientConfig::default() }
}

async fn overall(client: &mut HealthClient<Upstream>) -> Result<i32, tonic::Status> {
    client.check(HealthCheckRequest { service: String::new() }).await.map(|r| r.into_inner().status)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_name_is_followed_and_only_serving_addresses_get_calls() {
    let (port, reporter) = health_server().await;
    reporter.set_service_status("", ServingStatus::NotServing).await;
    let mut client = HealthClient::new(Upstream::connect(&format!("http://localhost:{port}"), &config()).unwrap());

    let refused = overall(&mut client).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(refused.message().contains(&format!("localhost:{port}")), "names the upstream: {}", refused.message());
    assert!(refused.message().contains("NOT_SERVING"), "says why: {}", refused.message());

    reporter.set_service_status("", ServingStatus::Serving).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while overall(&mut client).await.is_err() {
        assert!(Instant::now() < deadline, "the serving address never entered the rotation");
        tokio::time::sleep(RESOLVE_INTERVAL / 2).await;
    }
    for _ in 0..20 {
        overall(&mut client).await.expect("every call reaches the serving address");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_that_does_not_resolve_fails_fast_and_says_so() {
    let mut client = HealthClient::new(Upstream::connect("http://no-such-service.invalid:50052", &config()).unwrap());
    let refused = overall(&mut client).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(refused.message().contains("no-such-service.invalid:50052"), "{}", refused.message());
    assert!(refused.message().contains("cannot resolve"), "{}", refused.message());
}

#[test]
fn a_url_without_a_port_is_refused_naming_it() {
    let error = Upstream::connect("http://products", &ClientConfig::default()).unwrap_err();
    assert!(error.to_string().contains("http://products"), "{error}");
}
