//! Statement spans belong to the connection's current checkout only: a
//! connection back in the pool holds no span open, and the pool's liveness
//! check when it is handed out again is traced under nobody's request.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use shop_runtime::{config::DatabaseConfig, db::Db, db_run};
use tracing::{Instrument, Subscriber, span};
use tracing_subscriber::{Layer, layer::Context, prelude::*, registry::LookupSpan};

/// A span's name and its parent's.
type Opened = (String, Option<String>);

/// What the subscriber saw: spans opened and closed.
#[derive(Clone, Default)]
struct Seen {
    opened: Arc<Mutex<Vec<Opened>>>,
    closed: Arc<Mutex<Vec<String>>>,
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Seen {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let parent = ctx.span(id).and_then(|span| span.parent()).map(|parent| parent.name().to_owned());
        self.opened.lock().unwrap().push((attrs.metadata().name().to_owned(), parent));
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        let name = ctx.span(&id).map(|span| span.name().to_owned()).unwrap_or_default();
        self.closed.lock().unwrap().push(name);
    }
}

impl Seen {
    fn statements_under(&self, parent: &str) -> usize {
        let opened = self.opened.lock().unwrap();
        opened.iter().filter(|(name, of)| name == "db.statement" && of.as_deref() == Some(parent)).count()
    }
}

async fn select_from_t(db: &Db) {
    let mut conn = db.conn().await.unwrap();
    db_run!(&mut conn, |c| diesel::sql_query("SELECT k FROM t").execute(c).await).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_connection_lets_go_of_its_checkouts_span() {
    let seen = Seen::default();
    // Global: SQLite statements run, and their spans open, on blocking threads.
    tracing_subscriber::registry().with(seen.clone()).init();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let db = Db::connect(&DatabaseConfig::new(url)).await.unwrap();
    let mut conn = db.conn().await.unwrap();
    db_run!(&mut conn, |c| c.batch_execute("CREATE TABLE t (k INTEGER PRIMARY KEY)").await).unwrap();
    drop(conn);

    select_from_t(&db).instrument(tracing::info_span!("first_request")).await;
    assert_eq!(seen.statements_under("first_request"), 1);
    assert!(
        seen.closed.lock().unwrap().iter().any(|name| name == "first_request"),
        "the request's span must close while its connection sits in the pool"
    );

    select_from_t(&db).instrument(tracing::info_span!("second_request")).await;
    assert_eq!(
        seen.statements_under("first_request"),
        1,
        "the pool's check of the connection is not the first request's"
    );
    assert_eq!(seen.statements_under("second_request"), 1, "only the second request's own statement");
}
