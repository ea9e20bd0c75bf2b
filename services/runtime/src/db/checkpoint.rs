//! SQLite's checkpoints, off the commit path.
//!
//! In WAL mode a commit appends pages to the write-ahead log; a checkpoint
//! copies them into the database file and fsyncs both. SQLite's default runs
//! one inside whichever commit takes the log past 1,000 pages: that commit,
//! and the async worker it runs on (see [`super::Inline`]), waits for the
//! copy and two fsyncs while every other request on that worker waits too.
//! Here a task of each SQLite database checkpoints on tokio's blocking pool
//! every [`CHECKPOINT_EVERY`], on a connection of its own, without waiting
//! for readers or the writer (`PASSIVE`). Commits still checkpoint past
//! [`AUTOCHECKPOINT_PAGES`], so the log stays bounded if this task falls
//! behind; and the next writer after a complete checkpoint starts the log
//! over from its beginning.

use std::{path::Path, sync::Weak, time::Duration};

use diesel::{
    Connection as _, SqliteConnection,
    connection::SimpleConnection as _,
    result::{DatabaseErrorKind, Error as DieselError},
};

use super::is_busy;

/// How often the log is checkpointed.
pub(crate) const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Log pages past which a commit checkpoints by itself (SQLite's default is
/// 1,000): a safety net, reached only when the task falls behind.
pub(crate) const AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// Checkpoints the database at `path` every [`CHECKPOINT_EVERY`] for as long
/// as `alive` can be upgraded (the database's writer exists).
pub(crate) fn spawn<T: Send + Sync + 'static>(path: String, alive: Weak<T>) {
    tokio::spawn(async move {
        let start = tokio::time::Instant::now() + CHECKPOINT_EVERY;
        let mut ticks = tokio::time::interval_at(start, CHECKPOINT_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut connection: Option<SqliteConnection> = None;
        loop {
            ticks.tick().await;
            if alive.strong_count() == 0 {
                return;
            }
            let path = path.clone();
            let checkpointed = tokio::task::spawn_blocking(move || {
                let result = checkpoint(&mut connection, &path);
                (connection, result)
            })
            .await;
            match checkpointed {
                Ok((kept, result)) => {
                    connection = kept;
                    if let Err(error) = result {
                        tracing::warn!(%error, "SQLite checkpoint failed");
                    }
                }
                // The runtime is shutting down.
                Err(_) => return,
            }
        }
    });
}

/// One passive checkpoint, opening the connection first if need be (and
/// dropping it after a failure, to open a fresh one next time). Nothing
/// while the database file does not exist yet: opening it would create it.
fn checkpoint(connection: &mut Option<SqliteConnection>, path: &str) -> Result<(), DieselError> {
    let conn = match connection {
        Some(conn) => conn,
        None if !Path::new(path).exists() => return Ok(()),
        None => connection.insert(SqliteConnection::establish(path).map_err(|error| {
            DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, Box::new(error.to_string()))
        })?),
    };
    match conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
        Ok(()) => Ok(()),
        // A commit's own checkpoint is running: it does the work this time.
        Err(error) if is_busy(&error) => Ok(()),
        Err(error) => {
            *connection = None;
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use diesel_async::SimpleAsyncConnection as _;

    use crate::{
        config::DatabaseConfig,
        db::{Db, DbConn},
    };

    use super::*;

    /// Bytes of the database file itself (the log is a file beside it).
    fn database_bytes(path: &Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }

    #[tokio::test]
    async fn committed_pages_reach_the_database_file_without_a_commit_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpointed.db");
        let db = Db::connect(&DatabaseConfig::new(format!("sqlite://{}", path.display()))).await.unwrap();
        // About 2 MiB: some 500 pages in the log, below the point where a
        // commit would checkpoint (SQLite's default 1,000 pages, and ours).
        let DbConn::Sqlite(mut conn) = db.conn().await.unwrap() else { unreachable!() };
        conn.batch_execute(
            "CREATE TABLE blobs (b BLOB); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 512) \
             INSERT INTO blobs SELECT randomblob(4000) FROM n;",
        )
        .await
        .unwrap();
        drop(conn);
        let written = Instant::now();
        // Generous: a loaded machine may take a while to run the task.
        let deadline = written + Duration::from_secs(10);
        while database_bytes(&path) < 2_000_000 {
            assert!(Instant::now() < deadline, "the log was not checkpointed: {} bytes", database_bytes(&path));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let wal = std::fs::metadata(dir.path().join("checkpointed.db-wal")).map_or(0, |m| m.len());
        assert!(wal >= 2_000_000, "the pages went through the log ({wal} bytes), not straight into the file");
    }
}
