//! A mesh of the bench's own: the release `shop` launcher on a temporary data
//! dir (and fresh PostgreSQL databases when asked), on ports below the
//! ephemeral range, ready before it is measured and stopped after.

use std::{path::Path, time::Duration};

use anyhow::{Context as _, bail};
use tokio::process::{Child, Command};

use super::{BenchArgs, postgres::BenchDatabases};

/// How far below the edge's port the products service's is.
const PRODUCTS_BELOW_EDGE: u16 = 28;
/// How far below the bench's ports the first of two meshes side by side
/// runs: the second takes the bench's own.
const FIRST_OF_TWO_BELOW: u16 = 100;

/// A running mesh.
pub(super) struct BenchMesh {
    launcher: Child,
    data: tempfile::TempDir,
    postgres: Option<BenchDatabases>,
    /// The seeded admin's password, made up for this mesh.
    pub admin_password: String,
    /// The edge's port; the services' are the next ones down.
    pub port: u16,
    /// What the bench calls it.
    pub name: String,
}

/// A mesh to start.
pub(super) struct MeshSpec<'a> {
    /// What the bench calls it: its log is `<out>/<name>.log`.
    pub name: &'a str,
    /// The launcher it runs.
    pub shop: &'a Path,
    /// The OTLP endpoint it exports every span to, if any.
    pub collector: Option<&'a str>,
}

impl BenchMesh {
    /// Starts `spec`'s launcher with its edge on `port` and waits until it
    /// is ready.
    pub async fn start(args: &BenchArgs, spec: &MeshSpec<'_>, port: u16) -> anyhow::Result<Self> {
        let MeshSpec { name, shop, collector } = *spec;
        let data = tempfile::tempdir()?;
        let admin_password = uuid::Uuid::now_v7().simple().to_string();
        let postgres = args.postgres.as_deref().map(BenchDatabases::new);
        let log = std::fs::File::create(args.out.join(format!("{name}.log")))?;
        let edge_port = port;
        let port = |offset: u16| (edge_port - offset).to_string();
        let mut command = Command::new(shop);
        if let Some(postgres) = &postgres {
            command.env("SHOP_POSTGRES_URL", &postgres.server).env("SHOP_POSTGRES_DATABASE_PREFIX", &postgres.prefix);
        }
        if let Some(collector) = collector {
            command.env("OTEL_EXPORTER_OTLP_ENDPOINT", collector);
        }
        let launcher = command
            .env("SHOP_DATA_DIR", data.path())
            .env("SHOP_EDGE_PORT", port(0))
            .env("SHOP_USERS_PORT", port(29))
            .env("SHOP_PRODUCTS_PORT", port(PRODUCTS_BELOW_EDGE))
            .env("SHOP_CART_PORT", port(27))
            .env("SHOP_ORDERS_PORT", port(26))
            .env("SHOP_PAYMENTS_PORT", port(25))
            .env("SHOP_NOTIFICATIONS_PORT", port(24))
            .env("SHOP_ADMIN_PASSWORD", &admin_password)
            // All the load comes from one address: the abuse limits would throttle it.
            .env("REGISTRATIONS_PER_HOUR_PER_ADDRESS", "0")
            .env("LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS", "0")
            .env("LOG_COLOR", "never")
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} (build it with cargo build --release --bin shop)", shop.display()))?;
        let mesh = Self { launcher, data, postgres, admin_password, port: edge_port, name: name.to_owned() };
        wait_ready(&mesh.host()).await?;
        Ok(mesh)
    }

    /// Starts two meshes side by side: the first on ports
    /// [`FIRST_OF_TWO_BELOW`] below the bench's, the second on the bench's own.
    pub async fn start_two(
        args: &BenchArgs,
        first: &MeshSpec<'_>,
        second: &MeshSpec<'_>,
    ) -> anyhow::Result<(Self, Self)> {
        let a = Self::start(args, first, args.port - FIRST_OF_TWO_BELOW).await?;
        match Self::start(args, second, args.port).await {
            Ok(b) => Ok((a, b)),
            Err(error) => {
                a.stop().await?;
                Err(error)
            }
        }
    }

    /// The edge's address.
    pub fn host(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The products service's address.
    pub fn products_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port - PRODUCTS_BELOW_EDGE)
    }

    /// The launcher's process id.
    pub fn launcher_pid(&self) -> anyhow::Result<u32> {
        self.launcher.id().context("the launcher exited")
    }

    /// Stops the launcher (and so every component), then drops the
    /// PostgreSQL databases it used. Returns its data directory, for the
    /// caller to delete when nothing is measured any more: on ext4, creating
    /// files right after many were deleted is slow, and the next mesh's mails
    /// would pay for this one's.
    pub async fn stop(mut self) -> anyhow::Result<tempfile::TempDir> {
        if let Some(pid) = self.launcher.id().and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
        }
        if tokio::time::timeout(Duration::from_secs(30), self.launcher.wait()).await.is_err() {
            let _ = self.launcher.kill().await;
        }
        if let Some(postgres) = self.postgres.take() {
            postgres.drop_all().await?;
        }
        Ok(self.data)
    }
}

async fn wait_ready(host: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    for _ in 0..240 {
        if http.get(format!("{host}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!("the mesh was not ready within 60 s (see its log in the --out directory)")
}
