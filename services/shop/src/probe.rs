//! `shop probe <url>`: the health check for images without a shell or curl
//! (distroless). `grpc://host:port` asks grpc.health.v1 (the overall status,
//! or `--service`'s); `http://host:port/path` wants a 2xx. Exits 0 when
//! healthy, 1 with the reason otherwise.

use std::time::Duration;

use anyhow::{Context as _, bail};
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use shop_runtime::grpc::code_name;
use tonic::transport::Endpoint;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

/// What to probe.
#[derive(Clone, Debug, clap::Args)]
pub struct ProbeArgs {
    /// `grpc://host:port` (grpc.health.v1 Check) or `http://host:port/path` (GET, 2xx).
    pub url: http::Uri,

    /// For grpc://, the service whose status to ask for (default: the server's overall status).
    #[arg(long, default_value = "")]
    pub service: String,

    /// Longest the whole probe may take, in milliseconds.
    #[arg(long, default_value_t = 3_000)]
    pub timeout_ms: u64,
}

/// Probes once; an error says why the target is not healthy.
pub async fn probe(args: ProbeArgs) -> anyhow::Result<()> {
    let limit = Duration::from_millis(args.timeout_ms);
    let check = async {
        match args.url.scheme_str() {
            Some("grpc") => grpc(&args.url, &args.service, limit).await,
            Some("http") => http(&args.url).await,
            _ => bail!("url: {} must start with grpc:// or http://", args.url),
        }
    };
    tokio::time::timeout(limit, check).await.with_context(|| format!("{}: no answer within {limit:?}", args.url))?
}

async fn grpc(url: &http::Uri, service: &str, limit: Duration) -> anyhow::Result<()> {
    let authority = url.authority().with_context(|| format!("url: {url} has no host:port"))?;
    let channel = Endpoint::from_shared(format!("http://{authority}"))?.connect_timeout(limit).connect().await?;
    let request = HealthCheckRequest { service: service.to_owned() };
    let answer = HealthClient::new(channel).check(request).await;
    let status = answer
        .map_err(|status| anyhow::anyhow!("{url}: {} ({})", code_name(status.code()), status.message()))?
        .into_inner()
        .status;
    match ServingStatus::try_from(status) {
        Ok(ServingStatus::Serving) => Ok(()),
        Ok(other) => bail!("{url}: {}", other.as_str_name()),
        Err(_) => bail!("{url}: unknown status {status}"),
    }
}

async fn http(url: &http::Uri) -> anyhow::Result<()> {
    let authority = url.authority().with_context(|| format!("url: {url} has no host:port"))?;
    let port = authority.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((authority.host(), port)).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let path = url.path_and_query().map_or("/", |p| p.as_str());
    let request = http::Request::get(path)
        .header(http::header::HOST, authority.as_str())
        .body(Empty::<hyper::body::Bytes>::new())?;
    let status = sender.send_request(request).await?.status();
    if status.is_success() { Ok(()) } else { bail!("{url}: {status}") }
}
