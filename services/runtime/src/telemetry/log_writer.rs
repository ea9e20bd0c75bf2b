//! Where log lines go: stdout, written by a thread of its own.
//!
//! Written straight from the thread that logs, every line was a `write(2)`
//! on a runtime worker, often a context switch too (the reader of the pipe
//! wakes up), under a lock every worker contends for: 5% of the edge's CPU
//! under load, one access-log line per request. Handed to this thread, lines
//! are written together, as many as have come in since the last write.
//! Nothing is dropped: a logger that outruns the writer by more than
//! [`BUFFERED_LINES`] waits for it.

use std::io::{BufWriter, Write};

use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};

/// Lines queued for the writer thread before a logger waits.
const BUFFERED_LINES: usize = 16 * 1024;

/// A writer for the log layer, and the guard that writes out what is
/// queued when it is dropped: keep it until the process ends.
pub(super) fn stdout() -> (NonBlocking, WorkerGuard) {
    queued(std::io::stdout(), BUFFERED_LINES)
}

fn queued<W: Write + Send + 'static>(out: W, limit: usize) -> (NonBlocking, WorkerGuard) {
    NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(limit)
        .thread_name("log-writer")
        .finish(BufWriter::new(out))
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::fmt::MakeWriter;

    use super::*;
    use crate::telemetry::captured::Captured;

    #[test]
    fn a_logger_outrunning_the_writer_waits_and_every_line_arrives_in_order() {
        let out = Captured::default();
        let (writer, guard) = queued(out.clone(), 4);
        for n in 0..5_000 {
            writer.make_writer().write_all(format!("line {n}\n").as_bytes()).unwrap();
        }
        drop(guard);
        let written = out.text();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), 5_000);
        assert!(lines.iter().enumerate().all(|(n, line)| *line == format!("line {n}")));
    }
}
