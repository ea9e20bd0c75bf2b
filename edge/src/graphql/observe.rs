//! Tracing for GraphQL: each operation gets a span named after it
//! (`mutation Checkout`; an anonymous one after its first field) inside the
//! HTTP request's span, which records the operation name too; subscriptions
//! get one that lives as long as their stream; and every error carries the trace id
//! in `extensions.traceId` so a user can look the request up.

use std::{
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use async_graphql::{
    Response, ServerResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest, NextSubscribe,
    },
    futures_util::stream::{BoxStream, Stream, StreamExt},
    parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection},
};
use shop_runtime::telemetry::trace_id_of;
use tracing::{Instrument, Span, field::Empty};

/// The extension factory to add to the schema.
pub struct Observability;

impl ExtensionFactory for Observability {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationSpan { operation: Mutex::new(None) })
    }
}

struct OperationSpan {
    /// The type and name of the operation, once the document is parsed.
    operation: Mutex<Option<(&'static str, String)>>,
}

/// A subscription's span: it opens before the document is parsed, so the
/// operation's type and name are recorded on it afterwards.
fn subscription_span() -> Span {
    tracing::info_span!(
        "graphql.subscription",
        otel.kind = "server",
        graphql.operation.type = "subscription",
        graphql.operation.name = Empty,
    )
}

#[async_trait::async_trait]
impl Extension for OperationSpan {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        with_trace_id(&mut response, &Span::current());
        response
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let operation = self.operation.lock().ok().and_then(|operation| operation.clone());
        let (kind, name) = operation.unwrap_or(("operation", String::new()));
        let span = tracing::info_span!(
            "graphql",
            otel.name = %format!("{kind} {name}").trim_end(),
            graphql.operation.type = kind,
            graphql.operation.name = %name,
        );
        next.run(ctx, operation_name).instrument(span).await
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let span = subscription_span();
        let traced = span.clone();
        let responses = next.run(ctx, stream).map(move |mut response| {
            with_trace_id(&mut response, &traced);
            response
        });
        Box::pin(InSpan { inner: Box::pin(responses), span })
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let requested = ctx.data_opt::<OperationName>().and_then(|name| name.0.as_deref());
        if let Some((kind, name)) = named_operation(&document, requested) {
            // The enclosing span: the HTTP request's, or the subscription's.
            Span::current().record("graphql.operation.name", name.as_str());
            if let Ok(mut operation) = self.operation.lock() {
                *operation = Some((kind, name));
            }
        }
        Ok(document)
    }
}

/// The `operationName` of the request, when the client sent one; put in the
/// request's data so the extension can tell which operation runs.
pub struct OperationName(pub Option<String>);

/// The type and name of the operation that runs: its own name, or for an
/// anonymous one the name of its first root field.
fn named_operation(document: &ExecutableDocument, requested: Option<&str>) -> Option<(&'static str, String)> {
    let (name, operation) = match &document.operations {
        DocumentOperations::Single(operation) => (None, &operation.node),
        DocumentOperations::Multiple(operations) => {
            let (name, operation) = match requested {
                Some(wanted) => operations.iter().find(|(name, _)| name.as_str() == wanted)?,
                None if operations.len() == 1 => operations.iter().next()?,
                None => return None,
            };
            (Some(name.to_string()), &operation.node)
        }
    };
    let kind = match operation.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    Some((kind, name.or_else(|| first_field(operation))?))
}

fn first_field(operation: &OperationDefinition) -> Option<String> {
    operation.selection_set.node.items.iter().find_map(|selection| match &selection.node {
        Selection::Field(field) => Some(field.node.name.node.to_string()),
        _ => None,
    })
}

/// Adds `extensions.traceId` to every error of `response`.
fn with_trace_id(response: &mut Response, span: &Span) {
    if response.errors.is_empty() {
        return;
    }
    let Some(trace_id) = trace_id_of(span) else { return };
    for error in &mut response.errors {
        error.extensions.get_or_insert_with(Default::default).set("traceId", trace_id.clone());
    }
}

/// A stream polled inside `span`, so whatever it calls is traced under it.
struct InSpan<'s> {
    inner: BoxStream<'s, Response>,
    span: Span,
}

impl Stream for InSpan<'_> {
    type Item = Response;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Response>> {
        let this = &mut *self;
        let _entered = this.span.enter();
        this.inner.as_mut().poll_next(cx)
    }
}
