//! The REST API's OpenAPI 3.1 document: generated from the handlers'
//! annotations, then completed with what every operation can answer (so each
//! handler lists only what is its own) and with links from the operations
//! that create things to those that use them (so a client, or a stateful
//! test, can follow an order from checkout to its cancellation).

use utoipa::{
    Modify, OpenApi,
    openapi::{
        Content, Ref, RefOr, Response, Schema,
        link::LinkBuilder,
        path::Operation,
        response::ResponseBuilder,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use serde_json::Value;

use crate::{error::Problem, model::catalog::ProductSort};

/// The document's frame: title, tags and the bearer scheme; the routes add
/// their paths to it, then [`finish`] completes it.
#[derive(OpenApi)]
#[openapi(
    info(title = "Shop mesh REST API", version = "1", description = "REST over the shop mesh's gRPC services. Errors are RFC 9457 application/problem+json."),
    modifiers(&BearerAuth),
    components(schemas(ProductSort, Problem)),
    tags(
        (name = "users", description = "Accounts and sessions"),
        (name = "catalog", description = "Products, categories and stock; changes are for admins"),
        (name = "cart", description = "The caller's own cart"),
        (name = "orders", description = "Checkout, order history, cancellation and fulfilment"),
        (name = "notifications", description = "The mails sent to the caller, and what they choose to receive"),
    ),
)]
pub(super) struct ApiDoc;

/// The document as served: completed, then as JSON.
pub(super) fn served(mut openapi: utoipa::openapi::OpenApi, catalog_currency: &str) -> Value {
    finish(&mut openapi, catalog_currency);
    let mut document = serde_json::to_value(&openapi).unwrap_or_default();
    // utoipa 5.5 writes a Link's fields in snake_case; OpenAPI's are camelCase.
    let responses = document["paths"].as_object_mut().into_iter().flat_map(|paths| paths.values_mut());
    let operations = responses.filter_map(Value::as_object_mut).flat_map(|item| item.values_mut());
    for operation in operations {
        let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { continue };
        let links = responses.values_mut().filter_map(|r| r.get_mut("links")?.as_object_mut());
        for link in links.flat_map(|links| links.values_mut()).filter_map(Value::as_object_mut) {
            for (snake, camel) in
                [("operation_ref", "operationRef"), ("operation_id", "operationId"), ("request_body", "requestBody")]
            {
                if let Some(value) = link.remove(snake) {
                    link.insert(camel.to_owned(), value);
                }
            }
        }
    }
    no_nul_in_any_string(&mut document);
    document
}

/// Every string the document describes is free of U+0000, which the edge
/// refuses everywhere: a string schema without a pattern gets one saying so.
fn no_nul_in_any_string(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            let is_string = match fields.get("type") {
                Some(Value::String(kind)) => kind == "string",
                Some(Value::Array(kinds)) => kinds.iter().any(|k| k == "string"),
                _ => false,
            };
            if is_string && !fields.contains_key("pattern") && !fields.contains_key("enum") {
                fields.insert("pattern".to_owned(), Value::from(r"^[^\u0000]*$"));
            }
            fields.values_mut().for_each(no_nul_in_any_string);
        }
        Value::Array(items) => items.iter_mut().for_each(no_nul_in_any_string),
        _ => {}
    }
}

/// Completes the document once every route is in it; money is in
/// `catalog_currency`.
fn finish(openapi: &mut utoipa::openapi::OpenApi, catalog_currency: &str) {
    EveryOperation.modify(openapi);
    Links.modify(openapi);
    if let Some(components) = openapi.components.as_mut() {
        for schema in components.schemas.values_mut() {
            in_catalog_currency(schema, catalog_currency);
        }
        // An update must change something. (utoipa 5.5 writes the derive's
        // `min_properties` as maxProperties, so it is set here.)
        if let Some(RefOr::T(Schema::Object(update))) = components.schemas.get_mut("UpdateProductInput") {
            update.min_properties = Some(1);
        }
    }
}

