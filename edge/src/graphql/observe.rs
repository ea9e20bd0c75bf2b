//! Tracing for GraphQL, as [`super::executor`] applies it: each operation
//! gets a span named after it (`mutation Checkout`; an anonymous one after
//! its first field) inside the HTTP request's span, which records the
//! operation name too; subscriptions get one that lives as long as their
//! stream; and every error carries the trace id in `extensions.traceId` so a
//! user can look the request up.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use async_graphql::{
    Response,
    futures_util::stream::{BoxStream, Stream},
    parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection},
};
use shop_runtime::telemetry::trace_id_of;
use tracing::Span;

/// A subscription's span, named after its operation.
pub(super) fn subscription_span(name: &str) -> Span {
    tracing::info_span!(
        "graphql.subscription",
        otel.kind = "server",
        otel.name = %format!("subscription {name}").trim_end(),
        graphql.operation.type = "subscription",
        graphql.operation.name = %name,
    )
}

/// A query's or mutation's span, named after its operation.
pub(super) fn operation_span(kind: &str, name: &str) -> Span {
    tracing::info_span!(
        "graphql",
        otel.name = %format!("{kind} {name}").trim_end(),
        graphql.operation.type = kind,
        graphql.operation.name = %name,
    )
}

/// The type and name of the operation that runs: its own name, or for an
/// anonymous one the name of its first root field.
pub(super) fn named_operation(
    document: &ExecutableDocument,
    requested: Option<&str>,
) -> Option<(&'static str, String)> {
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
pub(super) fn with_trace_id(response: &mut Response, span: &Span) {
    if response.errors.is_empty() {
        return;
    }
    let Some(trace_id) = trace_id_of(span) else { return };
    for error in &mut response.errors {
        error.extensions.get_or_insert_with(Default::default).set("traceId", trace_id.clone());
    }
}

/// A stream polled inside `span`, so whatever it calls is traced under it.
pub(super) struct InSpan<'s> {
    pub inner: BoxStream<'s, Response>,
    pub span: Span,
}

impl Stream for InSpan<'_> {
    type Item = Response;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Response>> {
        let this = &mut *self;
        let _entered = this.span.enter();
        this.inner.as_mut().poll_next(cx)
    }
}
