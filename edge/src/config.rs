//! The edge's configuration, from flags and the environment.

use std::{net::SocketAddr, time::Duration};

use shop_runtime::config::{AuthConfig, ClientConfig, TelemetryConfig};

/// Everything the edge needs to start.
#[derive(Clone, Debug, clap::Parser)]
#[command(name = "shop-edge", version, about = "The shop mesh's GraphQL and REST edge")]
pub struct Config {
    /// Address to serve HTTP on; port 0 picks a free port.
    #[arg(long, env = "HTTP_LISTEN_ADDR", default_value = "0.0.0.0:8080")]
    pub listen_addr: SocketAddr,

    /// Address of the admin HTTP port (Prometheus `/metrics`); off when unset.
    #[arg(long, env = "ADMIN_LISTEN_ADDR")]
    pub admin_listen_addr: Option<SocketAddr>,

    #[command(flatten)]
    pub upstreams: Upstreams,

    #[command(flatten)]
    pub http: HttpLimits,

    #[command(flatten)]
    pub auth: AuthConfig,

    #[command(flatten)]
    pub client: ClientConfig,

    #[command(flatten)]
    pub telemetry: TelemetryConfig,
}

/// Where the gRPC services are.
#[derive(Clone, Debug, clap::Args)]
pub struct Upstreams {
    /// The users service.
    #[arg(long, env = "USERS_URL", default_value = "http://127.0.0.1:50051")]
    pub users_url: String,

    /// The products service.
    #[arg(long, env = "PRODUCTS_URL", default_value = "http://127.0.0.1:50052")]
    pub products_url: String,

    /// The cart service.
    #[arg(long, env = "CART_URL", default_value = "http://127.0.0.1:50053")]
    pub cart_url: String,

    /// The orders service.
    #[arg(long, env = "ORDERS_URL", default_value = "http://127.0.0.1:50054")]
    pub orders_url: String,

    /// The payments service.
    #[arg(long, env = "PAYMENTS_URL", default_value = "http://127.0.0.1:50055")]
    pub payments_url: String,

    /// The notifications service.
    #[arg(long, env = "NOTIFICATIONS_URL", default_value = "http://127.0.0.1:50056")]
    pub notifications_url: String,
}

/// Limits applied to every HTTP request.
#[derive(Clone, Debug, clap::Args)]
pub struct HttpLimits {
    /// Deadline of a request, passed on to every gRPC call it makes, in milliseconds.
    #[arg(long, env = "HTTP_REQUEST_TIMEOUT_MS", default_value_t = 15_000)]
    pub request_timeout_ms: u64,

    /// Largest request body, in bytes.
    #[arg(long, env = "HTTP_BODY_LIMIT_BYTES", default_value_t = 1024 * 1024)]
    pub body_limit_bytes: usize,

    /// Most requests in flight at once; more are refused with 503.
    #[arg(long, env = "HTTP_CONCURRENCY_LIMIT", default_value_t = 1024)]
    pub concurrency_limit: usize,

    /// Origins allowed by CORS, comma-separated, or `*` for any.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", default_value = "*")]
    pub cors_allowed_origins: String,

    /// Deepest GraphQL query accepted.
    #[arg(long, env = "GRAPHQL_MAX_DEPTH", default_value_t = 12)]
    pub graphql_max_depth: usize,

    /// Most complex GraphQL query accepted.
    #[arg(long, env = "GRAPHQL_MAX_COMPLEXITY", default_value_t = 5000)]
    pub graphql_max_complexity: usize,

    /// Most aliased fields in one GraphQL document.
    #[arg(long, env = "GRAPHQL_MAX_ALIASES", default_value_t = 15)]
    pub graphql_max_aliases: usize,

    /// Most fields at the root of one GraphQL operation.
    #[arg(long, env = "GRAPHQL_MAX_ROOT_FIELDS", default_value_t = 10)]
    pub graphql_max_root_fields: usize,

    /// Most operations in one batched GraphQL request (a JSON array).
    #[arg(long, env = "GRAPHQL_MAX_BATCH", default_value_t = 10)]
    pub graphql_max_batch: usize,

    /// Whether GraphQL answers introspection (`__schema`, `__type`); GraphiQL
    /// needs it, and `edge/schema.graphql` documents the schema without it.
    #[arg(long, env = "GRAPHQL_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphql_introspection: bool,

    /// The catalog's currency (products' CATALOG_CURRENCY): the REST
    /// document says prices are in it.
    #[arg(long, env = "CATALOG_CURRENCY", default_value = "USD")]
    pub catalog_currency: String,

    /// Proxies in front of the edge that each append the address they saw
    /// to `X-Forwarded-For`; the client is the address the outermost one
    /// appended. 0: the client is the connection's peer.
    #[arg(long, env = "TRUSTED_PROXY_HOPS", default_value_t = 0)]
    pub trusted_proxy_hops: usize,

    /// How long an anonymous catalog read (a page, a product, the
    /// categories; REST or GraphQL) is answered again from the edge's cache,
    /// in milliseconds; 0 turns the cache off. Writes through this edge
    /// empty it (see `cache`).
    #[arg(long, env = "HTTP_RESPONSE_CACHE_TTL_MS", default_value_t = 1_000)]
    pub response_cache_ttl_ms: u64,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            request_timeout_ms: 15_000,
            body_limit_bytes: 1024 * 1024,
            concurrency_limit: 1024,
            cors_allowed_origins: "*".into(),
            graphql_max_depth: 12,
            graphql_max_complexity: 5000,
            graphql_max_aliases: 15,
            graphql_max_root_fields: 10,
            graphql_max_batch: 10,
            graphql_introspection: true,
            catalog_currency: "USD".into(),
            trusted_proxy_hops: 0,
            response_cache_ttl_ms: 1_000,
        }
    }
}

impl HttpLimits {
    /// The request deadline.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// How long a cached catalog read is served; zero: not at all.
    pub fn response_cache_ttl(&self) -> Duration {
        Duration::from_millis(self.response_cache_ttl_ms)
    }
}
