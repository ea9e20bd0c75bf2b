//! The outbox on a real SQLite file: an event is written with its change or
//! not at all, the relay gives each committed event the next position once,
//! and pruning never sets the positions back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use shop_proto::events::v1::{UserRegistered, event::Payload};
use shop_runtime::{
    config::{DatabaseConfig, OutboxConfig},
    db::Db,
    outbox::{self, Outbox},
};

async fn database(dir: &tempfile::TempDir) -> Db {
    let db =
        Db::connect(&DatabaseConfig::new(format!("sqlite://{}", dir.path().join("o.db").display()))).await.unwrap();
    db.migrate(&outbox::MIGRATIONS).await.unwrap();
    db
}

fn registered(user_id: &str) -> shop_proto::events::v1::Event {
    let payload = UserRegistered { user_id: user_id.into(), ..Default::default() };
    outbox::event("users", user_id, Payload::UserRegistered(payload))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_committed_events_are_relayed_each_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir).await;
    let outbox = Outbox::new(db.clone(), &OutboxConfig::default());
    let mut conn = db.conn().await.unwrap();
    conn.transaction(async |tx| {
        outbox::append(tx, &registered("a")).await?;
        outbox::append(tx, &registered("b")).await
    })
    .await
    .unwrap();
    let rolled_back = conn
        .transaction(async |tx| {
            outbox::append(tx, &registered("never")).await?;
            Err::<(), _>(diesel::result::Error::RollbackTransaction)
        })
        .await;
    assert!(rolled_back.is_err());
    drop(conn);

    assert_eq!(outbox.relay_once().await.unwrap(), 2, "the two committed events");
    assert_eq!(outbox.relay_once().await.unwrap(), 0, "each once");
    outbox::append(&mut db.conn().await.unwrap(), &registered("c")).await.unwrap();
    assert_eq!(outbox.relay_once().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_keeps_the_last_position_so_the_feed_never_goes_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir).await;
    let keep_nothing = Outbox::new(db.clone(), &OutboxConfig { retention_hours: 0, ..OutboxConfig::default() });
    for user in ["a", "b", "c"] {
        outbox::append(&mut db.conn().await.unwrap(), &registered(user)).await.unwrap();
    }
    assert_eq!(keep_nothing.relay_once().await.unwrap(), 3);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(keep_nothing.prune_once().await.unwrap(), 2, "all but the last published");
    assert_eq!(keep_nothing.prune_once().await.unwrap(), 0);

    outbox::append(&mut db.conn().await.unwrap(), &registered("d")).await.unwrap();
    assert_eq!(keep_nothing.relay_once().await.unwrap(), 1);
    let positions = published_positions(&db).await;
    assert_eq!(positions, [3, 4], "d comes after c, whatever was pruned");
}

async fn published_positions(db: &Db) -> Vec<i64> {
    use diesel::{QueryableByName, sql_types::BigInt};
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct Position {
        #[diesel(sql_type = BigInt)]
        position: i64,
    }
    let mut conn = db.conn().await.unwrap();
    let rows: Vec<Position> = shop_runtime::db_run!(&mut conn, |c| diesel::sql_query(
        "SELECT position FROM outbox WHERE position IS NOT NULL ORDER BY position"
    )
    .load(c)
    .await)
    .unwrap();
    rows.into_iter().map(|row| row.position).collect()
}
