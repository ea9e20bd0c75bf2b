//! Client-side balancing, with real processes. Several products processes
//! listen on 127.0.0.1, 127.0.0.2 and later 127.0.0.3, all behind one name;
//! the edge runs in a mount namespace of its own whose /etc/hosts this test
//! rewrites, as a headless Service's DNS answer changes when pods come and
//! go. Each instance counts the catalog calls it served in its /metrics.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use nix::{sys::signal, unistd::Pid};
use shop_runtime::metrics::sample;

use crate::tools::{run, shop, tool};

const NAME: &str = "products.shop.test";
const RESOLVE_INTERVAL_MS: u64 = 300;

/// The name's current answer: what a headless Service's DNS record holds.
struct Hosts(PathBuf);

impl Hosts {
    fn set(&self, ips: &[Ipv4Addr]) {
        let mut text = "127.0.0.1 localhost\n".to_owned();
        for ip in ips {
            text.push_str(&format!("{ip} {NAME}\n"));
        }
        // In place: the edge's /etc/hosts is a bind mount of this very file.
        std::fs::write(&self.0, text).unwrap();
    }
}

/// One products process.
struct Products {
    child: Child,
    ip: Ipv4Addr,
    admin: SocketAddr,
}

impl Products {
    fn start(ip: Ipv4Addr, ports: (u16, u16), dir: &Path, seed: bool) -> Self {
        let grpc = SocketAddr::new(IpAddr::V4(ip), ports.0);
        let admin = SocketAddr::new(IpAddr::V4(ip), ports.1);
        let child = shop()
            .args(["serve", "products"])
            .env("GRPC_LISTEN_ADDR", grpc.to_string())
            .env("ADMIN_LISTEN_ADDR", admin.to_string())
            .env("DATABASE_URL", format!("sqlite://{}", dir.join("products.db").display()))
            .env("JWT_PUBLIC_KEY_FILE", dir.join("jwt-ed25519.pub.pem"))
            .env("SEED_DEMO_CATALOG", seed.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !shop().args(["probe", &format!("grpc://{grpc}")]).output().unwrap().status.success() {
            assert!(Instant::now() < deadline, "products at {grpc} did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, ip, admin }
    }

    async fn catalog_calls(&self) -> u64 {
        let text = reqwest::get(format!("http://{}/metrics", self.admin)).await.unwrap().text().await.unwrap();
        sample(&text, "rpc_server_requests_total", &[("method", "ListProducts"), ("code", "OK")]) as u64
    }

    fn stop(mut self) {
        signal::kill(Pid::from_raw(i32::try_from(self.child.id()).unwrap()), signal::Signal::SIGTERM).unwrap();
        assert!(self.child.wait().unwrap().success(), "products at {} stopped cleanly", self.ip);
    }
}

impl Drop for Products {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A process killed when dropped (`unshare` execs into the edge, so its
/// id is the edge's).
struct KilledOnDrop(std::process::Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Catalog requests through the edge from a few workers, until stopped.
struct Load {
    ok: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    running: Arc<AtomicBool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(edge: &str) -> Self {
        let (ok, failed, running) = (Arc::default(), Arc::default(), Arc::new(AtomicBool::new(true)));
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let workers = (0..4)
            .map(|_| {
                let (ok, failed, running): (Arc<AtomicU64>, Arc<AtomicU64>, Arc<AtomicBool>) =
                    (Arc::clone(&ok), Arc::clone(&failed), Arc::clone(&running));
                let (client, url) = (client.clone(), format!("{edge}/api/v1/products?page_size=1"));
                tokio::spawn(async move {
                    // Bounded: stops by itself after 20 000 requests.
                    for _ in 0..5_000 {
                        if !running.load(Ordering::Relaxed) {
                            return;
                        }
                        match client.get(&url).header("cache-control", "no-cache").send().await {
                            Ok(response) if response.status().is_success() => ok.fetch_add(1, Ordering::Relaxed),
                            _ => failed.fetch_add(1, Ordering::Relaxed),
                        };
                    }
                })
            })
            .collect();
        Self { ok, failed, running, workers }
    }

    /// Stops and returns (succeeded, failed).
    async fn stop(self) -> (u64, u64) {
        self.running.store(false, Ordering::Relaxed);
        for worker in self.workers {
            worker.await.unwrap();
        }
        (self.ok.load(Ordering::Relaxed), self.failed.load(Ordering::Relaxed))
    }
}

/// A port free on 127.0.0.1 to 127.0.0.3, below the ephemeral range.
fn free_port_on_all() -> u16 {
    loop {
        let port = crate::launch::free_port();
        if (1..=3).all(|last| TcpListener::bind((Ipv4Addr::new(127, 0, 0, last), port)).is_ok()) {
            return port;
        }
    }
}

async fn wait_until(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < limit, "{what} did not happen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_edge_spreads_catalog_calls_over_every_products_instance_as_they_come_and_go() {
    let dir = tempfile::tempdir().unwrap();
    run(shop().args(["generate-secrets", "--dir"]).arg(dir.path()));
    let ports = (free_port_on_all(), free_port_on_all());
    let [a, b, c] = [1, 2, 3].map(|last| Ipv4Addr::new(127, 0, 0, last));
    let first = Products::start(a, ports, dir.path(), true);
    let second = Products::start(b, ports, dir.path(), false);
    let hosts = Hosts(dir.path().join("hosts"));
    hosts.set(&[a, b]);

    let edge_port = crate::launch::free_port();
    let edge = format!("http://127.0.0.1:{edge_port}");
    let log = std::fs::File::create(dir.path().join("edge.log")).unwrap();
    let edge_process = std::process::Command::new(tool("unshare"))
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            r#"mount --bind "$HOSTS_FILE" /etc/hosts && exec "$@""#,
            "sh",
        ])
        .arg(env!("CARGO_BIN_EXE_shop"))
        .args(["serve", "edge"])
        .env("HOSTS_FILE", &hosts.0)
        .env("HTTP_LISTEN_ADDR", format!("127.0.0.1:{edge_port}"))
        .env("PRODUCTS_URL", format!("http://{NAME}:{}", ports.0))
        .envs(["USERS_URL", "CART_URL", "ORDERS_URL", "PAYMENTS_URL"].map(|v| (v, "http://127.0.0.1:9")))
        .env("JWT_PUBLIC_KEY_FILE", dir.path().join("jwt-ed25519.pub.pem"))
        .env("GRPC_RESOLVE_INTERVAL_MS", RESOLVE_INTERVAL_MS.to_string())
        .env("RUST_LOG", "info")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    // Killed if an assertion fails first: no edge outlives the test.
    let mut edge_process = KilledOnDrop(edge_process);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    wait_until("the edge starting", Duration::from_secs(30), async || {
        client.get(format!("{edge}/healthz")).send().await.is_ok()
    })
    .await;

    // Two instances behind the name: both get a fair share. Every request
    // asks afresh, or the edge's cache would answer all but the first.
    for _ in 0..200 {
        let page = client.get(format!("{edge}/api/v1/products?page_size=1")).header("cache-control", "no-cache");
        let response = page.send().await.unwrap();
        assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    }
    let (to_a, to_b) = (first.catalog_calls().await, second.catalog_calls().await);
    println!("balancing: 200 catalog requests -> 127.0.0.1: {to_a}, 127.0.0.2: {to_b}");
    assert_eq!(to_a + to_b, 200, "every request reached one instance");
    assert!(to_a >= 40 && to_b >= 40, "both instances serve: {to_a} / {to_b}");

    // A third comes up and joins the name: it gets calls within a re-resolution.
    let third = Products::start(c, ports, dir.path(), false);
    let load = Load::start(&edge);
    hosts.set(&[a, b, c]);
    let joined = wait_until("the third instance getting calls", Duration::from_secs(10), async || {
        third.catalog_calls().await > 0
    })
    .await;
    println!(
        "balancing: 127.0.0.3 got its first call {joined:?} after joining (re-resolution every {RESOLVE_INTERVAL_MS} ms)"
    );

    // One leaves the name (its pod is deleted; preStop keeps it serving),
    // then stops: nobody's call fails, and it gets none once dropped.
    hosts.set(&[a, c]);
    tokio::time::sleep(Duration::from_millis(4 * RESOLVE_INTERVAL_MS)).await;
    let dropped_at = second.catalog_calls().await;
    tokio::time::sleep(Duration::from_millis(4 * RESOLVE_INTERVAL_MS)).await;
    let after = second.catalog_calls().await;
    let leaving = second.ip;
    second.stop();
    tokio::time::sleep(Duration::from_millis(4 * RESOLVE_INTERVAL_MS)).await;
    let (ok, failed) = load.stop().await;
    println!(
        "balancing: {leaving} served {dropped_at} before it left and {} after; {ok} requests during the changes, {failed} failed",
        after - dropped_at
    );
    assert_eq!(after, dropped_at, "an instance no longer in the name gets no calls");
    assert_eq!(failed, 0, "no request failed while instances joined, left and stopped");
    let (to_a, to_c) = (first.catalog_calls().await, third.catalog_calls().await);
    assert!(to_a > 0 && to_c > 0);

    let _ = signal::kill(Pid::from_raw(i32::try_from(edge_process.0.id()).unwrap()), signal::Signal::SIGTERM);
    edge_process.0.wait().unwrap();
    first.stop();
    third.stop();
}
