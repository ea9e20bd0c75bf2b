//! The mesh as separate processes, one `shop serve <component>` each, on
//! fixed ports and their own databases (SQLite or PostgreSQL), so that a
//! test can kill, stop and restart any one of them as an operator (or the
//! kernel) would. Used by the fault matrix and the REST contract test.

use std::{
    collections::BTreeMap,
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use integration_tests::{Backend, TestDatabases};
use nix::{sys::signal, unistd::Pid};

use crate::launch::free_port;

/// How long a saga's lease lasts; an abandoned checkout is picked up after it.
pub const SAGA_LEASE: Duration = Duration::from_secs(3);
/// How often orders looks for abandoned checkouts.
pub const RECOVERY_INTERVAL: Duration = Duration::from_millis(500);
/// The edge's deadline for each request.
pub const REQUEST_DEADLINE: Duration = Duration::from_millis(2500);
/// Each gRPC call's own limit.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(1500);
/// How long a charge attempt that never recorded its answer holds the charge
/// (at most the lease, so recovery finishes its order within one).
pub const CHARGE_CLAIM: Duration = Duration::from_secs(2);

/// The components, in the order they start.
pub const COMPONENTS: [&str; 7] = ["users", "products", "cart", "payments", "orders", "notifications", "edge"];
/// The components with a database.
pub const DATABASE_OWNERS: [&str; 6] = ["users", "products", "cart", "payments", "orders", "notifications"];

const ADMIN_EMAIL: &str = "admin@chaos.test";
const ADMIN_PASSWORD: &str = "chaos-admin-password";
const ORDERS_SECRET: &str = "orders-client-secret-for-chaos";
const NOTIFICATIONS_SECRET: &str = "notifications-client-secret-for-chaos";

/// One component's process, restartable with the same settings.
pub struct Component {
    name: &'static str,
    env: Vec<(&'static str, String)>,
    log: PathBuf,
    child: Option<Child>,
    /// Its gRPC or HTTP port.
    pub port: u16,
}

impl Component {
    fn spawn(&mut self) {
        let log = File::options().create(true).append(true).open(&self.log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_shop"))
            .args(["serve", self.name])
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.name));
        self.child = Some(child);
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(i32::try_from(self.child.as_ref().expect("running").id()).unwrap())
    }

    /// SIGKILL, and reaped.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGSTOP: frozen, its sockets open, answering nothing.
    pub fn freeze(&self) {
        signal::kill(self.pid(), signal::Signal::SIGSTOP).unwrap();
    }

    /// SIGCONT.
    pub fn thaw(&self) {
        signal::kill(self.pid(), signal::Signal::SIGCONT).unwrap();
    }

    /// Starts it (again) and waits until it serves.
    pub async fn start(&mut self) {
        self.spawn();
        self.wait_serving().await;
    }

    /// Waits until it answers: grpc.health.v1 SERVING, or the edge's /healthz.
    pub async fn wait_serving(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.serving().await {
            assert!(Instant::now() < deadline, "{} did not come up; its log: {}", self.name, self.log.display());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn serving(&self) -> bool {
        if self.name == "edge" {
            let url = format!("http://127.0.0.1:{}/healthz", self.port);
            return reqwest::get(url).await.is_ok_and(|r| r.status().is_success());
        }
        let Ok(channel) = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{}", self.port))
            .unwrap()
            .connect_timeout(Duration::from_millis(500))
            .connect()
            .await
        else {
            return false;
        };
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
        let check = health.check(tonic_health::pb::HealthCheckRequest { service: String::new() });
        matches!(tokio::time::timeout(Duration::from_secs(2), check).await, Ok(Ok(r)) if r.get_ref().status == 1)
    }
}

impl Drop for Component {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            // A frozen process would ignore SIGKILL's reaping otherwise.
            let pid = Pid::from_raw(i32::try_from(child.id()).unwrap());
            let _ = signal::kill(pid, signal::Signal::SIGCONT);
        }
        self.kill();
    }
}

/// The running mesh.
pub struct Mesh {
    /// Every component by name.
    pub components: BTreeMap<&'static str, Component>,
    /// Each database owner's database URL.
    pub database_urls: BTreeMap<&'static str, String>,
    /// The databases (dropped with the mesh).
    pub databases: TestDatabases,
    /// The edge's base URL.
    pub edge: String,
    _keys: tempfile::TempDir,
}

impl Mesh {
    /// Starts every component on `backend`, each on a fresh database.
    pub async fn start(backend: Backend) -> Self {
        let mut databases = TestDatabases::new(backend);
        let keys_dir = tempfile::tempdir().unwrap();
        let keys = shop_users::keys::load_or_generate(keys_dir.path()).unwrap();
        let mut database_urls = BTreeMap::new();
        for owner in DATABASE_OWNERS {
            database_urls.insert(owner, databases.create(owner).await);
        }
        let ports: BTreeMap<&str, u16> = distinct_ports().into_iter().zip(COMPONENTS).map(|(p, c)| (c, p)).collect();
        let url = |name: &str| format!("http://127.0.0.1:{}", ports[name]);
        let logs = databases.dir().to_path_buf();
        let mut components = BTreeMap::new();
        for name in COMPONENTS {
            let env = environment(name, &ports, &database_urls, &keys, url, &logs);
            let log = logs.join(format!("{name}.log"));
            components.insert(name, Component { name, env, log, child: None, port: ports[name] });
        }
        for name in COMPONENTS {
            components.get_mut(name).unwrap().start().await;
        }
        println!("chaos mesh on {backend:?}: logs in {}", logs.display());
        Self { components, database_urls, databases, edge: url("edge"), _keys: keys_dir }
    }

    /// The seeded admin's credentials.
    pub fn admin_credentials() -> serde_json::Value {
        serde_json::json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    }

    /// `http://127.0.0.1:<port>` of a gRPC component.
    pub fn grpc_url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}", self.components[name].port)
    }

    /// The directory logs and SQLite files are in.
    pub fn dir(&self) -> &Path {
        self.databases.dir()
    }

    /// Where the notifications service writes its mails.
    pub fn mail_dir(&self) -> PathBuf {
        self.dir().join("mail")
    }
}

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}

