//! The pages a browser opens, GraphiQL at `/graphql` and the REST reference
//! at `/api/v1/docs`, and everything they load: our own small scripts and
//! vendored production builds of React, GraphiQL and Swagger UI
//! (`edge/assets/vendor`, refreshed from npm by `make vendor-assets`), all
//! embedded in the binary. A Content-Security-Policy holds the pages to this
//! origin, so nothing is fetched from the internet, ever.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    sync::LazyLock,
};

use axum::{
    Router,
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use tower_http::compression::CompressionLayer;

/// Scripts, styles, the socket and data: images, from this origin only.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// An asset from `edge/assets/` (ours) or `edge/assets/vendor/`.
macro_rules! asset {
    (vendor $name:literal, $content_type:expr) => {
        Asset { name: $name, content_type: $content_type, body: include_bytes!(concat!("../assets/vendor/", $name)) }
    };
    ($name:literal, $content_type:expr) => {
        Asset { name: $name, content_type: $content_type, body: include_bytes!(concat!("../assets/", $name)) }
    };
}

static GRAPHIQL_ASSETS: &[Asset] = &[
    asset!(vendor "react.production.min.js", JS),
    asset!(vendor "react-dom.production.min.js", JS),
    asset!(vendor "graphiql.min.js", JS),
    asset!(vendor "graphiql.min.css", CSS),
    asset!("graphiql-start.js", JS),
    asset!("page.css", CSS),
];

static DOCS_ASSETS: &[Asset] =
    &[asset!(vendor "swagger-ui-bundle.js", JS), asset!(vendor "swagger-ui.css", CSS), asset!("docs-start.js", JS)];

/// Every asset's entity tag, from its content: a new build of an asset is a
/// new tag, so browsers revalidate cheaply and never keep a stale one.
static ETAGS: LazyLock<Vec<(&'static str, HeaderValue)>> = LazyLock::new(|| {
    GRAPHIQL_ASSETS
        .iter()
        .chain(DOCS_ASSETS)
        .map(|asset| {
            let mut hasher = DefaultHasher::new();
            asset.body.hash(&mut hasher);
            let tag = HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish()))
                .unwrap_or(HeaderValue::from_static("\"0\""));
            (asset.name, tag)
        })
        .collect()
});

/// The asset routes (`/graphql/assets/*`, `/api/v1/docs/assets/*`), gzipped
/// for clients that take it.
pub fn asset_routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/graphql/assets/{name}", get(|name, headers| serve(GRAPHIQL_ASSETS, name, headers)))
        .route("/api/v1/docs/assets/{name}", get(|name, headers| serve(DOCS_ASSETS, name, headers)))
        .layer(CompressionLayer::new().gzip(true))
}

/// GraphiQL.
pub async fn graphiql() -> Response {
    page(include_str!("../assets/graphiql.html"))
}

/// The REST reference (Swagger UI over `/api/v1/openapi.json`).
pub async fn docs() -> Response {
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
        return crate::rest::not_found().await.into_response();
    };
    let etag = ETAGS.iter().find(|(n, _)| *n == asset.name).map(|(_, tag)| tag.clone());
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Some(etag) = etag {
        if request.get(header::IF_NONE_MATCH) == Some(&etag) {
            headers.insert(header::ETAG, etag);
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(header::ETAG, etag);
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    (headers, asset.body).into_response()
}