/// Every `currency` field in `schema` (and the objects in it) is the catalog's.
fn in_catalog_currency(schema: &mut RefOr<Schema>, catalog_currency: &str) {
    let RefOr::T(Schema::Object(object)) = schema else { return };
    for (name, property) in &mut object.properties {
        match property {
            RefOr::T(Schema::Object(currency)) if name == "currency" => {
                currency.enum_values = Some(vec![catalog_currency.into()]);
            }
            property => in_catalog_currency(property, catalog_currency),
        }
    }
}

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

/// The answers every operation can give, whatever it does: the edge's own
/// (a malformed request, a body over the limit, a bad token, load shedding,
/// the deadline) and a service's failure.
struct EveryOperation;

impl Modify for EveryOperation {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                complete(operation);
            }
        }
    }
}

fn complete(operation: &mut Operation) {
    let has_input = operation.request_body.is_some() || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let signed_in = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut answers = vec![
        (
            "401",
            if signed_in {
                "Missing, invalid or expired access token"
            } else {
                "An invalid or expired access token was sent (none is needed)"
            },
        ),
        ("500", "Something failed on our side (the detail never says what)"),
        ("503", "A service is unavailable, or the edge is at capacity: retry later"),
        ("504", "The request's deadline passed (HTTP_REQUEST_TIMEOUT_MS)"),
    ];
    if has_input {
        answers.push(("400", "A malformed or invalid request; `errors` names each field or parameter"));
    }
    if operation.request_body.is_some() {
        answers.push(("413", "The body is larger than the edge accepts (HTTP_BODY_LIMIT_BYTES)"));
    }
    for (status, description) in answers {
        operation.responses.responses.entry(status.to_owned()).or_insert_with(|| problem(description));
    }
}

/// A problem+json response.
pub(super) fn problem(description: &str) -> RefOr<Response> {
    let body = Content::new(Some(Ref::from_schema_name("Problem")));
    ResponseBuilder::new().description(description).content("application/problem+json", body).build().into()
}

/// From the responses that create a product or an order to the operations
/// on it, by the id in the response body.
struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        const PRODUCT: (&str, &str) = ("id", "$response.body#/id");
        const ORDER: (&str, &str) = ("id", "$response.body#/id");
        // A cart line is named by the product the request added.
        const LINE: (&str, &str) = ("product_id", "$request.body#/product_id");
        let links = [
            ("/api/v1/products", "201", "/api/v1/products/{id}", &["get", "patch", "delete"][..], PRODUCT),
            ("/api/v1/products", "201", "/api/v1/products/{id}/stock", &["post"][..], PRODUCT),
            ("/api/v1/orders", "201", "/api/v1/orders/{id}", &["get"][..], ORDER),
            ("/api/v1/orders", "200", "/api/v1/orders/{id}", &["get"][..], ORDER),
            ("/api/v1/orders", "201", "/api/v1/orders/{id}/cancel", &["post"][..], ORDER),
            ("/api/v1/orders", "201", "/api/v1/orders/{id}/payments", &["get"][..], ORDER),
            ("/api/v1/orders", "201", "/api/v1/orders/{id}/status", &["post"][..], ORDER),
            ("/api/v1/cart/items", "200", "/api/v1/cart/items/{product_id}", &["patch", "delete"][..], LINE),
        ];
        for (from, status, to, methods, (parameter, source)) in links {
            let Some(RefOr::T(response)) = openapi
                .paths
                .paths
                .get_mut(from)
                .and_then(|item| item.post.as_mut())
                .and_then(|post| post.responses.responses.get_mut(status))
            else {
                continue;
            };
            for method in methods {
                let name = format!("{method}{}", to.trim_start_matches("/api/v1").replace(['/', '{', '}'], "_"));
                let pointer = format!("#/paths/{}/{method}", to.replace('~', "~0").replace('/', "~1"));
                let link = LinkBuilder::new().operation_ref(pointer).parameter(parameter, source).build();
                response.links.insert(name, link.into());
            }
        }
    }
}
