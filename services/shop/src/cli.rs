//! The `shop` command line.

use std::{net::IpAddr, num::NonZeroUsize, path::PathBuf};

/// The shop mesh on one machine.
#[derive(Debug, clap::Parser)]
#[command(name = "shop", version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub up: UpArgs,
}

/// What to do.
#[expect(clippy::large_enum_variant, reason = "parsed once at start-up; the variants' sizes do not matter")]
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run every service and the edge, each in its own process (the default).
    Up(UpArgs),
    /// Run one component in this process, configured by flags and env
    /// (what `up` starts for each child; the same as its own binary).
    Serve(ServeArgs),
    /// Check one component's health, for container health checks: exit 0
    /// when healthy, 1 with the reason otherwise.
    Probe(crate::probe::ProbeArgs),
    /// Write every secret a deployment needs into a directory, keeping those
    /// already there: the token key pair, the admin and PostgreSQL passwords,
    /// the service client secrets (compose's init service; the Kubernetes dev
    /// overlay's Secrets).
    GenerateSecrets {
        /// The directory.
        #[arg(long, env = "SHOP_SECRETS_DIR")]
        dir: PathBuf,
    },
}

/// `shop serve [--check] <component>`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Only parse and check the configuration, print it (secrets redacted)
    /// and exit: 0 when the component would start with it.
    #[arg(long)]
    pub check: bool,

    #[command(subcommand)]
    pub component: Component,
}

/// One runnable component.
#[derive(Debug, clap::Subcommand)]
pub enum Component {
    /// The users service.
    Users(shop_users::Config),
    /// The products service.
    Products(shop_products::Config),
    /// The cart service.
    Cart(shop_cart::Config),
    /// The orders service.
    Orders(shop_orders::Config),
    /// The payments service.
    Payments(shop_payments::Config),
    /// The notifications service.
    Notifications(shop_notifications::Config),
    /// The GraphQL and REST edge.
    Edge(shop_edge::Config),
}

/// How `shop up` runs the mesh.
#[derive(Clone, Debug, clap::Args)]
pub struct UpArgs {
    /// Where the SQLite databases, the signing key pair and the generated
    /// admin password live.
    #[arg(long, env = "SHOP_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Interface every component listens on.
    #[arg(long, env = "SHOP_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// The edge's HTTP port (its metrics are on this port + 10).
    #[arg(long, env = "SHOP_EDGE_PORT", default_value_t = 8080)]
    pub edge_port: u16,

    /// The users service's gRPC port (its metrics are on this port + 10).
    #[arg(long, env = "SHOP_USERS_PORT", default_value_t = 50051)]
    pub users_port: u16,

    /// The products service's gRPC port (its metrics are on this port + 10).
    #[arg(long, env = "SHOP_PRODUCTS_PORT", default_value_t = 50052)]
    pub products_port: u16,

    /// The cart service's gRPC port (its metrics are on this port + 10).
    #[arg(long, env = "SHOP_CART_PORT", default_value_t = 50053)]
    pub cart_port: u16,

    /// The orders service's gRPC port (its metrics are on this port + 10).
    #[arg(long, env = "SHOP_ORDERS_PORT", default_value_t = 50054)]
    pub orders_port: u16,

    /// The payments service's gRPC port (its metrics are on this port + 10).
    #[arg(long, env = "SHOP_PAYMENTS_PORT", default_value_t = 50055)]
    pub payments_port: u16,

    /// The notifications service's gRPC port (its metrics are on this port + 10).
    #[arg(long, env = "SHOP_NOTIFICATIONS_PORT", default_value_t = 50056)]
    pub notifications_port: u16,

    /// Domain events over this NATS server (JetStream on) instead of each
    /// producer's feed, e.g. nats://127.0.0.1:4222.
    #[arg(long, env = "NATS_URL")]
    pub nats_url: Option<String>,

    /// A PostgreSQL server for the services' databases instead of SQLite
    /// files in the data dir: a URL naming any database on it the user may
    /// connect to (postgres://postgres@127.0.0.1:5432/postgres). Each service
    /// uses the database `<prefix><service>`, created when missing.
    #[arg(long, env = "SHOP_POSTGRES_URL", hide_env_values = true)]
    pub postgres_url: Option<shop_runtime::Secret>,

    /// What the services' PostgreSQL databases are named with.
    #[arg(long, env = "SHOP_POSTGRES_DATABASE_PREFIX", default_value = "shop_")]
    pub postgres_database_prefix: String,

    /// Do not seed the demo catalog into an empty products database.
    #[arg(long, env = "SHOP_NO_DEMO_CATALOG")]
    pub no_demo_catalog: bool,

    /// Email of the seeded admin account.
    #[arg(long, env = "SHOP_ADMIN_EMAIL", default_value = "admin@example.com")]
    pub admin_email: String,

    /// Password of the seeded admin account; generated into the data dir when not given.
    #[arg(long, env = "SHOP_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<shop_runtime::Secret>,

    /// Colours in the components' logs.
    #[arg(long, env = "LOG_COLOR", value_enum, default_value_t = shop_runtime::config::LogColor::Auto)]
    pub log_color: shop_runtime::config::LogColor,

    #[command(flatten)]
    pub allocator: AllocatorTuning,

    #[command(flatten)]
    pub worker_threads: WorkerThreads,
}

/// How many tokio worker threads each component runs, passed to it as
/// tokio's own `TOKIO_WORKER_THREADS`. The components share one machine:
/// tokio's default, one worker per core in every process, would put seven
/// times as many workers as cores on it, and their wake-ups and work
/// stealing cost CPU on every request that crosses a process.
#[derive(Clone, Debug, clap::Args)]
pub struct WorkerThreads {
    /// Worker threads of each service (default: one per two cores, at least one).
    #[arg(long = "service-worker-threads", env = "SHOP_SERVICE_WORKER_THREADS", value_name = "N")]
    pub service: Option<NonZeroUsize>,

    /// Worker threads of the edge (default: one per core): every request crosses it.
    #[arg(long = "edge-worker-threads", env = "SHOP_EDGE_WORKER_THREADS", value_name = "N")]
    pub edge: Option<NonZeroUsize>,
}

impl WorkerThreads {
    /// The worker threads of the component called `name`.
    pub fn of(&self, name: &str) -> NonZeroUsize {
        let cores = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
        match name {
            "edge" => self.edge.unwrap_or(cores),
            _ => self.service.unwrap_or_else(|| NonZeroUsize::new(cores.get() / 2).unwrap_or(NonZeroUsize::MIN)),
        }
    }
}

/// How the components' allocator (mimalloc) gives memory back, passed to
/// each component as mimalloc's own variables. The defaults keep resident
/// memory near glibc's at a few percent of mimalloc's speed-up.
#[derive(Clone, Debug, clap::Args)]
pub struct AllocatorTuning {
    /// Milliseconds before freed memory goes back to the system (mimalloc's default: 10).
    #[arg(long = "mimalloc-purge-delay", env = "MIMALLOC_PURGE_DELAY", default_value_t = 0)]
    pub purge_delay_ms: u64,

    /// Whether whole arenas are committed up front (1) or page by page (0).
    #[arg(long = "mimalloc-arena-eager-commit", env = "MIMALLOC_ARENA_EAGER_COMMIT", default_value_t = 0)]
    pub arena_eager_commit: u8,
}

impl AllocatorTuning {
    /// The settings as mimalloc reads them.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [
            ("MIMALLOC_PURGE_DELAY", self.purge_delay_ms.to_string()),
            ("MIMALLOC_ARENA_EAGER_COMMIT", self.arena_eager_commit.to_string()),
        ]
    }
}
