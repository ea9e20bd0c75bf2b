//! Prepared statements kept for UPDATEs and `IN` lists of bounded shape.
//!
//! diesel prepares every UPDATE, and every query with an `IN (?, ?, ..)`
//! list, afresh each time it runs: the SQL of an UPDATE varies with which
//! optional fields its changeset sets, and an `IN` list with the number of
//! values, so diesel cannot tell a bounded set of shapes from an unbounded
//! one. Parsing a statement costs more than running it here (a saga step is
//! one indexed UPDATE): in the orders service under checkout load, SQLite's
//! parser was 6% of the process's CPU, all of it on statements whose shapes
//! are few and fixed. [`ReuseStatement::reuse_statement`] says so: the
//! statement is cached by its SQL text, as any other dynamic query is, and
//! each distinct text is prepared once per connection.
//!
//! Use it only where the shapes are bounded: a changeset of a few optional
//! fields, or an `IN` list whose length is one or a small page size. Each
//! shape stays prepared for as long as the connection lives.

use diesel::{
    QueryResult,
    backend::Backend,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
};

/// `IN` lists up to this long are worth keeping prepared
/// ([`ReuseStatement::reuse_statement_if`]): at most this many shapes of one
/// statement per connection.
pub const SHORT_IN_LIST: usize = 8;

/// A statement kept prepared by its SQL text; see [`ReuseStatement`].
#[derive(Debug, Clone, Copy)]
#[must_use = "a statement runs only when it is executed or loaded"]
pub struct Reused<Q> {
    query: Q,
    reuse: bool,
}

/// Marks a statement whose SQL takes only a few shapes as worth keeping
/// prepared (see the module's documentation).
pub trait ReuseStatement: Sized {
    /// This statement, kept prepared by its SQL text.
    fn reuse_statement(self) -> Reused<Self> {
        Reused { query: self, reuse: true }
    }

    /// This statement, kept prepared only if `bounded` (an `IN` list no
    /// longer than [`SHORT_IN_LIST`], say); otherwise as diesel decides.
    fn reuse_statement_if(self, bounded: bool) -> Reused<Self> {
        Reused { query: self, reuse: bounded }
    }
}

impl<Q> ReuseStatement for Q {}

impl<Q, DB> QueryFragment<DB> for Reused<Q>
where
    Q: QueryFragment<DB>,
    DB: Backend,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(pass)
    }

    // The one decision this type changes. The cache key stays the SQL text
    // (the query id below is not static), so each shape has its own statement.
    fn is_safe_to_cache_prepared(&self, backend: &DB) -> QueryResult<bool> {
        if self.reuse { Ok(true) } else { self.query.is_safe_to_cache_prepared(backend) }
    }
}

impl<Q> QueryId for Reused<Q> {
    type QueryId = ();

    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Reused<Q> {
    type SqlType = Q::SqlType;
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use diesel::{
        connection::{Instrumentation, InstrumentationEvent},
        prelude::*,
    };
    use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};

    use super::ReuseStatement;
    use crate::db::SqliteConn;

    diesel::table! {
        items (id) {
            id -> Text,
            quantity -> Integer,
            note -> Nullable<Text>,
        }
    }

    #[derive(AsChangeset)]
    #[diesel(table_name = items)]
    struct ItemChanges {
        quantity: Option<i32>,
        note: Option<Option<String>>,
    }

    /// The SQL of every statement the connection put in its cache.
    #[derive(Default, Clone)]
    struct Cached(Arc<Mutex<Vec<String>>>);

    impl Instrumentation for Cached {
        fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                self.0.lock().unwrap().push(sql.to_owned());
            }
        }
    }

    async fn connection(cached: &Cached) -> SqliteConn {
        let mut conn = SqliteConn::establish(":memory:").await.unwrap();
        conn.batch_execute("CREATE TABLE items (id TEXT PRIMARY KEY, quantity INTEGER NOT NULL, note TEXT)")
            .await
            .unwrap();
        conn.batch_execute("INSERT INTO items VALUES ('a', 1, NULL), ('b', 2, NULL)").await.unwrap();
        conn.set_instrumentation(cached.clone());
        conn
    }

    async fn update(conn: &mut SqliteConn, id: &str, changes: &ItemChanges, reuse: bool) -> usize {
        let query = diesel::update(items::table.find(id.to_owned())).set(changes);
        if reuse { query.reuse_statement().execute(conn).await } else { query.execute(conn).await }.unwrap()
    }

    #[tokio::test]
    async fn an_update_is_prepared_once_per_shape() {
        let cached = Cached::default();
        let mut conn = connection(&cached).await;
        let quantity = |q| ItemChanges { quantity: Some(q), note: None };
        for (id, q) in [("a", 5), ("b", 6), ("a", 7)] {
            assert_eq!(update(&mut conn, id, &quantity(q), true).await, 1);
        }
        let both = ItemChanges { quantity: Some(8), note: Some(Some("gift".into())) };
        assert_eq!(update(&mut conn, "b", &both, true).await, 1);
        assert_eq!(update(&mut conn, "a", &both, true).await, 1);

        let sqls = cached.0.lock().unwrap().clone();
        assert_eq!(sqls.len(), 2, "one statement per changeset shape: {sqls:?}");
        assert!(sqls[0].contains("`quantity` = ?") && !sqls[0].contains("`note`"), "{sqls:?}");
        assert!(sqls[1].contains("`note` = ?"), "{sqls:?}");
        // Each run bound its own values to the shared statement.
        let rows: Vec<(String, i32, Option<String>)> = items::table.order(items::id).load(&mut conn).await.unwrap();
        assert_eq!(rows, [("a".into(), 8, Some("gift".into())), ("b".into(), 8, Some("gift".into()))]);
    }

    #[tokio::test]
    async fn without_it_diesel_prepares_every_update_afresh() {
        let cached = Cached::default();
        let mut conn = connection(&cached).await;
        for q in [5, 6] {
            assert_eq!(update(&mut conn, "a", &ItemChanges { quantity: Some(q), note: None }, false).await, 1);
        }
        assert!(cached.0.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_in_list_is_prepared_once_per_length() {
        let cached = Cached::default();
        let mut conn = connection(&cached).await;
        for ids in [vec!["a"], vec!["b"], vec!["a", "b"], vec!["b", "a"]] {
            let found: Vec<String> = items::table
                .filter(items::id.eq_any(&ids))
                .select(items::id)
                .reuse_statement()
                .load(&mut conn)
                .await
                .unwrap();
            assert_eq!(found.len(), ids.len());
        }
        assert_eq!(cached.0.lock().unwrap().len(), 2);
        let long: Vec<String> = items::table
            .filter(items::id.eq_any(["a", "b", "c"]))
            .select(items::id)
            .reuse_statement_if(false)
            .load(&mut conn)
            .await
            .unwrap();
        assert_eq!(long.len(), 2);
        assert_eq!(cached.0.lock().unwrap().len(), 2, "a list not known to be short is not kept");
    }
}
