//! Where log lines go: stdout, written by a thread of its own.
//!
//! Written straight from the thread that logs, every line was a `write(2)`
//! on a runtime worker, often a context switch too (the reader of the pipe
//! wakes up), under a lock every worker contends for: 5% of the edge's CPU
//! under load, one access-log line per request. Handed to this thread, lines
//! are written together, as many as have come in since the last write.
//! Nothing is dropped: a logger that outruns the writer by more than
//! [`BUFFERED_LINES`] waits for it.

use std::io::{BufWriter, Stdout};

use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};

/// Lines queued for the writer thread before a logger waits.
const BUFFERED_LINES: usize = 16 * 1024;

/// A writer for the log layer, and the guard that writes out what is
/// queued when it is dropped: keep it until the process ends.
pub(super) fn stdout() -> (NonBlocking, WorkerGuard) {
    NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(BUFFERED_LINES)
        .thread_name("log-writer")
        .finish(BufWriter::<Stdout>::new(std::io::stdout()))
}
