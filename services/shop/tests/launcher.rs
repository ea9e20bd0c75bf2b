//! The real `shop` binary: it starts every component as a child process,
//! serves through them, stops them all on SIGTERM, and keeps its key pair and
//! admin password across restarts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod launch;

use std::{
    path::Path,
    process::{Child, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use nix::{sys::signal, unistd::Pid};
use reqwest::RequestBuilder;
use serde_json::{Value, json};

/// Blocking HTTP for a test without a runtime of its own.
struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Http {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Self { runtime, client: reqwest::Client::builder().no_proxy().build().unwrap() }
    }

    fn send(&self, request: RequestBuilder) -> Option<(u16, Value)> {
        self.runtime.block_on(async {
            let response = request.send().await.ok()?;
            Some((response.status().as_u16(), response.json().await.unwrap_or(Value::Null)))
        })
    }
}

struct Launcher {
    child: Child,
    ports: launch::Ports,
}

/// A test that fails mid-way must not leave a mesh running (it would hold
/// its ports and keep writing into a removed directory): the launcher is
/// killed, and its children die with it.
impl Drop for Launcher {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Launcher {
    fn start(data_dir: &Path, http: &Http) -> Self {
        Self::start_with(data_dir, http, &[])
    }

    /// Starts the mesh with `env` added to the launcher's (and so every component's) environment.
    fn start_with(data_dir: &Path, http: &Http, env: &[(&str, &str)]) -> Self {
        let (mut command, ports) = launch::shop(data_dir);
        command.envs(env.iter().copied());
        let child =
            command.env("RUST_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("shop starts");
        let launcher = Self { child, ports };
        let deadline = Instant::now() + Duration::from_secs(60);
        while http.send(http.client.get(launcher.url("/readyz"))).is_none_or(|(status, _)| status != 200) {
            assert!(Instant::now() < deadline, "the mesh did not become ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        launcher
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.ports.edge)
    }

    fn children(&self) -> Vec<u32> {
        let parent = self.child.id();
        let parent_of = |pid: u32| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            stat.rsplit(')').next()?.split_whitespace().nth(1)?.parse::<u32>().ok()
        };
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| parent_of(*pid) == Some(parent))
            .collect()
    }

    fn stop(mut self) -> ExitStatus {
        signal::kill(Pid::from_raw(i32::try_from(self.child.id()).unwrap()), signal::Signal::SIGTERM).unwrap();
        self.child.wait().unwrap()
    }
}

/// `shop probe <args>`: whether it succeeded, and what it printed.
fn probe(args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shop")).arg("probe").args(args).output().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn the_mesh_starts_serves_stops_and_keeps_its_secrets_across_restarts() {
    let http = Http::new();
    let data = tempfile::tempdir().unwrap();
    let first = Launcher::start(data.path(), &http);
    let children = first.children();
    assert_eq!(children.len(), 7, "six services and the edge run as child processes: {children:?}");

    let (status, catalog) = http.send(http.client.get(first.url("/api/v1/products?page_size=100"))).unwrap();
    assert_eq!((status, catalog["items"].as_array().map(Vec::len)), (200, Some(24)), "the demo catalog is seeded");

    let register = json!({"email": "ada@example.com", "password": "correct horse", "name": "Ada"});
    let (status, session) = http.send(http.client.post(first.url("/api/v1/users/register")).json(&register)).unwrap();
    assert_eq!(status, 201, "{session}");
    let token = session["access_token"].as_str().unwrap().to_owned();

    // The launcher's mails are files in the data dir: the welcome arrives there.
    let mail_dir = data.path().join("mail");
    let welcomed = || {
        let files = std::fs::read_dir(&mail_dir).into_iter().flatten().filter_map(Result::ok);
        files.filter_map(|f| std::fs::read_to_string(f.path()).ok()).any(|mail| mail.contains("To: ada@example.com"))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !welcomed() {
        assert!(Instant::now() < deadline, "no welcome mail in {}", mail_dir.display());
        std::thread::sleep(Duration::from_millis(100));
    }

    let admin_password = std::fs::read_to_string(data.path().join("admin-password.txt")).unwrap();
    let admin = json!({"email": "admin@example.com", "password": admin_password.trim()});
    let (status, admin) = http.send(http.client.post(first.url("/api/v1/users/login")).json(&admin)).unwrap();
    assert_eq!((status, admin["user"]["role"].as_str()), (200, Some("admin")), "{admin}");

    // The container health check: the binary itself asks.
    let users = format!("grpc://127.0.0.1:{}", first.ports.users);
    assert_eq!(probe(&[&users]), (true, String::new()), "users is SERVING");
    assert_eq!(probe(&[&users, "--service", "shop.users.v1.UserService"]), (true, String::new()));
    assert_eq!(probe(&[&first.url("/readyz")]), (true, String::new()), "the edge is ready");
    let (healthy, why) = probe(&[&users, "--service", "shop.no.such.Service"]);
    assert!(!healthy && why.contains("NOT_FOUND"), "an unknown service is not healthy: {why}");
    let (healthy, why) = probe(&[&first.url("/no-such-page")]);
    assert!(!healthy && why.contains("404"), "a 404 is not healthy: {why}");

    let status = first.stop();
    assert!(status.success(), "SIGTERM stops the mesh cleanly: {status}");
    let (healthy, why) = probe(&[&users]);
    assert!(!healthy && why.starts_with("error: "), "a stopped service is not healthy: {why}");
    for child in children {
        assert!(!Path::new(&format!("/proc/{child}")).exists(), "child {child} stopped with the launcher");
    }

    // The same data dir: the same key pair (the first run's token still
    // verifies), the same accounts, the same admin password.
    let second = Launcher::start(data.path(), &http);
    let (status, me) = http.send(http.client.get(second.url("/api/v1/me")).bearer_auth(&token)).unwrap();
    assert_eq!((status, me["email"].as_str()), (200, Some("ada@example.com")), "{me}");
    assert_eq!(std::fs::read_to_string(data.path().join("admin-password.txt")).unwrap(), admin_password);
    let (_, catalog) = http.send(http.client.get(second.url("/api/v1/products?page_size=100"))).unwrap();
    assert_eq!(catalog["items"].as_array().map(Vec::len), Some(24), "seeded once, not again");
    assert!(second.stop().success());
}

/// A connection made during the launch whose source port is a component's
/// port (the kernel may choose one: the default ports lie in Linux's
/// ephemeral range) cannot stop the launch: the launcher binds every port
/// before it starts any component and hands each its own sockets.
#[test]
fn a_connection_from_a_later_components_port_cannot_stop_the_launch() {
    let http = Http::new();
    let data = tempfile::tempdir().unwrap();
    let (mut command, ports) = launch::shop(data.path());
    let child = command.env("RUST_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let mut launcher = Launcher { child, ports: ports.clone() };
    let users = std::net::SocketAddr::from(([127, 0, 0, 1], ports.users));
    let orders = std::net::SocketAddr::from(([127, 0, 0, 1], ports.orders));
    let edge = format!("{}/readyz", ports.edge);
    // A socket of this test's on orders' port before the launcher binds it
    // would stop any launch: wait until the launcher holds every port (users,
    // the first to start, is bound last), then try to take orders' port.
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect_timeout(&users, Duration::from_millis(200)).is_err() {
        let exited = launcher.child.try_wait().unwrap();
        assert!(exited.is_none(), "the launch failed ({exited:?}) before it bound its ports");
        assert!(Instant::now() < deadline, "the launcher did not bind users' port");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Until the mesh is ready, keep connecting to users from orders' port.
    let (mut held, mut refused) = (Vec::new(), 0);
    // A short wait per look: a port bound ahead of its component accepts
    // connections, which wait until the component serves.
    let ready = || http.send(http.client.get(&edge).timeout(Duration::from_millis(200)));
    while ready().is_none_or(|(status, _)| status != 200) {
        let exited = launcher.child.try_wait().unwrap();
        assert!(exited.is_none(), "the launch failed ({exited:?}) while a connection held orders' port");
        assert!(Instant::now() < deadline, "the mesh did not become ready");
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        match socket.bind(orders) {
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => refused += 1,
            Err(error) => panic!("binding {orders}: {error}"),
            Ok(()) => {
                if let Ok(stream) = http.runtime.block_on(socket.connect(users)) {
                    held.push(stream);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(held.is_empty(), "no connection could take orders' port: {held:?}");
    assert!(refused > 0, "orders' port was bound throughout the launch");
    assert_eq!(launcher.children().len(), 7);
    assert!(launcher.stop().success());
}

/// `pid`'s environment variable `name`.
fn env_of(pid: u32, name: &str) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    let prefix = format!("{name}=");
    environ
        .split(|b| *b == 0)
        .find_map(|entry| entry.strip_prefix(prefix.as_bytes()).map(|v| String::from_utf8_lossy(v).into_owned()))
}

/// How many of `pid`'s threads are tokio's (workers, and blocking threads
/// while they live).
fn tokio_threads(pid: u32) -> usize {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap().filter_map(Result::ok);
    tasks.filter(|task| std::fs::read_to_string(task.path().join("comm")).is_ok_and(|c| c.starts_with("tokio"))).count()
}

/// The launcher tells each component how many tokio workers to run (the
/// services one number, the edge another), and the components run them.
#[test]
fn each_component_runs_the_worker_threads_the_launcher_gives_it() {
    let http = Http::new();
    let data = tempfile::tempdir().unwrap();
    let launcher = Launcher::start_with(
        data.path(),
        &http,
        &[("SHOP_SERVICE_WORKER_THREADS", "3"), ("SHOP_EDGE_WORKER_THREADS", "5"), ("TOKIO_WORKER_THREADS", "1")],
    );
    let children = launcher.children();
    assert_eq!(children.len(), 7);
    for pid in children {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        let expected = if cmdline.ends_with(b"serve\0edge\0") { 5 } else { 3 };
        let workers = env_of(pid, "TOKIO_WORKER_THREADS");
        assert_eq!(workers, Some(expected.to_string()), "{}", String::from_utf8_lossy(&cmdline));
        // Above tokio's default on a two-core machine: fewer would mean the setting was ignored.
        let threads = tokio_threads(pid);
        assert!(threads >= expected, "{} runs {threads} tokio threads", String::from_utf8_lossy(&cmdline));
    }
    assert!(launcher.stop().success());
}

/// The users service's peak resident memory (VmHWM), in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024.0
}

/// 64 sign-ups, then 64 logins, all at once: argon2id needs 19 MiB per hash
/// in flight, so the users service caps the hashes in flight (one per core)
/// and queues the rest; its peak memory stays far below 64 x 19 MiB.
#[test]
fn the_users_service_stays_small_under_a_burst_of_sign_ups_and_logins() {
    const BURST: usize = 64;
    let http = Http::new();
    let data = tempfile::tempdir().unwrap();
    // All from one address: its registration and sign-in limits are lifted.
    let unthrottled = [("REGISTRATIONS_PER_HOUR_PER_ADDRESS", "0"), ("LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS", "0")];
    let launcher = Launcher::start_with(data.path(), &http, &unthrottled);
    let users = *launcher
        .children()
        .iter()
        .find(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).unwrap().ends_with(b"serve\0users\0"))
        .expect("the users process");
    let before = peak_rss_mib(users);

    let burst = |path: &'static str| {
        let requests = (0..BURST).map(|n| {
            let mut body = json!({"email": format!("burst-{n}@example.com"), "password": "correct horse"});
            if path.ends_with("register") {
                body["name"] = json!("Burst");
            }
            http.client.post(launcher.url(path)).json(&body).send()
        });
        let answers = http.runtime.block_on(futures::future::join_all(requests));
        answers.into_iter().map(|answer| answer.map(|r| r.status().as_u16()).unwrap_or(0)).collect::<Vec<_>>()
    };
    assert_eq!(burst("/api/v1/users/register"), vec![201; BURST], "every sign-up went through");
    assert_eq!(burst("/api/v1/users/login"), vec![200; BURST], "every login went through");
    let peak = peak_rss_mib(users);
    println!(
        "users peak RSS: {before:.1} MiB before, {peak:.1} MiB after {BURST} concurrent sign-ups and {BURST} logins"
    );
    assert!(peak < 128.0, "users peaked at {peak:.1} MiB (uncapped, {BURST} hashes would need {} MiB)", BURST * 19);
    assert!(launcher.stop().success());
}