/// What `name` is started with: the launcher's settings, with deadlines and
/// leases short enough for faults to outlast them within seconds.
fn environment(
    name: &'static str,
    ports: &BTreeMap<&str, u16>,
    database_urls: &BTreeMap<&str, String>,
    keys: &shop_users::keys::KeyFiles,
    url: impl Fn(&str) -> String,
    dir: &Path,
) -> Vec<(&'static str, String)> {
    let listen = format!("127.0.0.1:{}", ports[name]);
    let admin = format!("127.0.0.1:{}", ports[name] + 10);
    let mut env = vec![
        ("RUST_LOG", "warn".to_owned()),
        ("LOG_COLOR", "never".to_owned()),
        ("ADMIN_LISTEN_ADDR", admin),
        ("JWT_PUBLIC_KEY_FILE", keys.public.display().to_string()),
        ("GRPC_CALL_TIMEOUT_MS", millis(CALL_TIMEOUT)),
        ("GRPC_CONNECT_TIMEOUT_MS", "500".to_owned()),
        ("HEALTH_CHECK_INTERVAL_MS", "500".to_owned()),
        ("SHUTDOWN_DRAIN_SECS", "2".to_owned()),
    ];
    if let Some(database) = database_urls.get(name) {
        env.extend([("DATABASE_URL", database.clone()), ("DATABASE_TIMEOUT_SECS", "2".to_owned())]);
    }
    let upstreams =
        [("USERS_URL", "users"), ("PRODUCTS_URL", "products"), ("CART_URL", "cart"), ("PAYMENTS_URL", "payments")];
    match name {
        "users" => env.extend([
            ("GRPC_LISTEN_ADDR", listen),
            ("JWT_PRIVATE_KEY_FILE", keys.private.display().to_string()),
            ("SHOP_ADMIN_EMAIL", ADMIN_EMAIL.to_owned()),
            ("SHOP_ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()),
            ("SERVICE_CLIENTS", format!("orders={ORDERS_SECRET},notifications={NOTIFICATIONS_SECRET}")),
            // Every customer signs up from 127.0.0.1.
            ("REGISTRATIONS_PER_HOUR_PER_ADDRESS", "0".to_owned()),
            ("LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS", "0".to_owned()),
        ]),
        "products" => env.extend([("GRPC_LISTEN_ADDR", listen), ("RESERVATION_SWEEP_MS", "500".to_owned())]),
        "cart" => env.extend([("GRPC_LISTEN_ADDR", listen), ("PRODUCTS_URL", url("products"))]),
        "payments" => {
            env.extend([("GRPC_LISTEN_ADDR", listen), ("CHARGE_CLAIM_SECS", CHARGE_CLAIM.as_secs().to_string())])
        }
        "orders" => {
            env.extend([
                ("GRPC_LISTEN_ADDR", listen),
                ("SERVICE_CLIENT_ID", "orders".to_owned()),
                ("SERVICE_CLIENT_SECRET", ORDERS_SECRET.to_owned()),
                ("SAGA_LEASE_SECS", SAGA_LEASE.as_secs().to_string()),
                ("RECOVERY_INTERVAL_MS", millis(RECOVERY_INTERVAL)),
            ]);
            env.extend(upstreams.map(|(var, to)| (var, url(to))));
        }
        "notifications" => env.extend([
            ("GRPC_LISTEN_ADDR", listen),
            ("SERVICE_CLIENT_ID", "notifications".to_owned()),
            ("SERVICE_CLIENT_SECRET", NOTIFICATIONS_SECRET.to_owned()),
            ("MAIL_DIR", dir.join("mail").display().to_string()),
            ("MAIL_RETRY_MS", "200".to_owned()),
            ("USERS_URL", url("users")),
            ("PRODUCTS_URL", url("products")),
            ("ORDERS_URL", url("orders")),
            ("PAYMENTS_URL", url("payments")),
        ]),
        "edge" => {
            env.extend([
                ("HTTP_LISTEN_ADDR", listen),
                ("HTTP_REQUEST_TIMEOUT_MS", millis(REQUEST_DEADLINE)),
                ("ORDERS_URL", url("orders")),
                ("NOTIFICATIONS_URL", url("notifications")),
            ]);
            env.extend(upstreams.map(|(var, to)| (var, url(to))));
        }
        _ => unreachable!("no component {name}"),
    }
    env
}

/// A port per component, none within 10 of another (admin ports are +10).
fn distinct_ports() -> Vec<u16> {
    let mut ports: Vec<u16> = Vec::new();
    while ports.len() < COMPONENTS.len() {
        let port = free_port();
        if ports.iter().all(|p| p.abs_diff(port) > 10) {
            ports.push(port);
        }
    }
    ports
}
