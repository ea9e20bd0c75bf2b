//! The bundled SQLite is built as `.cargo/config.toml` asks: multi-thread
//! mode, no allocation statistics, plans that do not depend on bound values
//! (so that a cached statement with `LIMIT ?` is not planned again on every
//! run). A build that missed the flags (a copied
//! workspace without `.cargo`, a changed dependency) is found here, not in a
//! profile.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::{QueryableByName, sql_types::Text};
use diesel_async::RunQueryDsl;
use shop_runtime::{config::DatabaseConfig, db::Db, db_run};

#[derive(QueryableByName)]
struct CompileOption {
    #[diesel(sql_type = Text)]
    compile_options: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_is_built_as_the_cargo_config_asks() {
    let dir = tempfile::tempdir().unwrap();
    let db =
        Db::connect(&DatabaseConfig::new(format!("sqlite://{}", dir.path().join("t.db").display()))).await.unwrap();
    let mut conn = db.conn().await.unwrap();
    let options: Vec<String> =
        db_run!(&mut conn, |c| diesel::sql_query("PRAGMA compile_options").load::<CompileOption>(c).await)
            .unwrap()
            .into_iter()
            .map(|o| o.compile_options)
            .collect();
    assert!(options.contains(&"THREADSAFE=2".to_owned()), "{options:?}");
    assert!(options.contains(&"DEFAULT_MEMSTATUS=0".to_owned()), "{options:?}");
    assert!(options.contains(&"ENABLE_QPSG".to_owned()), "{options:?}");
}
