//! The real mesh, in this process, on ephemeral ports: each service and the
//! edge serve over real TCP and speak real gRPC to each other.

use std::{net::SocketAddr, time::Duration};

use shop_edge::config::{HttpLimits, Upstreams};
use shop_proto::{
    cart::v1::cart_service_client::CartServiceClient,
    notifications::v1::notification_service_client::NotificationServiceClient,
    orders::v1::order_service_client::OrderServiceClient, payments::v1::payment_service_client::PaymentServiceClient,
    products::v1::product_service_client::ProductServiceClient, users::v1::user_service_client::UserServiceClient,
};
use shop_runtime::{
    Secret, Shutdown,
    auth::TokenVerifier,
    config::{
        AuthConfig, ClientConfig, DatabaseConfig, NatsConfig, OutboxConfig, ServeConfig, ServiceCredentialsConfig,
        TelemetryConfig,
    },
    grpc::Listeners,
    service::{self, Service},
};
use shop_users::config::{AbuseLimits, AdminSeedConfig, SigningKeyConfig, TokenTtls};
use tokio::sync::Mutex;
use tonic::transport::Channel;

use crate::{
    database::{Backend, TestDatabases},
    gate::Gate,
    http::HttpClient,
};

/// The seeded admin of every test mesh.
pub const ADMIN_EMAIL: &str = "admin@shop.test";
/// Its password.
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
/// The one service client every test mesh knows (the orders service).
pub const SERVICE_CLIENT_ID: &str = "orders";
/// Its secret.
pub const SERVICE_CLIENT_SECRET: &str = "orders-secret-for-tests-0123456789";
/// The notifications service's client id.
pub const NOTIFICATIONS_CLIENT_ID: &str = "notifications";
/// Its secret.
pub const NOTIFICATIONS_CLIENT_SECRET: &str = "notifications-secret-for-tests-0123";
/// How often the test products service expires overdue reservations.
pub const RESERVATION_SWEEP: Duration = Duration::from_millis(50);
/// The test orders service's saga lease: how long recovery leaves a stopped
/// checkout alone (running checkouts renew theirs).
pub const SAGA_LEASE: Duration = Duration::from_secs(5);
/// How long a charge attempt that never recorded its answer holds the charge.
pub const CHARGE_CLAIM: Duration = Duration::from_secs(2);

/// The saga lease of a gated mesh: short, so tests of stopped checkouts
/// see recovery soon.
pub const GATED_SAGA_LEASE: Duration = Duration::from_secs(2);
/// How long a gated mesh's orders service waits for one downstream call.
pub const GATED_CALL_TIMEOUT: Duration = Duration::from_millis(1500);

/// Gates between the orders service and each service it calls.
#[derive(Clone, Debug)]
pub struct OrdersGates {
    /// In front of products (ReserveStock, CommitReservation, ReleaseReservation).
    pub products: Gate,
    /// In front of payments (Charge, ListPayments, Refund).
    pub payments: Gate,
    /// In front of cart (GetCart, ClearCart).
    pub cart: Gate,
}

/// A running service: where it listens and how to stop it.
#[derive(Debug, Clone)]
pub struct Running {
    /// The gRPC address.
    pub addr: SocketAddr,
    /// The admin (metrics) address.
    pub admin: SocketAddr,
    shutdown: Shutdown,
}

impl Running {
    /// A channel to the service.
    pub fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr)).expect("service url").connect_lazy()
    }

    /// Stops it and waits until its port refuses connections.
    pub async fn stop(&self) {
        self.shutdown.trigger();
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(self.addr).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("service at {} did not stop", self.addr);
    }
}

