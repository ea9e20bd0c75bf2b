//! Child processes: started from this same binary (`shop serve <component>`),
//! their output prefixed with their name, watched for readiness and for
//! unexpected exits, and stopped with SIGTERM (then SIGKILL) in reverse order.

use std::{
    fmt::Write as _,
    io::Write as _,
    net::SocketAddr,
    path::PathBuf,
    process::{ExitStatus, Stdio},
    time::Duration,
};

use std::os::fd::OwnedFd;

use anyhow::{Context as _, bail};
use command_fds::{CommandFdExt, FdMapping};
use nix::{sys::signal, unistd::Pid};
use shop_runtime::config::LogColor;

use crate::cli::AllocatorTuning;
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
    process::Command,
    sync::mpsc,
    time::{Instant, sleep},
};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

/// The env var through which a child learns it is supervised (and by whom).
pub const LAUNCHER_PID_ENV: &str = "SHOP_LAUNCHER_PID";

/// How a child shows it is ready to serve.
#[derive(Debug, Clone, Copy)]
pub enum Readiness {
    /// grpc.health.v1 at this address answers SERVING.
    Grpc(SocketAddr),
    /// `GET /healthz` at this address answers 200.
    Http(SocketAddr),
}

struct Running {
    name: &'static str,
    pid: Option<u32>,
}

