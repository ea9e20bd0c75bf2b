//! Work done every so often until the shutdown: a reservation sweep, a
//! recovery pass. A round under way when the shutdown comes is finished, not
//! cut off half-way; the caller then joins the task within a time limit.

use std::{fmt::Display, future::Future, time::Duration};

use tokio::{task::JoinHandle, time::MissedTickBehavior};

use crate::shutdown::Shutdown;

/// A running periodic task.
#[derive(Debug)]
pub struct Periodic {
    name: &'static str,
    task: JoinHandle<()>,
}

impl Periodic {
    /// Runs `round` every `interval` (the first at once) until `shutdown`
    /// fires. A failed round is logged under `name`, and the next one runs
    /// on time.
    pub fn every<F, Fut, E>(name: &'static str, interval: Duration, shutdown: Shutdown, mut round: F) -> Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send,
        E: Display,
    {
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    // Checked first: once the shutdown has come, no new round starts.
                    biased;
                    () = shutdown.wait() => return,
                    _ = ticks.tick() => {}
                }
                if let Err(error) = round().await {
                    tracing::warn!(%error, "{name} failed");
                }
            }
        });
        Self { name, task }
    }

    /// Waits, at most `limit`, for the round under way to finish (call it
    /// once the shutdown has fired); past the limit the round is abandoned.
    pub async fn finish(self, limit: Duration) {
        let Self { name, mut task } = self;
        if tokio::time::timeout(limit, &mut task).await.is_err() {
            tracing::warn!(limit_secs = limit.as_secs_f64(), "{name}: abandoning the round under way");
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_round_under_way_at_shutdown_finishes_and_no_other_starts() {
        let (started, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let shutdown = Shutdown::new();
        let (s, f) = (started.clone(), finished.clone());
        let periodic = Periodic::every("test rounds", Duration::from_secs(10), shutdown.clone(), move || {
            let (s, f) = (s.clone(), f.clone());
            async move {
                s.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(3)).await;
                f.fetch_add(1, Ordering::SeqCst);
                Ok::<_, String>(())
            }
        });
        tokio::time::sleep(Duration::from_secs(11)).await; // the second round is a second in
        shutdown.trigger();
        periodic.finish(Duration::from_secs(5)).await;
        assert_eq!(started.load(Ordering::SeqCst), 2);
        assert_eq!(finished.load(Ordering::SeqCst), 2, "the round under way ran to its end");
    }

    #[tokio::test(start_paused = true)]
    async fn a_round_past_the_limit_is_abandoned() {
        let finished = Arc::new(AtomicUsize::new(0));
        let shutdown = Shutdown::new();
        let f = finished.clone();
        let periodic = Periodic::every("slow rounds", Duration::from_secs(10), shutdown.clone(), move || {
            let f = f.clone();
            async move {
                tokio::time::sleep(Duration::from_secs(60)).await;
                f.fetch_add(1, Ordering::SeqCst);
                Ok::<_, String>(())
            }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        shutdown.trigger();
        periodic.finish(Duration::from_secs(5)).await;
        tokio::time::sleep(Duration::from_secs(120)).await;
        assert_eq!(finished.load(Ordering::SeqCst), 0, "the abandoned round never finished");
    }
}
