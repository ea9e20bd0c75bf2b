//! Work a server does besides answering calls: rounds run every so often
//! (a sweep, a recovery pass), workers that run until the shutdown (an
//! event consumer), and tasks its calls start that outlive them
//! (a saga whose caller went away). At shutdown all get the drain limit to
//! finish, the same limit the calls get.

use std::{fmt, future::Future, time::Duration};

use futures::future::{BoxFuture, join_all};
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use crate::{periodic::Periodic, shutdown::Shutdown};

type Start = Box<dyn FnOnce(Shutdown) -> Periodic + Send>;
type StartWorker = Box<dyn FnOnce(Shutdown) -> JoinHandle<()> + Send>;

/// The background work of a server under construction.
#[derive(Default)]
pub(super) struct Background {
    periodic: Vec<(&'static str, Start)>,
    workers: Vec<(&'static str, StartWorker)>,
    detached: Vec<(&'static str, TaskTracker)>,
}

impl fmt::Debug for Background {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Background")
            .field("periodic", &self.periodic.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .field("workers", &self.workers.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .field("detached", &self.detached.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .finish()
    }
}

impl Background {
    pub(super) fn every<F, Fut, E>(&mut self, name: &'static str, interval: Duration, round: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send,
        E: fmt::Display,
    {
        let start = move |shutdown| Periodic::every(name, interval, shutdown, round);
        self.periodic.push((name, Box::new(start)));
    }

    pub(super) fn worker<F, Fut>(&mut self, name: &'static str, work: F)
    where
        F: FnOnce(Shutdown) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.workers.push((name, Box::new(move |shutdown| tokio::spawn(work(shutdown)))));
    }

    pub(super) fn detached(&mut self, name: &'static str, tasks: TaskTracker) {
        self.detached.push((name, tasks));
    }

    /// Starts the periodic rounds; they stop starting new rounds once `shutdown` fires.
    pub(super) fn start(self, shutdown: &Shutdown) -> Running {
        let periodic = self.periodic.into_iter().map(|(_, start)| start(shutdown.clone())).collect();
        let workers = self.workers.into_iter().map(|(name, start)| (name, start(shutdown.clone()))).collect();
        Running { periodic, workers, detached: self.detached }
    }
}

/// Background work under way.
pub(super) struct Running {
    periodic: Vec<Periodic>,
    workers: Vec<(&'static str, JoinHandle<()>)>,
    detached: Vec<(&'static str, TaskTracker)>,
}

impl Running {
    /// Lets the rounds under way and the detached tasks finish, all within
    /// `limit` (call it once the shutdown has fired). What is still running
    /// then is abandoned, and said so.
    pub(super) async fn finish(self, limit: Duration) {
        let rounds =
            self.periodic.into_iter().map(|periodic| -> BoxFuture<'static, ()> { Box::pin(periodic.finish(limit)) });
        let detached = self.detached.into_iter().map(|(name, tasks)| -> BoxFuture<'static, ()> {
            Box::pin(async move {
                tasks.close();
                if tokio::time::timeout(limit, tasks.wait()).await.is_err() {
                    tracing::warn!(running = tasks.len(), "{name}: still running at the end of the drain; abandoned");
                }
            })
        });
        let workers = self.workers.into_iter().map(|(name, mut task)| -> BoxFuture<'static, ()> {
            Box::pin(async move {
                if tokio::time::timeout(limit, &mut task).await.is_err() {
                    tracing::warn!("{name}: still working at the end of the drain; abandoned");
                    task.abort();
                }
            })
        });
        join_all(rounds.chain(workers).chain(detached)).await;
    }
}
