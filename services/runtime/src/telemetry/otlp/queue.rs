//! Spans waiting for export, already encoded, in batches. A span is
//! encoded on the thread that ends it, while its data is still in that
//! thread's cache, and freed there; the export thread only sends bytes.

use std::{
    cell::RefCell,
    collections::VecDeque,
    sync::{
        Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::trace::SpanData;
use tokio::sync::Notify;

use super::{encode::SpanMessage, wire::message};

/// `ScopeSpans.spans`: each span is queued as this field.
const SCOPE_SPANS_SPAN: u32 = 2;

/// Encoded spans of one export request, grouped by instrumentation scope.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// Each scope's spans, as consecutive `ScopeSpans.spans` fields.
    pub scopes: Vec<(InstrumentationScope, Vec<u8>)>,
    /// How many spans.
    pub spans: usize,
}

impl Batch {
    fn append(&mut self, scope: &InstrumentationScope, span: &[u8]) {
        // Nearly always one scope (the process's tracer): a scan beats a map.
        match self.scopes.iter_mut().find(|(known, _)| known == scope) {
            Some((_, spans)) => spans.extend_from_slice(span),
            None => self.scopes.push((scope.clone(), span.to_vec())),
        }
        self.spans += 1;
    }
}

/// The queue: batches of at most `batch_size` spans, at most `capacity`
/// spans in all; a span that would go past it is dropped and counted.
#[derive(Debug)]
pub(super) struct SpanQueue {
    batches: Mutex<Queued>,
    batch_size: usize,
    capacity: usize,
    full_batch: Notify,
    dropped: AtomicU64,
}

#[derive(Debug, Default)]
struct Queued {
    batches: VecDeque<Batch>,
    spans: usize,
}

thread_local! {
    /// The span being encoded, reused so that encoding allocates nothing.
    static ENCODED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl SpanQueue {
    pub(super) fn new(capacity: usize, batch_size: usize) -> Self {
        Self { batches: Mutex::default(), batch_size, capacity, full_batch: Notify::new(), dropped: AtomicU64::new(0) }
    }

    /// Encodes `span` and queues it, or drops it if the queue is full.
    pub(super) fn push(&self, span: &SpanData) {
        let filled_a_batch = ENCODED.with_borrow_mut(|encoded| {
            encoded.clear();
            message(encoded, SCOPE_SPANS_SPAN, &SpanMessage(span));
            let mut queued = self.batches.lock().unwrap_or_else(PoisonError::into_inner);
            if queued.spans >= self.capacity {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            queued.spans += 1;
            if queued.batches.back().is_none_or(|last| last.spans >= self.batch_size) {
                queued.batches.push_back(Batch::default());
            }
            let Some(last) = queued.batches.back_mut() else { return false };
            last.append(&span.instrumentation_scope, encoded);
            last.spans == self.batch_size
        });
        if filled_a_batch {
            self.full_batch.notify_one();
        }
    }

    /// The batches queued now: only the full ones, unless `partial`.
    pub(super) fn take(&self, partial: bool) -> Vec<Batch> {
        let mut queued = self.batches.lock().unwrap_or_else(PoisonError::into_inner);
        let last_is_partial = queued.batches.back().is_some_and(|last| last.spans < self.batch_size);
        let count = if partial || !last_is_partial { queued.batches.len() } else { queued.batches.len() - 1 };
        let batches: Vec<Batch> = queued.batches.drain(..count).collect();
        queued.spans -= batches.iter().map(|batch| batch.spans).sum::<usize>();
        batches
    }

    /// Waits until a batch fills (at once if one filled since the last wait).
    pub(super) async fn batch_filled(&self) {
        self.full_batch.notified().await;
    }

    /// Spans dropped since the last call.
    pub(super) fn take_dropped(&self) -> u64 {
        self.dropped.swap(0, Ordering::Relaxed)
    }
}
