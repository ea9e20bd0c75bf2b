//! One shutdown signal for the whole process, and draining with a time limit.

use std::{future::Future, time::Duration};

use tokio_util::sync::CancellationToken;

/// A cloneable handle that fires once, when the process should stop.
///
/// Servers take one and stop accepting work when it fires; tests and the
/// launcher fire it by hand with [`Shutdown::trigger`].
#[derive(Clone, Debug, Default)]
pub struct Shutdown(CancellationToken);

impl Shutdown {
    /// A handle that fires only when triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// A handle that fires on SIGTERM or Ctrl-C (SIGINT).
    pub fn on_signals() -> Self {
        let shutdown = Self::new();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown signal received; draining");
            trigger.trigger();
        });
        shutdown
    }

    /// Fires the signal; every clone sees it.
    pub fn trigger(&self) {
        self.0.cancel();
    }

    /// Whether the signal has fired.
    pub fn is_triggered(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Resolves when the signal fires.
    pub async fn wait(&self) {
        self.0.cancelled().await;
    }

    /// A child handle: fires with this one, or on its own when triggered.
    pub fn child(&self) -> Self {
        Self(self.0.child_token())
    }
}

/// Runs `work` (a server that stops by itself once `shutdown` fires) and gives
/// it at most `limit` to drain after the signal. Returns `None` if it had to be
/// abandoned.
pub async fn drain_within<F: Future>(shutdown: &Shutdown, limit: Duration, work: F) -> Option<F::Output> {
    tokio::pin!(work);
    tokio::select! {
        output = &mut work => return Some(output),
        () = shutdown.wait() => {}
    }
    match tokio::time::timeout(limit, work).await {
        Ok(output) => Some(output),
        Err(_) => {
            tracing::warn!(limit_secs = limit.as_secs_f64(), "drain time limit reached; abandoning in-flight work");
            None
        }
    }
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drain_returns_the_output_of_work_that_finishes_in_time() {
        let shutdown = Shutdown::new();
        shutdown.trigger();
        let out = drain_within(&shutdown, Duration::from_secs(1), async { 7 }).await;
        assert_eq!(out, Some(7));
    }

    #[tokio::test(start_paused = true)]
    async fn drain_abandons_work_that_outlives_the_limit() {
        let shutdown = Shutdown::new();
        let stuck = std::future::pending::<()>();
        let trigger = shutdown.clone();
        tokio::spawn(async move { trigger.trigger() });
        let out = drain_within(&shutdown, Duration::from_secs(5), stuck).await;
        assert_eq!(out, None);
    }

    #[test]
    fn a_child_fires_with_its_parent() {
        let parent = Shutdown::new();
        let child = parent.child();
        parent.trigger();
        assert!(child.is_triggered());
    }
}
