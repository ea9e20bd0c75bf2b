//! The pages a browser opens, GraphiQL at `/graphql` and the REST reference
//! at `/api/v1/docs`, and everything they load: our own small scripts and
//! vendored production builds of React, GraphiQL and Swagger UI
//! (`edge/assets/vendor`, refreshed from npm by `make vendor-assets`), all
//! embedded in the binary. A Content-Security-Policy holds the pages to this
//! origin, so nothing is fetched from the internet, ever.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    io::Read as _,
    sync::LazyLock,
};

use axum::{
    Router,
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use flate2::read::GzDecoder;
use tonic::Code;

use crate::error::ApiError;

/// Scripts, styles, the socket and data: images, from this origin only.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'";

/// One embedded file, gzipped at build time (build.rs).
struct Asset {
    name: &'static str,
    content_type: &'static str,
    gzipped: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// An asset from `edge/assets/` or `edge/assets/vendor/`, as build.rs gzipped it.
macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            gzipped: include_bytes!(concat!(env!("OUT_DIR"), "/assets/", $name, ".gz")),
        }
    };
}

static GRAPHIQL_ASSETS: &[Asset] = &[
    asset!("react.production.min.js", JS),
    asset!("react-dom.production.min.js", JS),
    asset!("graphiql.min.js", JS),
    asset!("graphiql.min.css", CSS),
    asset!("graphiql-start.js", JS),
    asset!("page.css", CSS),
];

static DOCS_ASSETS: &[Asset] =
    &[asset!("swagger-ui-bundle.js", JS), asset!("swagger-ui.css", CSS), asset!("docs-start.js", JS)];

/// Every asset's entity tag, from its content: a new build of an asset is a
/// new tag, so browsers revalidate cheaply and never keep a stale one.
static ETAGS: LazyLock<Vec<(&'static str, HeaderValue)>> = LazyLock::new(|| {
    GRAPHIQL_ASSETS
        .iter()
        .chain(DOCS_ASSETS)
        .map(|asset| {
            let mut hasher = DefaultHasher::new();
            asset.gzipped.hash(&mut hasher);
            let tag = HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish()))
                .unwrap_or(HeaderValue::from_static("\"0\""));
            (asset.name, tag)
        })
        .collect()
});

/// The REST reference page at `/api/v1/docs`, and the assets of the pages:
/// `/graphql/assets/*` and `/api/v1/docs/assets/*`.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/api/v1/docs", get(docs))
        .route("/graphql/assets/{name}", get(|name, headers| serve(GRAPHIQL_ASSETS, name, headers)))
        .route("/api/v1/docs/assets/{name}", get(|name, headers| serve(DOCS_ASSETS, name, headers)))
}

/// GraphiQL.
pub async fn graphiql() -> Response {
    page(include_str!("../assets/graphiql.html"))
}

/// The REST reference (Swagger UI over `/api/v1/openapi.json`).
async fn docs() -> Response {
    page(include_str!("../assets/docs.html"))
}

fn page(html: &'static str) -> Response {
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn serve(assets: &'static [Asset], Path(name): Path<String>, request: HeaderMap) -> Response {
    let Some(asset) = assets.iter().find(|asset| asset.name == name) else {
        return ApiError::new(Code::NotFound, "no such route").into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some((_, etag)) = ETAGS.iter().find(|(n, _)| *n == asset.name) {
        headers.insert(header::ETAG, etag.clone());
        if request.get(header::IF_NONE_MATCH) == Some(etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    if accepts_gzip(&request) {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        return (headers, asset.gzipped).into_response();
    }
    // Rare (every browser takes gzip): inflate for this client.
    let mut plain = Vec::new();
    match GzDecoder::new(asset.gzipped).read_to_end(&mut plain) {
        Ok(_) => (headers, plain).into_response(),
        Err(error) => {
            tracing::error!(%error, asset = asset.name, "embedded asset does not inflate");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn accepts_gzip(request: &HeaderMap) -> bool {
    request.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(|value| {
        value.split(',').any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused =
                parts.any(|p| p.trim().strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>() == Ok(0.0)));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
    })
}