async fn listeners_at(grpc: SocketAddr, admin: SocketAddr) -> Listeners {
    for _ in 0..100 {
        if let Ok(listeners) = Listeners::bind(grpc, Some(admin)).await {
            return listeners;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("cannot bind {grpc}");
}

/// How every test service serves: health re-checked every 100 ms, so tests
/// see a dependency's failure (and recovery) at once.
fn serve_config() -> ServeConfig {
    ServeConfig { health_check_interval_ms: 100, ..ServeConfig::default() }
}

fn outbox_config() -> OutboxConfig {
    OutboxConfig { relay_interval_ms: 20, ..OutboxConfig::default() }
}

fn anywhere() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// How a test mesh differs from the plain one.
#[derive(Clone, Debug)]
pub struct MeshOptions {
    /// Orders reaches its downstreams through [`OrdersGates`] (see [`TestMesh::start_gated`]).
    pub gated: bool,
    /// The users service's abuse limits (off by default: tests make many
    /// accounts and sessions from one address).
    pub users_limits: AbuseLimits,
    /// The edge's limits.
    pub edge_limits: HttpLimits,
    /// Events over NATS JetStream at this URL, instead of the feeds, on
    /// streams of this mesh's own (a fresh prefix).
    pub nats_url: Option<String>,
    /// The prefix of this mesh's streams and subjects (unique per mesh).
    pub nats_prefix: String,
    /// How the notifications service sends; `None`: into [`TestMesh::mail_dir`].
    pub mail: Option<shop_notifications::config::MailConfig>,
}

impl Default for MeshOptions {
    fn default() -> Self {
        Self {
            gated: false,
            users_limits: AbuseLimits::off(),
            edge_limits: HttpLimits::default(),
            nats_url: None,
            nats_prefix: format!("test{}", uuid::Uuid::now_v7().simple()),
            mail: None,
        }
    }
}

impl MeshOptions {
    /// A gated mesh.
    pub fn gated() -> Self {
        Self { gated: true, ..Self::default() }
    }

    /// A mesh whose events go over NATS JetStream at `url`.
    pub fn over_nats(url: impl Into<String>) -> Self {
        Self { nats_url: Some(url.into()), ..Self::default() }
    }

    fn nats(&self) -> NatsConfig {
        NatsConfig { nats_url: self.nats_url.clone(), nats_prefix: self.nats_prefix.clone(), nats_max_age_hours: 1 }
    }
}

/// A running mesh; everything stops and every database is dropped with it.
#[derive(Debug)]
pub struct TestMesh {
    /// HTTP client for the edge.
    pub http: HttpClient,
    /// The edge's address.
    pub edge_addr: SocketAddr,
    /// The edge's admin (metrics) address.
    pub edge_admin: SocketAddr,
    /// The users service.
    pub users_service: Running,
    /// The products service.
    pub products_service: Running,
    /// The cart service.
    pub cart_service: Running,
    /// The payments service (restartable).
    pub payments_service: Mutex<Running>,
    /// The orders service (restartable).
    pub orders_service: Mutex<Running>,
    /// The notifications service (restartable).
    pub notifications_service: Mutex<Running>,
    /// Where the notifications service writes its mails (deleted with the mesh).
    pub mail_dir: tempfile::TempDir,
    /// The signing key pair (tests forge tokens with it).
    pub keys: shop_users::keys::KeyPair,
    pub(crate) products_state: shop_products::AppState,
    payments_config: shop_payments::Config,
    orders_config: shop_orders::Config,
    notifications_config: shop_notifications::Config,
    edge_shutdown: Shutdown,
    upstreams: Upstreams,
    pub(crate) databases: TestDatabases,
    /// The gates in front of orders' downstreams, in a gated mesh.
    pub gates: Option<OrdersGates>,
}

impl TestMesh {
    /// Starts every service and the edge on `backend`, each with a fresh database.
    /// With `SHOP_TEST_LOG` set (an EnvFilter, e.g. `info`), logs go to the test's output.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, MeshOptions::default()).await
    }

    /// Starts a mesh whose orders service reaches products, payments and
    /// cart through [`OrdersGates`], with a [`GATED_SAGA_LEASE`] and a
    /// [`GATED_CALL_TIMEOUT`].
    pub async fn start_gated(backend: Backend) -> Self {
        Self::start_with(backend, MeshOptions::gated()).await
    }

    /// Starts a mesh as `options` say.
    pub async fn start_with(backend: Backend, options: MeshOptions) -> Self {
        let MeshOptions { gated, users_limits, edge_limits, .. } = options.clone();
        if let Ok(filter) = std::env::var("SHOP_TEST_LOG") {
            let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        }
        let mut databases = TestDatabases::new(backend);
        let keys = shop_users::keys::generate().expect("key pair");
        let public_key = AuthConfig { jwt_public_key: Some(keys.public_pem.clone()), jwt_public_key_file: None };

        let outbox = OutboxConfig { nats: options.nats(), ..outbox_config() };
        let users_url = databases.create("users").await;
        let users_service = start_users_configured(&users_url, &keys, anywhere(), users_limits, outbox.clone()).await;

        let products_config = shop_products::Config {
            listen_addr: anywhere(),
            database: DatabaseConfig::new(databases.create("products").await),
            auth: public_key.clone(),
            catalog: shop_products::config::CatalogConfig {
                reservation_sweep_ms: u64::try_from(RESERVATION_SWEEP.as_millis()).unwrap_or(50),
                ..Default::default()
            },
            outbox: outbox.clone(),
            serve: serve_config(),
            telemetry: TelemetryConfig::default(),
        };
        let products_state: shop_products::AppState = build(&products_config).await;
        let products_service = spawn(products_state.clone(), anywhere(), anywhere()).await;

        let cart_config = shop_cart::Config {
            listen_addr: anywhere(),
            products_url: format!("http://{}", products_service.addr),
            currency: "USD".into(),
            database: DatabaseConfig::new(databases.create("cart").await),
            auth: public_key.clone(),
            client: ClientConfig::default(),
            serve: serve_config(),
            telemetry: TelemetryConfig::default(),
        };
        let cart_service = spawn(build::<shop_cart::AppState>(&cart_config).await, anywhere(), anywhere()).await;

        let mut payments_config = payments_config(&databases.create("payments").await, &public_key);
        payments_config.outbox = outbox.clone();
        let payments_service = start_payments(&payments_config, anywhere(), anywhere()).await;

        let gates = match gated {
            true => Some(OrdersGates {
                products: Gate::start(products_service.addr).await,
                payments: Gate::start(payments_service.addr).await,
                cart: Gate::start(cart_service.addr).await,
            }),
            false => None,
        };
        let url_for_orders = |running: &Running, gate: Option<&Gate>| match gate {
            Some(gate) => gate.url(),
            None => format!("http://{}", running.addr),
        };
        let (lease, client) = match gated {
            true => (
                GATED_SAGA_LEASE,
                ClientConfig { call_timeout_ms: GATED_CALL_TIMEOUT.as_millis() as u64, ..ClientConfig::default() },
            ),
            false => (SAGA_LEASE, ClientConfig::default()),
        };
        let orders_config = shop_orders::Config {
            listen_addr: anywhere(),
            upstreams: shop_orders::config::Upstreams {
                users_url: format!("http://{}", users_service.addr),
                products_url: url_for_orders(&products_service, gates.as_ref().map(|g| &g.products)),
                cart_url: url_for_orders(&cart_service, gates.as_ref().map(|g| &g.cart)),
                payments_url: url_for_orders(&payments_service, gates.as_ref().map(|g| &g.payments)),
            },
            database: DatabaseConfig::new(databases.create("orders").await),
            auth: public_key.clone(),
            credentials: ServiceCredentialsConfig::new(SERVICE_CLIENT_ID, Secret::new(SERVICE_CLIENT_SECRET)),
            client,
            saga: shop_orders::config::SagaConfig {
                saga_lease_secs: lease.as_secs(),
                recovery_interval_ms: 100,
                ..Default::default()
            },
            outbox: outbox.clone(),
            serve: serve_config(),
            telemetry: TelemetryConfig::default(),
        };
        let orders_service = start_orders(&orders_config, anywhere(), anywhere()).await;

        let mail_dir = tempfile::tempdir().expect("a mail directory");
        let notifications_config = shop_notifications::Config {
            listen_addr: anywhere(),
            producers: shop_notifications::config::Producers {
                users_url: format!("http://{}", users_service.addr),
                products_url: format!("http://{}", products_service.addr),
                orders_url: format!("http://{}", orders_service.addr),
                payments_url: format!("http://{}", payments_service.addr),
                nats: options.nats(),
            },
            mail: options
                .mail
                .clone()
                .unwrap_or_else(|| shop_notifications::config::MailConfig::to_directory(mail_dir.path().to_owned())),
            database: DatabaseConfig::new(databases.create("notifications").await),
            auth: public_key.clone(),
            credentials: ServiceCredentialsConfig::new(
                NOTIFICATIONS_CLIENT_ID,
                Secret::new(NOTIFICATIONS_CLIENT_SECRET),
            ),
            client: ClientConfig::default(),
            serve: serve_config(),
            telemetry: TelemetryConfig::default(),
        };
        let notifications_service = start_notifications(&notifications_config, anywhere(), anywhere()).await;

        let upstreams = Upstreams {
            users_url: format!("http://{}", users_service.addr),
            products_url: format!("http://{}", products_service.addr),
            cart_url: format!("http://{}", cart_service.addr),
            orders_url: format!("http://{}", orders_service.addr),
            payments_url: format!("http://{}", payments_service.addr),
            notifications_url: format!("http://{}", notifications_service.addr),
        };
        let edge_shutdown = Shutdown::new();
        let (edge_addr, edge_admin) = spawn_edge(&upstreams, &keys.public_pem, edge_limits, &edge_shutdown).await;

        Self {
            http: HttpClient::new(edge_addr),
            edge_addr,
            edge_admin,
            users_service,
            products_service,
            cart_service,
            payments_service: Mutex::new(payments_service),
            orders_service: Mutex::new(orders_service),
            notifications_service: Mutex::new(notifications_service),
            mail_dir,
            keys,
            products_state,
            payments_config,
            orders_config,
            notifications_config,
            edge_shutdown,
            upstreams,
            databases,
            gates,
        }
    }

    /// The backend this mesh runs on.
    pub fn backend(&self) -> Backend {
        self.databases.backend()
    }

    /// A gRPC channel to the users service.
    pub fn users_channel(&self) -> Channel {
        self.users_service.channel()
    }

    /// A typed gRPC client for the users service.
    pub fn users(&self) -> UserServiceClient<Channel> {
        UserServiceClient::new(self.users_service.channel())
    }

    /// A gRPC channel to the products service.
    pub fn products_channel(&self) -> Channel {
        self.products_service.channel()
    }

    /// A typed gRPC client for the products service.
    pub fn products(&self) -> ProductServiceClient<Channel> {
        ProductServiceClient::new(self.products_service.channel())
    }

    /// A typed gRPC client for the cart service.
    pub fn cart(&self) -> CartServiceClient<Channel> {
        CartServiceClient::new(self.cart_service.channel())
    }

    /// A typed gRPC client for the orders service.
    pub async fn orders(&self) -> OrderServiceClient<Channel> {
        OrderServiceClient::new(self.orders_service.lock().await.channel())
    }

    /// A typed gRPC client for the payments service.
    pub async fn payments(&self) -> PaymentServiceClient<Channel> {
        PaymentServiceClient::new(self.payments_service.lock().await.channel())
    }

    /// Stops the payments service (its port refuses connections until restarted).
    pub async fn stop_payments(&self) {
        self.payments_service.lock().await.stop().await;
    }

    /// Starts the payments service again on the same port and database.
    pub async fn restart_payments(&self) {
        let mut running = self.payments_service.lock().await;
        running.stop().await;
        *running = start_payments(&self.payments_config, running.addr, running.admin).await;
    }

    /// Stops the orders service (its port refuses connections until restarted).
    pub async fn stop_orders(&self) {
        self.orders_service.lock().await.stop().await;
    }

    /// Starts the orders service again (a new process, as far as it can
    /// tell) on the same port and database.
    pub async fn restart_orders(&self) {
        let mut running = self.orders_service.lock().await;
        running.stop().await;
        *running = start_orders(&self.orders_config, running.addr, running.admin).await;
    }

    /// Stops the notifications service (its port refuses connections until restarted).
    pub async fn stop_notifications(&self) {
        self.notifications_service.lock().await.stop().await;
    }

    /// Starts the notifications service again on the same port, database
    /// and mail directory.
    pub async fn restart_notifications(&self) {
        let mut running = self.notifications_service.lock().await;
        running.stop().await;
        *running = start_notifications(&self.notifications_config, running.addr, running.admin).await;
    }

    /// Makes the (stopped) notifications service forget its feed positions:
    /// started again, it is given every event a second time.
    pub async fn rewind_notifications(&self) {
        shop_notifications::testing::rewind_feeds(&self.notifications_config).await.expect("rewinding the feeds");
    }

    /// The notifications service's `/metrics` exposition.
    pub async fn notifications_metrics(&self) -> String {
        let admin = self.notifications_service.lock().await.admin;
        self.scrape(admin).await
    }

    /// A typed gRPC client for the notifications service.
    pub async fn notifications(&self) -> NotificationServiceClient<Channel> {
        NotificationServiceClient::new(self.notifications_service.lock().await.channel())
    }

    /// The payments service's database URL.
    pub fn payments_database_url(&self) -> String {
        self.payments_config.database.url.expose().to_owned()
    }

    /// A fresh payments state on the payments database (for writing what a
    /// charge attempt left behind by hand).
    pub async fn payments_state(&self) -> shop_payments::AppState {
        build(&self.payments_config).await
    }

    /// A fresh orders state on the orders database (for writing a stuck saga by hand).
    pub async fn orders_state(&self) -> shop_orders::AppState {
        build(&self.orders_config).await
    }

    /// Seeds the demo catalog the way the launcher does; returns how many were added.
    pub async fn seed_demo_catalog(&self) -> usize {
        shop_products::seed_demo_catalog(&self.products_state).await.expect("seed the demo catalog")
    }

    /// The products service's `/metrics` exposition.
    pub async fn products_metrics(&self) -> String {
        self.scrape(self.products_service.admin).await
    }

    /// The `/metrics` exposition at `admin` (a service's admin address).
    pub async fn scrape(&self, admin: SocketAddr) -> String {
        let url = format!("http://{admin}/metrics");
        self.http.raw().get(url).send().await.expect("metrics").text().await.expect("metrics text")
    }

    /// Another edge in front of the same services, with other limits (a
    /// short request deadline, say).
    pub async fn edge_with(&self, limits: HttpLimits) -> HttpClient {
        self.edge_with_admin(limits).await.0
    }

    /// [`Self::edge_with`], and that edge's admin (metrics) address.
    pub async fn edge_with_admin(&self, limits: HttpLimits) -> (HttpClient, SocketAddr) {
        let (http, admin) = spawn_edge(&self.upstreams, &self.keys.public_pem, limits, &self.edge_shutdown).await;
        (HttpClient::new(http), admin)
    }
}

/// An edge on free ports: its public address and its admin (metrics) address.
async fn spawn_edge(
    upstreams: &Upstreams,
    public_pem: &str,
    limits: HttpLimits,
    shutdown: &Shutdown,
) -> (SocketAddr, SocketAddr) {
    let verifier = TokenVerifier::from_public_pem(public_pem.as_bytes()).expect("verifier");
    let state = shop_edge::AppState::new(upstreams, &ClientConfig::default(), verifier, limits).expect("edge state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind edge");
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind edge admin");
    let addrs = (listener.local_addr().expect("edge address"), admin.local_addr().expect("edge admin address"));
    tokio::spawn(shop_runtime::admin::serve(admin, state.metrics.registry(), shutdown.clone()));
    tokio::spawn(shop_edge::serve(listener, shop_edge::app(state), shutdown.clone()));
    addrs
}

/// A service's state on its fresh, migrated database.
async fn build<S: Service>(config: &S::Config) -> S {
    service::build::<S>(config).await.unwrap_or_else(|error| panic!("building the {} state: {error:#}", S::NAME))
}

/// Serves `state` on `grpc` and `admin` (port 0: any free one) until the
/// returned handle's shutdown.
async fn spawn<S: Service>(state: S, grpc: SocketAddr, admin: SocketAddr) -> Running {
    let listeners = listeners_at(grpc, admin).await;
    let addr = listeners.grpc_addr().expect("grpc address");
    let admin = listeners.admin_addr().expect("admin address");
    let shutdown = Shutdown::new();
    tokio::spawn(service::serve(state, listeners, serve_config(), shutdown.clone()));
    Running { addr, admin, shutdown }
}

/// A users service on `addr` (port 0: any free one) signing tokens with
/// `keys`, on the database at `url`, knowing the test service client, with
/// no abuse limits (tests make many accounts from one address).
pub async fn start_users(url: &str, keys: &shop_users::keys::KeyPair, addr: SocketAddr) -> Running {
    start_users_with(url, keys, addr, AbuseLimits::off()).await
}

/// [`start_users`] with the abuse limits `limits`.
pub async fn start_users_with(
    url: &str,
    keys: &shop_users::keys::KeyPair,
    addr: SocketAddr,
    limits: AbuseLimits,
) -> Running {
    start_users_configured(url, keys, addr, limits, outbox_config()).await
}

/// [`start_users_with`], its events relayed as `outbox` says.
async fn start_users_configured(
    url: &str,
    keys: &shop_users::keys::KeyPair,
    addr: SocketAddr,
    limits: AbuseLimits,
    outbox: OutboxConfig,
) -> Running {
    let config = shop_users::Config {
        listen_addr: addr,
        database: DatabaseConfig::new(url.to_owned()),
        signing_key: SigningKeyConfig { jwt_private_key: Some(keys.private_pem.clone()), jwt_private_key_file: None },
        tokens: TokenTtls::default(),
        admin: AdminSeedConfig {
            admin_email: Some(ADMIN_EMAIL.into()),
            admin_password: Some(Secret::new(ADMIN_PASSWORD)),
            admin_password_file: None,
        },
        limits,
        service_clients: format!(
            "{SERVICE_CLIENT_ID}={SERVICE_CLIENT_SECRET},{NOTIFICATIONS_CLIENT_ID}={NOTIFICATIONS_CLIENT_SECRET}"
        )
        .parse()
        .expect("service clients"),
        service_clients_file: None,
        outbox,
        serve: serve_config(),
        telemetry: TelemetryConfig::default(),
    };
    spawn(build::<shop_users::AppState>(&config).await, addr, anywhere()).await
}

/// A payments service's settings: the database at `url`, tokens verified with `auth`.
pub fn payments_config(url: &str, auth: &AuthConfig) -> shop_payments::Config {
    shop_payments::Config {
        listen_addr: anywhere(),
        charge_claim_secs: CHARGE_CLAIM.as_secs(),
        database: DatabaseConfig::new(url.to_owned()),
        auth: auth.clone(),
        outbox: outbox_config(),
        serve: serve_config(),
        telemetry: TelemetryConfig::default(),
    }
}

/// A payments service on `grpc` and `admin` (port 0: any free one).
pub async fn start_payments(config: &shop_payments::Config, grpc: SocketAddr, admin: SocketAddr) -> Running {
    spawn(build::<shop_payments::AppState>(config).await, grpc, admin).await
}

async fn start_orders(config: &shop_orders::Config, grpc: SocketAddr, admin: SocketAddr) -> Running {
    spawn(build::<shop_orders::AppState>(config).await, grpc, admin).await
}

async fn start_notifications(config: &shop_notifications::Config, grpc: SocketAddr, admin: SocketAddr) -> Running {
    spawn(build::<shop_notifications::AppState>(config).await, grpc, admin).await
}

impl Drop for TestMesh {
    fn drop(&mut self) {
        self.edge_shutdown.trigger();
        for service in [&self.users_service, &self.products_service, &self.cart_service] {
            service.shutdown.trigger();
        }
        for service in [&self.payments_service, &self.orders_service, &self.notifications_service] {
            if let Ok(running) = service.try_lock() {
                running.shutdown.trigger();
            }
        }
    }
}
