//! Where SQLite's statements run: on the thread that awaits them.
//!
//! diesel-async's default hands every SQLite statement to tokio's blocking
//! pool and back: two thread hand-offs per statement, which cost more than
//! the statement itself (a catalog page is one indexed read of microseconds)
//! and move every row's memory to the thread that frees it. A statement only
//! blocks for long when it waits on another writer's lock, and none does
//! here: connections wait zero time on a lock (`busy_timeout = 0`) and
//! [`super::busy`] waits out SQLITE_BUSY asynchronously, while writers in
//! one process take turns before they begin (see [`super::DbConn::transaction`]).
//! What is left is the statement's own work; checkpoints, with their
//! fsyncs, run on a blocking thread of their own (see `checkpoint`).

use std::error::Error;

use diesel_async::sync_connection_wrapper::SpawnBlocking;
use futures::{FutureExt, future::BoxFuture};

/// Runs each task at once, on the calling thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct Inline;

impl SpawnBlocking for Inline {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> BoxFuture<'a, Result<R, Box<dyn Error + Send + Sync + 'static>>>
    where
        R: Send + 'static,
    {
        futures::future::ready(Ok(task())).boxed()
    }

    fn get_runtime() -> Self {
        Inline
    }
}
