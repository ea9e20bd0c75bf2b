//! Transactions on a real SQLite file: a failed body rolls back and leaves the
//! connection usable, also when many run at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use diesel::{QueryableByName, sql_types::BigInt};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use shop_runtime::{
    config::DatabaseConfig,
    db::{Db, DbConn, is_unique_violation},
    db_run,
};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(conn: &mut DbConn) -> i64 {
    db_run!(conn, |c| diesel::sql_query("SELECT COUNT(*) AS n FROM t").get_result::<Count>(c).await).unwrap().n
}

async fn insert(conn: &mut DbConn, key: i64) -> Result<(), diesel::result::Error> {
    db_run!(conn, |c| diesel::sql_query(format!("INSERT INTO t (k) VALUES ({key})")).execute(c).await).map(drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_transactions_roll_back_and_free_their_connection() {
    let dir = tempfile::tempdir().unwrap();
    let db =
        Db::connect(&DatabaseConfig::new(format!("sqlite://{}", dir.path().join("t.db").display()))).await.unwrap();
    db.conn().await.unwrap().batch_execute_any("CREATE TABLE t (k INTEGER PRIMARY KEY)").await;
    insert(&mut db.conn().await.unwrap(), 1).await.unwrap();

    let started = Instant::now();
    let attempts = (0..30).map(|n| {
        let db = db.clone();
        async move {
            let mut conn = db.conn().await.unwrap();
            let result = conn
                .transaction(async |tx| {
                    insert(tx, 100 + n).await?;
                    insert(tx, 1).await
                })
                .await;
            assert!(result.as_ref().is_err_and(is_unique_violation), "{result:?}");
            count(&mut conn).await
        }
    });
    let counts = futures::future::join_all(attempts).await;
    assert!(counts.iter().all(|n| *n == 1), "every failed transaction rolled back: {counts:?}");
    assert!(started.elapsed() < Duration::from_secs(4), "no connection was left stuck: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_abandoned_mid_statement_leaves_the_pool_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let db = Db::connect(&DatabaseConfig { pool_size: 1, ..DatabaseConfig::new(url.clone()) }).await.unwrap();
    db.conn().await.unwrap().batch_execute_any("CREATE TABLE t (k INTEGER PRIMARY KEY)").await;

    // Another process holds the write lock, so the next write waits on the busy
    // timeout; its caller gives up (a deadline, a client gone) meanwhile. The
    // statement runs on a blocking thread, and diesel-async makes the drop wait
    // for it (diesel_async#281), so the connection is never handed out while busy.
    let other = Db::connect(&DatabaseConfig::new(url)).await.unwrap();
    let mut holder = other.conn().await.unwrap();
    holder.batch_execute_any("BEGIN IMMEDIATE").await;
    let mut conn = db.conn().await.unwrap();
    let abandoned = tokio::time::timeout(Duration::from_millis(100), insert(&mut conn, 1)).await;
    assert!(abandoned.is_err(), "the write was still waiting for the lock");
    drop(conn);
    holder.batch_execute_any("COMMIT").await;

    let mut next = db.conn().await.unwrap();
    assert_eq!(count(&mut next).await, 0, "the abandoned write never landed");
    next.transaction(async |tx| insert(tx, 2).await).await.unwrap();
    assert_eq!(count(&mut next).await, 1);
}

trait BatchAny {
    async fn batch_execute_any(&mut self, sql: &str);
}

impl BatchAny for DbConn {
    async fn batch_execute_any(&mut self, sql: &str) {
        db_run!(self, |c| c.batch_execute(sql).await).unwrap();
    }
}
