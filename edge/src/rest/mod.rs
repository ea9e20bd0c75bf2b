//! The REST API under `/api/v1`, its OpenAPI 3.1 document (generated from the
//! handlers' annotations) and a docs page.

mod cart;
mod health;
pub mod json;
mod orders;
mod products;
pub mod query;
mod users;

use axum::{Json, Router, response::IntoResponse, routing::get};
use tonic::Code;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use health::{healthz, readyz};

use crate::{error::ApiError, state::AppState};

#[derive(OpenApi)]
#[openapi(
    info(title = "Shop mesh REST API", version = "1", description = "REST over the shop mesh's gRPC services. Errors are RFC 9457 application/problem+json."),
    modifiers(&BearerAuth),
    tags(
        (name = "users", description = "Accounts and sessions"),
        (name = "catalog", description = "Products, categories and stock; changes are for admins"),
        (name = "cart", description = "The caller's own cart"),
        (name = "orders", description = "Checkout, order history, cancellation and fulfilment"),
    ),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The `/api/v1` routes, the OpenAPI document at `/api/v1/openapi.json` and
/// the docs page at `/api/v1/docs`.
pub fn router() -> Router<AppState> {
    let (api, document) = api().split_for_parts();
    let document = serde_json::to_value(&document).unwrap_or_default();
    api.route("/api/v1/openapi.json", get(move || async move { Json(document) }))
        .route("/api/v1/docs", get(crate::browser::docs))
}

/// The OpenAPI document, for tools that want it without a server.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

fn api() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(users::register))
        .routes(routes!(users::login))
        .routes(routes!(users::refresh))
        .routes(routes!(users::logout))
        .routes(routes!(users::me))
        .routes(routes!(products::list, products::create))
        .routes(routes!(products::get, products::update, products::archive))
        .routes(routes!(products::adjust_stock))
        .routes(routes!(products::categories))
        .routes(routes!(cart::get, cart::clear))
        .routes(routes!(cart::add))
        .routes(routes!(cart::set_quantity, cart::remove))
        .routes(routes!(orders::checkout, orders::list))
        .routes(routes!(orders::get))
        .routes(routes!(orders::cancel))
        .routes(routes!(orders::set_status))
        .routes(routes!(orders::payments));
    // The outer router's document is the one served: it carries the title,
    // tags and security scheme.
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1)
}

/// Unknown paths answer with a problem, like every other error.
pub async fn not_found() -> impl IntoResponse {
    ApiError::new(Code::NotFound, "no such route")
}
