//! What every virtual user shares: the catalog it browses, the products it
//! buys and the products service's gRPC endpoint, found (or made) once per
//! process before the first attack.

use std::sync::{Arc, PoisonError, RwLock};

use anyhow::{Context as _, bail};
use goose::goose::TransactionError;
use serde_json::{Value, json};
use tonic::transport::Endpoint;

use crate::ScenarioKind;

/// Where the mesh is, beyond the edge.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// The products service, for the gRPC floor.
    #[arg(long, env = "PRODUCTS_URL", default_value = "http://127.0.0.1:50052")]
    pub products_url: String,

    /// An admin's email. With it, cart and checkout buy products made for the
    /// run with plenty of stock; without, they buy in-stock catalog products,
    /// and a long run may sell them out.
    #[arg(long, env = "SHOP_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// That admin's password.
    #[arg(long, env = "SHOP_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
}

/// The shared, read-only view of the mesh under load.
#[derive(Debug)]
pub struct Target {
    /// Products on the first catalog pages (for product detail).
    pub browsable: Vec<String>,
    /// Products that carts hold and orders buy.
    pub buyable: Vec<String>,
    /// The products service.
    pub products_endpoint: Endpoint,
    /// Tells this run's customers apart from an earlier run's.
    pub run_id: String,
}

static TARGET: RwLock<Option<Arc<Target>>> = RwLock::new(None);

/// The prepared target; scenarios run only after [`prepare`].
pub fn target() -> Result<Arc<Target>, Box<TransactionError>> {
    let prepared = TARGET.read().unwrap_or_else(PoisonError::into_inner).clone();
    prepared.ok_or_else(|| Box::new(TransactionError::Custom("the target was not prepared".into())))
}

/// The prepared target, to make current again with [`restore`] after
/// another mesh's was prepared.
pub fn current() -> anyhow::Result<Arc<Target>> {
    target().map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// Makes `target`, from an earlier [`current`], the one scenarios run against.
pub fn restore(target: Arc<Target>) {
    *TARGET.write().unwrap_or_else(PoisonError::into_inner) = Some(target);
}

/// Finds (or makes) what `scenario` needs on the mesh at `host`, in place
/// of what an earlier call found on another one (the bench starts two).
pub async fn prepare(host: &str, args: &TargetArgs, scenario: ScenarioKind) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let page: Value = http
        .get(format!("{host}/api/v1/products?page_size=50&in_stock_only=true"))
        .send()
        .await
        .with_context(|| format!("reaching the edge at {host}"))?
        .error_for_status()?
        .json()
        .await?;
    let browsable = ids(&page["items"]);
    let currency = page["items"][0]["price"]["currency"].as_str().unwrap_or("USD");
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let buyable = match (&args.admin_email, &args.admin_password) {
        (Some(email), Some(password)) => stocked_products(&http, host, (email, password), currency, &run_id).await?,
        _ => browsable.iter().take(8).cloned().collect(),
    };
    if browsable.is_empty() && scenario.browses() {
        bail!("the catalog is empty: seed it (the launcher does by default) or create products first");
    }
    if buyable.is_empty() && scenario.buys() {
        bail!("nothing in stock to buy: pass --admin-email and --admin-password, or add stock");
    }
    let products_endpoint = Endpoint::from_shared(args.products_url.clone())
        .with_context(|| format!("--products-url {}", args.products_url))?
        .tcp_nodelay(true);
    restore(Arc::new(Target { browsable, buyable, products_endpoint, run_id }));
    Ok(())
}

/// Eight products with a million units each, made by the admin for this run.
async fn stocked_products(
    http: &reqwest::Client,
    host: &str,
    (email, password): (&str, &str),
    currency: &str,
    run_id: &str,
) -> anyhow::Result<Vec<String>> {
    let login = json!({ "email": email, "password": password });
    let signed_in = post_json(http, &format!("{host}/api/v1/users/login"), None, &login)
        .await
        .context("signing in as the admin")?;
    let token = signed_in["access_token"].as_str().context("the login answer has no access_token")?;
    let mut made = Vec::new();
    for i in 0..8 {
        let product = json!({
            "sku": format!("LOADGEN-{}-{i}", &run_id[..12]),
            "name": format!("Load test item {i}"),
            "description": "Made by shop-loadgen for a load run.",
            "price": { "amount_minor": 1_000 + i * 100, "currency": currency },
            "category": "Load test",
            "image_url": "",
            "stock": 1_000_000,
        });
        let created = post_json(http, &format!("{host}/api/v1/products"), Some(token), &product)
            .await
            .context("creating a product to buy")?;
        made.push(created["id"].as_str().context("the created product has no id")?.to_owned());
    }
    Ok(made)
}

/// POSTs `body` (as the holder of `token`, if any) and returns the JSON of a
/// successful answer.
pub async fn post_json(http: &reqwest::Client, url: &str, token: Option<&str>, body: &Value) -> anyhow::Result<Value> {
    let mut request = http.post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Ok(request.send().await?.error_for_status()?.json().await?)
}

fn ids(items: &Value) -> Vec<String> {
    items.as_array().into_iter().flatten().filter_map(|item| item["id"].as_str().map(str::to_owned)).collect()
}
