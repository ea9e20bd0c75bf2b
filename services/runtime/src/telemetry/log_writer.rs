//! Where log lines go: stdout, written in batches by a thread of its own.
//!
//! Written straight from the thread that logs, every line was a `write(2)`
//! on a runtime worker, often a context switch too (the reader of the pipe
//! wakes up), under a lock every worker contends for: 5% of the edge's CPU
//! under load, one access-log line per request. Handed to a writer thread
//! one line at a time over a channel, the writer still woke up for nearly
//! every line, and waking it was the next cost. So loggers append to one
//! buffer, and the writer wakes when a batch starts, gathers lines for up to
//! [`Batching::gather`] (less once [`Batching::write_at`] bytes are pending),
//! and writes them at once. A WARN or ERROR line ends the gathering: it is
//! written at once, with the lines before it. Nothing is dropped: a logger
//! waits while [`Batching::limit`] bytes are pending. What a crash can lose
//! is what was gathered in its last moment; dropping the guard writes out
//! everything pending.

use std::{
    io::Write,
    sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// How lines are gathered into writes.
#[derive(Clone, Copy, Debug)]
struct Batching {
    /// How long a batch gathers lines before it is written.
    gather: Duration,
    /// Pending bytes that make the writer write without waiting longer.
    write_at: usize,
    /// Pending bytes past which a logger waits for the writer.
    limit: usize,
}

const STDOUT: Batching = Batching { gather: Duration::from_millis(50), write_at: 64 * 1024, limit: 4 * 1024 * 1024 };

/// A writer for the log layer, and the guard that writes out what is
/// pending when it is dropped: keep it until the process ends.
pub(super) fn stdout() -> std::io::Result<(LogWriter, WriterGuard)> {
    batched(std::io::stdout(), STDOUT)
}

fn batched<W: Write + Send + 'static>(out: W, batching: Batching) -> std::io::Result<(LogWriter, WriterGuard)> {
    let shared = Arc::new(Shared { pending: Mutex::default(), batch: Condvar::new(), room: Condvar::new(), batching });
    let writer = shared.clone();
    let thread = std::thread::Builder::new().name("log-writer".into()).spawn(move || writer.write_batches(out))?;
    Ok((LogWriter(shared.clone()), WriterGuard { shared, thread: Some(thread) }))
}

/// The log layer's writer: each line is appended to the pending batch.
#[derive(Clone)]
pub(super) struct LogWriter(Arc<Shared>);

/// Ends the writer thread once everything pending is written; lines logged
/// after that are written by the drop itself.
pub(super) struct WriterGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<Box<dyn Write + Send>>>,
}

impl std::fmt::Debug for WriterGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriterGuard").field("batching", &self.shared.batching).finish_non_exhaustive()
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.batch.notify_one();
        self.shared.room.notify_all();
        let Some(Ok(mut out)) = self.thread.take().map(JoinHandle::join) else { return };
        let late = std::mem::take(&mut self.shared.lock().bytes);
        let _ = out.write_all(&late).and_then(|()| out.flush());
    }
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    /// A line that must not wait is among them.
    urgent: bool,
    closed: bool,
}

struct Shared {
    pending: Mutex<Pending>,
    /// Wakes the writer: a batch started, is ready, or the guard closed.
    batch: Condvar,
    /// Wakes loggers waiting for the writer to take what is pending.
    room: Condvar,
    batching: Batching,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // Nothing panics while holding it; if something did, the bytes are still lines.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn append(&self, line: &[u8], urgent: bool) {
        let mut pending = self.lock();
        while pending.bytes.len() >= self.batching.limit && !pending.closed {
            pending = self.room.wait(pending).unwrap_or_else(PoisonError::into_inner);
        }
        let before = pending.bytes.len();
        pending.bytes.extend_from_slice(line);
        pending.urgent |= urgent;
        // The writer sleeps until a batch starts, then only until it is due:
        // only a start, a full batch or an urgent line is worth waking it for.
        let write_at = self.batching.write_at;
        let wake = before == 0 || urgent || (before < write_at && pending.bytes.len() >= write_at);
        drop(pending);
        if wake {
            self.batch.notify_one();
        }
    }

    /// The writer thread: returns `out` when closed with nothing pending.
    fn write_batches<W: Write + Send + 'static>(&self, mut out: W) -> Box<dyn Write + Send> {
        let mut batch = Vec::new();
        loop {
            let mut pending = self.next_batch();
            if pending.bytes.is_empty() {
                drop(pending);
                return Box::new(out);
            }
            let was_full = pending.bytes.len() >= self.batching.limit;
            std::mem::swap(&mut pending.bytes, &mut batch);
            pending.urgent = false;
            drop(pending);
            if was_full {
                self.room.notify_all();
            }
            // A log line that cannot be written has nowhere else to go.
            let _ = out.write_all(&batch).and_then(|()| out.flush());
            batch.clear();
            batch.shrink_to(2 * self.batching.write_at);
        }
    }

    /// Waits for a batch to start, then for it to be due; empty only when closed.
    fn next_batch(&self) -> MutexGuard<'_, Pending> {
        let mut pending = self.lock();
        while pending.bytes.is_empty() && !pending.closed {
            pending = self.batch.wait(pending).unwrap_or_else(PoisonError::into_inner);
        }
        let due = Instant::now() + self.batching.gather;
        while !(pending.urgent || pending.closed || pending.bytes.len() >= self.batching.write_at) {
            let left = due.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            pending = self.batch.wait_timeout(pending, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        pending
    }
}

/// One line on its way into the pending batch.
pub(super) struct Line<'a> {
    shared: &'a Shared,
    urgent: bool,
}

impl Write for Line<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.shared.append(buf, self.urgent);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line { shared: &self.0, urgent: false }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        Line { shared: &self.0, urgent: *meta.level() <= Level::WARN }
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::fmt::MakeWriter;

    use super::*;
    use crate::telemetry::captured::Captured;

    const AN_HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_logger_outrunning_the_writer_waits_and_every_line_arrives_in_order() {
        let out = Captured::default();
        let batching = Batching { gather: Duration::from_millis(1), write_at: 8, limit: 16 };
        let (writer, guard) = batched(out.clone(), batching).unwrap();
        for n in 0..5_000 {
            writer.make_writer().write_all(format!("line {n}\n").as_bytes()).unwrap();
        }
        drop(guard);
        let written = out.text();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), 5_000);
        assert!(lines.iter().enumerate().all(|(n, line)| *line == format!("line {n}")));
    }

    #[test]
    fn a_warning_is_written_at_once_with_the_lines_before_it_and_the_rest_when_the_guard_drops() {
        let out = Captured::default();
        let (writer, guard) =
            batched(out.clone(), Batching { gather: AN_HOUR, write_at: 1 << 20, limit: 1 << 21 }).unwrap();
        let subscriber = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("gathered");
            tracing::warn!("urgent");
            let written_at_once = (0..1_000).any(|_| {
                std::thread::sleep(Duration::from_millis(10));
                out.text().contains("urgent")
            });
            assert!(written_at_once, "the warning waited for its batch");
            tracing::info!("after");
        });
        let before_the_drop = out.text();
        let at = |text: &str| before_the_drop.find(text).unwrap();
        assert!(at("gathered") < at("urgent"), "{before_the_drop}");
        assert!(!before_the_drop.contains("after"));
        drop(guard);
        assert!(out.text().contains("after"));
    }
}