/// The children of one launcher.
pub struct Supervisor {
    exe: PathBuf,
    log_color: &'static str,
    allocator: [(&'static str, String); 2],
    running: Vec<Running>,
    exits_tx: mpsc::UnboundedSender<(&'static str, std::io::Result<ExitStatus>)>,
    exits: mpsc::UnboundedReceiver<(&'static str, std::io::Result<ExitStatus>)>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.running.iter().map(|r| (r.name, r.pid))).finish()
    }
}

/// The first descriptor a child is handed a socket on (after stdin, stdout, stderr).
const FIRST_HANDED_FD: i32 = 3;

impl Supervisor {
    /// A supervisor that starts children from `exe`. Children write into a
    /// pipe, so `auto` colour is decided by the launcher's own output.
    pub fn new(exe: PathBuf, log_color: LogColor, allocator: &AllocatorTuning) -> Self {
        let colored = match log_color {
            LogColor::Auto => std::io::IsTerminal::is_terminal(&std::io::stdout()),
            LogColor::Always => true,
            LogColor::Never => false,
        };
        let (exits_tx, exits) = mpsc::unbounded_channel();
        let log_color = if colored { "always" } else { "never" };
        Self { exe, log_color, allocator: allocator.env(), running: Vec::new(), exits_tx, exits }
    }

    /// Starts `shop serve <name>` with `env` on top of this process's
    /// environment, handing it `sockets` (bound here, listened on there) by
    /// the socket-activation protocol: from descriptor 3 on, `LISTEN_FDS`
    /// their number, `LISTEN_FDNAMES` their names.
    pub fn spawn(
        &mut self,
        name: &'static str,
        env: Vec<(&'static str, String)>,
        sockets: Vec<(&'static str, std::net::TcpListener)>,
    ) -> anyhow::Result<()> {
        let names: Vec<&str> = sockets.iter().map(|(name, _)| *name).collect();
        let handed = sockets
            .into_iter()
            .zip(FIRST_HANDED_FD..)
            .map(|((_, listener), child_fd)| FdMapping { parent_fd: OwnedFd::from(listener), child_fd })
            .collect();
        let mut command = Command::new(&self.exe);
        command.fd_mappings(handed).map_err(|_| anyhow::anyhow!("two sockets for one descriptor"))?;
        let mut child = command
            .args(["serve", name])
            .envs(env)
            .envs(self.allocator.clone())
            .env("LISTEN_FDS", names.len().to_string())
            .env("LISTEN_FDNAMES", names.join(":"))
            .env(LAUNCHER_PID_ENV, std::process::id().to_string())
            .env("LOG_COLOR", self.log_color)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(prefix_lines(name, stdout));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(prefix_lines(name, stderr));
        }
        self.running.push(Running { name, pid: child.id() });
        let exits = self.exits_tx.clone();
        tokio::spawn(async move {
            let status = child.wait().await;
            let _ = exits.send((name, status));
        });
        Ok(())
    }

    /// Waits until a child is ready, failing if any child exits first or
    /// `limit` passes.
    pub async fn wait_ready(&mut self, name: &str, readiness: Readiness, limit: Duration) -> anyhow::Result<()> {
        let give_up = Instant::now() + limit;
        loop {
            if is_ready(readiness).await {
                return Ok(());
            }
            if Instant::now() >= give_up {
                bail!("{name} was not ready within {}s", limit.as_secs());
            }
            tokio::select! {
                exit = self.exits.recv() => {
                    let (who, status) = exit.context("exit channel closed")?;
                    bail!("{who} exited during start-up ({})", describe(&status));
                }
                () = sleep(Duration::from_millis(100)) => {}
            }
        }
    }

    /// Resolves when a child exits, naming it and its status.
    pub async fn next_exit(&mut self) -> (&'static str, String) {
        match self.exits.recv().await {
            Some((name, status)) => (name, describe(&status)),
            None => ("supervisor", "exit channel closed".to_owned()),
        }
    }

    /// Stops every child, last started first: SIGTERM, and SIGKILL for any
    /// still running after `grace`.
    pub async fn stop_all(&mut self, grace: Duration) {
        let mut waiting: Vec<&'static str> = Vec::new();
        for child in self.running.iter().rev() {
            if let Some(pid) = child.pid.and_then(|p| i32::try_from(p).ok()) {
                if signal::kill(Pid::from_raw(pid), signal::Signal::SIGTERM).is_ok() {
                    waiting.push(child.name);
                }
            }
        }
        let deadline = Instant::now() + grace;
        while !waiting.is_empty() {
            tokio::select! {
                exit = self.exits.recv() => match exit {
                    Some((name, _)) => waiting.retain(|w| *w != name),
                    None => break,
                },
                () = tokio::time::sleep_until(deadline) => {
                    for child in self.running.iter().filter(|c| waiting.contains(&c.name)) {
                        tracing::warn!(child = child.name, "did not stop in time; killing");
                        if let Some(pid) = child.pid.and_then(|p| i32::try_from(p).ok()) {
                            let _ = signal::kill(Pid::from_raw(pid), signal::Signal::SIGKILL);
                        }
                    }
                    break;
                }
            }
        }
        self.running.clear();
    }
}

fn describe(status: &std::io::Result<ExitStatus>) -> String {
    match status {
        Ok(status) => status.to_string(),
        Err(error) => error.to_string(),
    }
}

/// Copies a component's output to the launcher's, each line prefixed with
/// the component's name, in one write for all the lines that came in
/// together (components write theirs in batches).
async fn prefix_lines(name: &'static str, stream: impl AsyncRead + Unpin) {
    let mut lines = BufReader::with_capacity(64 * 1024, stream).lines();
    let mut out = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        prefixed(name, &line, &mut out);
        while lines.get_ref().buffer().contains(&b'\n') {
            match lines.next_line().await {
                Ok(Some(line)) => prefixed(name, &line, &mut out),
                _ => break,
            }
        }
        let mut stdout = std::io::stdout().lock();
        // The launcher's own output gone, there is nowhere to copy to, and
        // the component must not stall on a full pipe: read on, drop the lines.
        let _ = stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush());
        out.clear();
    }
}

fn prefixed(name: &str, line: &str, out: &mut String) {
    // A JSON line names its service itself and must stay parseable.
    if !line.starts_with('{') {
        let _ = write!(out, "{name:>8} | ");
    }
    out.push_str(line);
    out.push('\n');
}

async fn is_ready(readiness: Readiness) -> bool {
    match readiness {
        Readiness::Grpc(addr) => grpc_serving(addr).await,
        Readiness::Http(addr) => http_ok(addr).await,
    }
}

async fn grpc_serving(addr: SocketAddr) -> bool {
    let Ok(endpoint) = tonic::transport::Endpoint::from_shared(format!("http://{addr}")) else {
        return false;
    };
    let Ok(channel) = endpoint.connect_timeout(Duration::from_millis(500)).connect().await else {
        return false;
    };
    HealthClient::new(channel)
        .check(HealthCheckRequest { service: String::new() })
        .await
        .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
}

async fn http_ok(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return false;
    };
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// In a child: ask the kernel to send SIGTERM when the launcher dies, so a
/// killed launcher never leaves services behind.
pub fn die_with_launcher(launcher_pid: &str) {
    #[cfg(target_os = "linux")]
    {
        if let Err(error) = nix::sys::prctl::set_pdeathsig(signal::Signal::SIGTERM) {
            // Before telemetry is installed: straight to stderr.
            eprintln!("warning: cannot follow the launcher's lifetime: {error}");
        }
        // The launcher may have died before the request above took effect.
        if nix::unistd::getppid().as_raw().to_string() != launcher_pid {
            std::process::exit(1);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = launcher_pid;
}
