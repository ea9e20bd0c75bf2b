//! `shop up`: prepare the data dir, start each component in dependency
//! order, print where everything is, and stop it all on Ctrl-C or SIGTERM.

use std::{
    net::{IpAddr, SocketAddr},
    path::Path,
    time::Duration,
};

use anyhow::Context as _;
use shop_runtime::{Shutdown, listen};

use crate::{
    cli::UpArgs,
    databases::Databases,
    secrets::{self, AdminPassword},
    supervisor::{Readiness, Supervisor},
};

const START_LIMIT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(25);
/// A component's admin (metrics) port is its gRPC or HTTP port plus this.
const ADMIN_PORT_OFFSET: u16 = 10;

/// One child to start, once those before it are ready.
struct Child {
    name: &'static str,
    env: Vec<(&'static str, String)>,
    /// Its listening sockets, bound before any child starts, by name.
    sockets: Vec<(&'static str, SocketAddr)>,
    ready: Readiness,
}

/// A gRPC service's addresses.
#[derive(Clone, Copy)]
struct Service {
    name: &'static str,
    grpc: SocketAddr,
    admin: SocketAddr,
}

impl Service {
    fn new(name: &'static str, host: IpAddr, port: u16) -> Self {
        Self {
            name,
            grpc: SocketAddr::new(host, port),
            admin: SocketAddr::new(host, port.saturating_add(ADMIN_PORT_OFFSET)),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// A child serving this service, with the settings every service takes.
    fn child(&self, databases: &Databases, public_key: &Path, mut env: Vec<(&'static str, String)>) -> Child {
        env.extend([
            ("GRPC_LISTEN_ADDR", self.grpc.to_string()),
            ("ADMIN_LISTEN_ADDR", self.admin.to_string()),
            ("DATABASE_URL", databases.url(self.name)),
            ("JWT_PUBLIC_KEY_FILE", public_key.display().to_string()),
        ]);
        let sockets = vec![(listen::GRPC, self.grpc), (listen::ADMIN, self.admin)];
        Child { name: self.name, env, sockets, ready: Readiness::Grpc(self.grpc) }
    }
}

/// Runs the mesh until a signal, or until a component dies.
pub async fn up(args: UpArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("creating {}", args.data_dir.display()))?;
    let data_dir = args.data_dir.canonicalize()?;
    let keys = shop_users::keys::load_or_generate(&data_dir).context("preparing the token signing key pair")?;
    let admin =
        secrets::admin_password(args.admin_password.as_ref(), &data_dir).context("preparing the admin password")?;
    let databases = Databases::new(&data_dir, args.postgres_url.as_ref(), &args.postgres_database_prefix)?;

    let users = Service::new("users", args.host, args.users_port);
    let products = Service::new("products", args.host, args.products_port);
    let cart = Service::new("cart", args.host, args.cart_port);
    let orders = Service::new("orders", args.host, args.orders_port);
    let payments = Service::new("payments", args.host, args.payments_port);
    let notifications = Service::new("notifications", args.host, args.notifications_port);
    let services = [users, products, cart, orders, payments, notifications];
    databases.prepare(&services.map(|s| s.name)).await?;
    let edge = SocketAddr::new(args.host, args.edge_port);
    let edge_admin = SocketAddr::new(args.host, args.edge_port.saturating_add(ADMIN_PORT_OFFSET));
    // The orders and notifications services call others as themselves;
    // their secrets live only as long as this run.
    let orders_secret = secrets::random_secret(32);
    let notifications_secret = secrets::random_secret(32);
    let mail_dir = data_dir.join("mail");
    // Without NATS_URL, events travel over each producer's feed.
    let nats: Vec<(&'static str, String)> = args.nats_url.iter().map(|url| ("NATS_URL", url.clone())).collect();
    let with_nats = |mut env: Vec<(&'static str, String)>| {
        env.extend(nats.iter().cloned());
        env
    };
    let children = vec![
        users.child(
            &databases,
            &keys.public,
            with_nats(vec![
                ("JWT_PRIVATE_KEY_FILE", keys.private.display().to_string()),
                ("SHOP_ADMIN_EMAIL", args.admin_email.clone()),
                ("SHOP_ADMIN_PASSWORD", admin.password.expose().to_owned()),
                (
                    "SERVICE_CLIENTS",
                    format!("orders={},notifications={}", orders_secret.expose(), notifications_secret.expose()),
                ),
            ]),
        ),
        products.child(
            &databases,
            &keys.public,
            with_nats(vec![("SEED_DEMO_CATALOG", (!args.no_demo_catalog).to_string())]),
        ),
        cart.child(&databases, &keys.public, vec![("PRODUCTS_URL", products.url())]),
        payments.child(&databases, &keys.public, with_nats(vec![])),
        orders.child(
            &databases,
            &keys.public,
            with_nats(vec![
                ("USERS_URL", users.url()),
                ("PRODUCTS_URL", products.url()),
                ("CART_URL", cart.url()),
                ("PAYMENTS_URL", payments.url()),
                ("SERVICE_CLIENT_ID", "orders".to_owned()),
                ("SERVICE_CLIENT_SECRET", orders_secret.expose().to_owned()),
            ]),
        ),
        notifications.child(
            &databases,
            &keys.public,
            with_nats(vec![
                ("USERS_URL", users.url()),
                ("PRODUCTS_URL", products.url()),
                ("ORDERS_URL", orders.url()),
                ("PAYMENTS_URL", payments.url()),
                ("SERVICE_CLIENT_ID", "notifications".to_owned()),
                ("SERVICE_CLIENT_SECRET", notifications_secret.expose().to_owned()),
                ("MAIL_DIR", mail_dir.display().to_string()),
            ]),
        ),
        Child {
            name: "edge",
            env: vec![
                ("HTTP_LISTEN_ADDR", edge.to_string()),
                ("ADMIN_LISTEN_ADDR", edge_admin.to_string()),
                ("USERS_URL", users.url()),
                ("PRODUCTS_URL", products.url()),
                ("CART_URL", cart.url()),
                ("ORDERS_URL", orders.url()),
                ("PAYMENTS_URL", payments.url()),
                ("NOTIFICATIONS_URL", notifications.url()),
                ("JWT_PUBLIC_KEY_FILE", keys.public.display().to_string()),
            ],
            sockets: vec![(listen::HTTP, edge), (listen::ADMIN, edge_admin)],
            ready: Readiness::Http(edge),
        },
    ];

    // Every port is bound before any component starts: connections made
    // during the launch (health checks, token requests) take ephemeral
    // ports, and the default ports lie in Linux's ephemeral range.
    // The first to start is bound last, so nothing can connect to any of
    // them before all are bound.
    let mut bound = Vec::new();
    for child in children.iter().rev() {
        let sockets = child.sockets.iter().map(|(name, addr)| {
            let listener =
                std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr} for {}", child.name));
            listener.map(|listener| (*name, listener))
        });
        bound.push(sockets.collect::<anyhow::Result<Vec<_>>>()?);
    }
    bound.reverse();

    let shutdown = Shutdown::on_signals();
    let mut supervisor =
        Supervisor::new(std::env::current_exe().context("locating the shop binary")?, args.log_color, &args.allocator);
    let started = async {
        for (mut child, sockets) in children.into_iter().zip(bound) {
            child.env.push(("TOKIO_WORKER_THREADS", args.worker_threads.of(child.name).to_string()));
            supervisor.spawn(child.name, child.env, sockets)?;
            supervisor.wait_ready(child.name, child.ready, START_LIMIT).await?;
        }
        anyhow::Ok(())
    };
    let outcome = tokio::select! {
        started = started => match started {
            Ok(()) => {
                let events = match &args.nats_url {
                    Some(url) => format!("NATS JetStream at {url}"),
                    None => "each producer's feed (no broker)".to_owned(),
                };
                let mesh = Mesh { databases: &databases, edge: (edge, edge_admin), services: &services, events, mail_dir: &mail_dir };
                print_banner(&mesh, &args.admin_email, &admin);
                tokio::select! {
                    () = shutdown.wait() => Ok(()),
                    (name, status) = supervisor.next_exit() => Err(anyhow::anyhow!("{name} exited unexpectedly ({status})")),
                }
            }
            Err(error) => Err(error),
        },
        () = shutdown.wait() => Ok(()),
    };
    println!("stopping the mesh ...");
    supervisor.stop_all(STOP_GRACE).await;
    outcome
}

/// What the banner tells about the running mesh.
struct Mesh<'a> {
    databases: &'a Databases,
    edge: (SocketAddr, SocketAddr),
    services: &'a [Service],
    events: String,
    mail_dir: &'a Path,
}

fn print_banner(mesh: &Mesh<'_>, admin_email: &str, admin: &AdminPassword) {
    let Mesh { databases, edge: (edge, edge_admin), services, events, mail_dir } = mesh;
    let mail_dir = mail_dir.display();
    let password = match (&admin.file, admin.new) {
        // Never the password itself: this banner is the start of a log.
        (Some(file), true) => format!("generated into {}", file.display()),
        (Some(file), false) => format!("see {}", file.display()),
        (None, _) => "as configured".to_owned(),
    };
    let grpc: String = services
        .iter()
        .map(|s| {
            format!(
                "\n  {:<13} {}   (grpcurl -plaintext {} list; metrics http://{}/metrics)",
                format!("{} gRPC", s.name),
                s.grpc,
                s.grpc,
                s.admin
            )
        })
        .collect();
    println!(
        "\nshop mesh is up ({databases})\n\
         \n  GraphiQL      http://{edge}/graphql\
         \n  REST docs     http://{edge}/api/v1/docs\
         \n  OpenAPI       http://{edge}/api/v1/openapi.json\
         \n  edge metrics  http://{edge_admin}/metrics{grpc}\
         \n  events        {events}\
         \n  mails         {mail_dir}/*.eml\
         \n  admin         {admin_email} / {password}\
         \n\nPress Ctrl-C to stop.\n"
    );
}
