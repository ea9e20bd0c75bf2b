//! The REST API under `/api/v1`, its OpenAPI 3.1 document (generated from the
//! handlers' annotations) and a docs page.

mod cart;
mod health;
mod notifications;
mod openapi;
mod orders;
mod products;
pub mod query;
mod users;

use axum::{Json, Router, response::IntoResponse, routing::get};
use tonic::Code;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use health::{healthz, readyz};

use crate::{error::ApiError, state::AppState};

/// The `/api/v1` routes and the OpenAPI document at `/api/v1/openapi.json`
/// (the page that shows it is the browser module's).
pub fn router(catalog_currency: &str) -> Router<AppState> {
    let (api, document) = api().split_for_parts();
    let document = openapi::served(document, catalog_currency);
    api.route("/api/v1/openapi.json", get(move || async move { Json(document) }))
}

/// The OpenAPI document as served, for tools that want it without a server.
pub fn openapi_document(catalog_currency: &str) -> serde_json::Value {
    openapi::served(api().into_openapi(), catalog_currency)
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
        .routes(routes!(orders::payments))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::preferences, notifications::set_preferences));
    // The outer router's document is the one served: it carries the title,
    // tags and security scheme.
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi()).nest("/api/v1", v1)
}

/// Unknown paths answer with a problem, like every other error.
pub async fn not_found() -> impl IntoResponse {
    ApiError::new(Code::NotFound, "no such route")
}
