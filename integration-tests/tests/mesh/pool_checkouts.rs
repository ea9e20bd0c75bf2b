//! A PostgreSQL connection handed out again while in steady use costs no
//! round trip of its own, and one the server has dropped is not handed out.

#[cfg(postgres_tests)]
mod postgres {
    use diesel::{
        QueryableByName,
        sql_types::{Integer, Text},
    };
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    use integration_tests::{Backend, TestDatabases};
    use shop_runtime::{
        config::DatabaseConfig,
        db::{Db, VERIFY_IDLE_AFTER},
        db_run,
    };

    #[derive(QueryableByName)]
    struct Pid {
        #[diesel(sql_type = Integer)]
        pid: i32,
    }

    #[derive(QueryableByName)]
    struct LastStatement {
        #[diesel(sql_type = Text)]
        query: String,
    }

    const WHO_AM_I: &str = "SELECT pg_backend_pid() AS pid";

    /// A pool of one connection to a fresh database, and the database's URL.
    async fn pool_of_one(databases: &mut TestDatabases) -> (Db, String) {
        let url = databases.create("pool").await;
        let db = Db::connect(&DatabaseConfig { pool_size: 1, ..DatabaseConfig::new(url.clone()) }).await.unwrap();
        (db, url)
    }

    async fn backend_pid(db: &Db) -> i32 {
        let mut conn = db.conn().await.unwrap();
        db_run!(&mut conn, |c| diesel::sql_query(WHO_AM_I).get_result::<Pid>(c).await).unwrap().pid
    }

    #[tokio::test]
    async fn a_connection_in_steady_use_is_handed_out_without_a_ping() {
        let mut databases = TestDatabases::new(Backend::Postgres);
        let (db, url) = pool_of_one(&mut databases).await;
        let pid = backend_pid(&db).await;

        let handed_out_again = db.conn().await.unwrap();
        let mut observer = AsyncPgConnection::establish(&url).await.unwrap();
        let last = diesel::sql_query(format!("SELECT query FROM pg_stat_activity WHERE pid = {pid}"))
            .get_result::<LastStatement>(&mut observer)
            .await
            .unwrap();
        assert_eq!(last.query, WHO_AM_I, "the checkout ran a statement of its own");
        drop(handed_out_again);
    }

    #[tokio::test]
    async fn an_idle_connection_the_server_dropped_is_replaced() {
        let mut databases = TestDatabases::new(Backend::Postgres);
        let (db, url) = pool_of_one(&mut databases).await;
        let pid = backend_pid(&db).await;

        let mut admin = AsyncPgConnection::establish(&url).await.unwrap();
        diesel::sql_query(format!("SELECT pg_terminate_backend({pid})")).execute(&mut admin).await.unwrap();
        // Past the window after which an idle connection is verified.
        tokio::time::sleep(VERIFY_IDLE_AFTER + std::time::Duration::from_millis(500)).await;

        let replaced = backend_pid(&db).await;
        assert_ne!(replaced, pid, "a fresh connection, and the caller never saw the dropped one");
    }
}
