//! The whole mesh as `shop` runs it, for tools to talk to.

use std::{
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use nix::{sys::signal, unistd::Pid};

use crate::launch::{self, Ports};

/// A running `shop` launcher on its own ports and data dir; stopped on drop.
pub struct Launched {
    child: Child,
    /// Where everything listens.
    pub ports: Ports,
    // Its SQLite files and keys, removed after the mesh stops.
    _data: tempfile::TempDir,
}

impl Launched {
    /// Starts the mesh with the demo catalog and waits until the edge is ready.
    pub async fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let (mut command, ports) = launch::shop(data.path());
        let child =
            command.env("RUST_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("shop starts");
        let launched = Self { child, ports, _data: data };
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = client.get(format!("{}/readyz", launched.ports.edge)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return launched;
            }
            assert!(Instant::now() < deadline, "the mesh did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(port: u16) -> String {
        format!("127.0.0.1:{port}")
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = signal::kill(Pid::from_raw(pid), signal::Signal::SIGTERM);
        }
        let _ = self.child.wait();
    }
}
