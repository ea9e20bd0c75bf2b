//! GraphQL at `/graphql`: POST executes (one operation, or a batch of them as
//! a JSON array), GET serves GraphiQL. The schema is merged from one object
//! per domain; depth, complexity, aliases, root fields and batch size are
//! limited, and introspection can be switched off.

mod batch;
mod cart;
mod catalog;
mod documents;
mod executor;
mod loader;
mod notifications;
mod observe;
mod orders;
mod shape;
mod users;

use async_graphql::{
    Context, Data, Executor as _, MergedObject, MergedSubscription, Schema, http::ALL_WEBSOCKET_PROTOCOLS,
};
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::{
    Router,
    extract::{State, WebSocketUpgrade},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use tracing::Instrument;

pub use executor::GraphqlExecutor;

use crate::{auth::Caller, config::HttpLimits, error::ApiError, json::ApiJson, state::AppState};

/// Every query.
#[derive(MergedObject, Default, Debug)]
pub struct Query(
    users::UsersQuery,
    catalog::CatalogQuery,
    cart::CartQuery,
    orders::OrdersQuery,
    notifications::NotificationsQuery,
);

/// Every mutation.
#[derive(MergedObject, Default, Debug)]
pub struct Mutation(
    users::UsersMutation,
    catalog::CatalogMutation,
    cart::CartMutation,
    orders::OrdersMutation,
    notifications::NotificationsMutation,
);

/// Every subscription.
#[derive(MergedSubscription, Default, Debug)]
pub struct Subscription(orders::OrdersSubscription);

/// The executable schema.
pub type ShopSchema = Schema<Query, Mutation, Subscription>;

/// The schema with its limits, serving `state`.
pub fn executor(state: AppState) -> GraphqlExecutor {
    let limits = state.limits.clone();
    let shape =
        shape::ShapeLimits { max_aliases: limits.graphql_max_aliases, max_root_fields: limits.graphql_max_root_fields };
    GraphqlExecutor::new(builder(&limits).data(state).finish(), shape)
}

/// The schema's SDL, as committed in `edge/schema.graphql`.
pub fn sdl() -> String {
    builder(&HttpLimits::default()).finish().sdl()
}

fn builder(limits: &HttpLimits) -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    // No extensions: see `executor` for what runs around every request instead.
    let builder = Schema::build(Query::default(), Mutation::default(), Subscription::default())
        .limit_depth(limits.graphql_max_depth)
        .limit_complexity(limits.graphql_max_complexity);
    if limits.graphql_introspection { builder } else { builder.disable_introspection() }
}

/// `/graphql`: GET for GraphiQL, POST for queries; `/graphql/ws` for
/// subscriptions (graphql-transport-ws, and the older graphql-ws).
pub fn router(executor: GraphqlExecutor) -> Router<AppState> {
    Router::new()
        .route("/graphql", get(crate::browser::graphiql).post(execute))
        .route("/graphql/ws", get(subscriptions))
        .layer(axum::Extension(executor))
}

async fn subscriptions(
    State(state): State<AppState>,
    axum::Extension(executor): axum::Extension<GraphqlExecutor>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    // The connection outlives the upgrade request; its span (and so every
    // subscription on it) stays in the trace the upgrade request started.
    let connection = tracing::info_span!("graphql.websocket", otel.kind = "server");
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, executor, protocol)
                .on_connection_init(move |payload| async move { connection_data(&state, &payload) })
                .serve()
                .instrument(connection)
        })
        .into_response()
}

/// The websocket's caller, from `{"authorization": "Bearer ..."}` in the
/// connection_init payload; a bad token refuses the connection.
fn connection_data(state: &AppState, payload: &serde_json::Value) -> async_graphql::Result<Data> {
    let token =
        ["authorization", "Authorization"].iter().find_map(|key| payload.get(*key)).and_then(serde_json::Value::as_str);
    let mut headers = HeaderMap::new();
    if let Some(token) = token {
        let value = HeaderValue::from_str(token)
            .map_err(|_| ApiError::new(tonic::Code::Unauthenticated, "malformed authorization"))?;
        headers.insert(header::AUTHORIZATION, value);
    }
    let caller = Caller::from_headers(&headers, &state.verifier)?;
    let mut data = Data::default();
    data.insert(CallerSlot(Ok(caller)));
    data.insert(loader::ProductLoader::for_request(state.products.clone()));
    Ok(data)
}

async fn execute(
    State(state): State<AppState>,
    axum::Extension(executor): axum::Extension<GraphqlExecutor>,
    headers: HeaderMap,
    // Read like a REST body, so an oversized or malformed request is a
    // problem naming what is wrong (413, or 400 with the field).
    ApiJson(operations): ApiJson<batch::Operations>,
) -> Result<Response, ApiError> {
    let (count, most) = (operations.len(), state.limits.graphql_max_batch);
    if count > most {
        let message = format!("the batch has {count} operations; at most {most} are accepted");
        return Err(ApiError::http(StatusCode::BAD_REQUEST, message));
    }
    let mut batch = operations.0;
    // Verified now, judged by each resolver: public mutations (login, refresh)
    // must keep working for a client that still sends an expired token.
    let caller = CallerSlot(Caller::from_headers(&headers, &state.verifier));
    for request in batch.iter_mut() {
        request.data.insert(caller.clone());
        request.data.insert(loader::ProductLoader::for_request(state.products.clone()));
    }
    let answered = executor.execute_batch(batch).await;
    let failed = !answered.is_ok();
    let mut response = GraphQLResponse::from(answered).into_response();
    if failed {
        // An answer with errors (an upstream away, say) is not a catalog page to serve again.
        response.extensions_mut().insert(crate::cache::NoStore);
    }
    Ok(response)
}

/// The request's caller, or why its token was refused.
#[derive(Clone)]
struct CallerSlot(Result<Option<Caller>, ApiError>);

/// The caller of this request; UNAUTHENTICATED without a valid token.
fn caller<'c>(ctx: &Context<'c>) -> async_graphql::Result<&'c Caller> {
    match ctx.data::<CallerSlot>().map(|slot| &slot.0) {
        Ok(Ok(Some(caller))) => Ok(caller),
        Ok(Err(refused)) => Err(refused.clone().into()),
        Ok(Ok(None)) | Err(_) => Err(ApiError::new(tonic::Code::Unauthenticated, "authentication required").into()),
    }
}

/// The shared state.
fn app<'c>(ctx: &Context<'c>) -> &'c AppState {
    ctx.data_unchecked::<AppState>()
}
