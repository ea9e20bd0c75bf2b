//! How a GraphQL request runs, over HTTP and over the websocket alike: its
//! document parsed once (or found among the recently parsed), held to the
//! shape limits, run in a span named after its operation, its errors
//! carrying the trace id.
//!
//! This wraps the schema instead of being schema extensions: with any
//! extension at all, async-graphql sends every field of every response
//! through its extension chain (a boxed future and two registry lookups per
//! field), which cost a third of the edge's CPU on a catalog page.

use std::sync::Arc;

use async_graphql::{
    BatchRequest, BatchResponse, Data, Request, Response, ServerError,
    futures_util::stream::{self, BoxStream, StreamExt},
};
use tracing::{Instrument, Span};

use super::{
    ShopSchema,
    documents::ParsedDocuments,
    observe::{self, InSpan},
    shape::ShapeLimits,
};

/// The schema and the limits it runs requests under; cheap to clone.
#[derive(Clone)]
pub struct GraphqlExecutor {
    schema: ShopSchema,
    shape: ShapeLimits,
    documents: Arc<ParsedDocuments>,
}

impl std::fmt::Debug for GraphqlExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphqlExecutor").field("shape", &self.shape).finish_non_exhaustive()
    }
}

impl GraphqlExecutor {
    /// Runs `schema` with `shape`'s limits.
    pub fn new(schema: ShopSchema, shape: ShapeLimits) -> Self {
        Self { schema, shape, documents: Arc::default() }
    }

    /// The operation's type and name (an anonymous one by its first field),
    /// or the error refusing the document: it does not parse, or is too big.
    fn prepare(&self, request: &mut Request) -> Result<(&'static str, String), ServerError> {
        let requested = request.operation_name.clone();
        let document = self.documents.parse(request)?;
        self.shape.check(document)?;
        // No such operation: the schema says so when it runs the request.
        Ok(observe::named_operation(document, requested.as_deref()).unwrap_or(("operation", String::new())))
    }
}

impl async_graphql::Executor for GraphqlExecutor {
    async fn execute(&self, mut request: Request) -> Response {
        let mut response = match self.prepare(&mut request) {
            Ok((kind, name)) => {
                // The enclosing span: the HTTP request's.
                Span::current().record("graphql.operation.name", name.as_str());
                self.schema.execute(request).instrument(observe::operation_span(kind, &name)).await
            }
            Err(refused) => Response::from_errors(vec![refused]),
        };
        observe::with_trace_id(&mut response, &Span::current());
        response
    }

    async fn execute_batch(&self, batch: BatchRequest) -> BatchResponse {
        match batch {
            BatchRequest::Single(request) => BatchResponse::Single(self.execute(request).await),
            // One after another, as the schema itself runs a batch.
            BatchRequest::Batch(requests) => {
                BatchResponse::Batch(stream::iter(requests).then(|request| self.execute(request)).collect().await)
            }
        }
    }

    fn execute_stream(&self, mut request: Request, session: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let name = match self.prepare(&mut request) {
            Ok((_, name)) => name,
            Err(refused) => {
                let mut refused = Response::from_errors(vec![refused]);
                observe::with_trace_id(&mut refused, &Span::current());
                return stream::once(async { refused }).boxed();
            }
        };
        let span = observe::subscription_span(&name);
        let traced = span.clone();
        let responses = self.schema.execute_stream_with_session_data(request, session.unwrap_or_default()).map(
            move |mut response| {
                observe::with_trace_id(&mut response, &traced);
                response
            },
        );
        Box::pin(InSpan { inner: Box::pin(responses), span })
    }
}
