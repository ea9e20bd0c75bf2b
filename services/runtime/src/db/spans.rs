//! Spans for database work: one per transaction (INFO) and one per statement
//! (DEBUG, named `<operation> <table>` after OpenTelemetry's database
//! conventions).
//! Only the statement's kind and table are recorded, never its text with
//! values or its parameters.
//!
//! Diesel reports each statement and transaction to the connection's
//! [`Instrumentation`]; a [`QuerySpans`] is installed on every connection
//! handed out by the pool, under the span that was current at checkout, so
//! statements nest under the RPC that ran them even when SQLite runs them on a
//! blocking thread. When the connection goes back to the pool its
//! [`SpansGuard`] lets go of them: an idle connection must not keep a
//! finished request's span open, nor record the pool's liveness check of it
//! into that request's trace.

use std::{
    fmt::{self, Write as _},
    sync::{Arc, Mutex, MutexGuard},
};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use tracing::{Level, Span, field::Empty, metadata::Kind};

use super::Backend;

/// The statement-level span recorder of one checked-out connection.
#[derive(Debug)]
pub(crate) struct QuerySpans {
    parent: Span,
    system: &'static str,
    transaction: Option<Span>,
    transaction_ending: bool,
    statement: Option<Span>,
}

impl QuerySpans {
    /// Records under `parent` (nothing when it is disabled: work outside any
    /// traced operation, such as migrations at start-up).
    pub(crate) fn under(parent: Span, backend: Backend) -> Self {
        let system = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        };
        Self { parent, system, transaction: None, transaction_ending: false, statement: None }
    }

    /// The instrumentation to install on the connection, and its guard.
    pub(crate) fn attach(self) -> (AttachedSpans, SpansGuard) {
        let shared = Arc::new(Mutex::new(Some(self)));
        (AttachedSpans(shared.clone()), SpansGuard(shared))
    }

    fn current_parent(&self) -> &Span {
        self.transaction.as_ref().unwrap_or(&self.parent)
    }
}

type Shared = Arc<Mutex<Option<QuerySpans>>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Option<QuerySpans>> {
    shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the connection reports to while checked out.
#[derive(Debug)]
pub(crate) struct AttachedSpans(Shared);

/// Held with the checked-out connection; dropping it detaches the spans.
#[derive(Debug)]
pub(crate) struct SpansGuard(Shared);

impl Drop for SpansGuard {
    fn drop(&mut self) {
        lock(&self.0).take();
    }
}

impl Instrumentation for AttachedSpans {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let Some(spans) = lock(&self.0).as_mut() {
            spans.record(event);
        }
    }
}

impl QuerySpans {
    fn record(&mut self, event: InstrumentationEvent<'_>) {
        if self.parent.is_disabled() {
            return;
        }
        match event {
            InstrumentationEvent::BeginTransaction { depth, .. } if depth.get() == 1 => {
                self.transaction_ending = false;
                self.transaction = Some(tracing::info_span!(
                    parent: &self.parent,
                    "db.transaction",
                    otel.name = "transaction",
                    otel.kind = "client",
                    db.system.name = self.system,
                    db.transaction.outcome = Empty,
                ));
            }
            InstrumentationEvent::CommitTransaction { depth, .. } if depth.get() == 1 => {
                self.end_transaction("commit");
            }
            InstrumentationEvent::RollbackTransaction { depth, .. } if depth.get() == 1 => {
                self.end_transaction("rollback");
            }
            InstrumentationEvent::StartQuery { query, .. } => {
                // DEBUG: most traces want transactions, not every statement,
                // and a statement nobody records costs nothing, not even
                // printing it to name its span.
                if !tracing::enabled!(kind: Kind::SPAN, Level::DEBUG) {
                    return;
                }
                let sql = statement_head(query);
                let Some((operation, table)) = summarize(&sql) else { return };
                let name = match &table {
                    Some(table) => format!("{operation} {table}"),
                    None => operation.to_owned(),
                };
                self.statement = Some(tracing::debug_span!(
                    parent: self.current_parent(),
                    "db.statement",
                    otel.name = %name,
                    otel.kind = "client",
                    otel.status_code = Empty,
                    db.system.name = self.system,
                    db.operation.name = %operation,
                    db.collection.name = table.as_deref(),
                ));
            }
            InstrumentationEvent::FinishQuery { error, .. } => {
                if let Some(span) = self.statement.take()
                    && error.is_some()
                {
                    span.record("otel.status_code", "ERROR");
                }
                // The COMMIT or ROLLBACK itself has finished: the transaction is over.
                if std::mem::take(&mut self.transaction_ending) {
                    self.transaction = None;
                }
            }
            _ => {}
        }
    }
}

impl QuerySpans {
    // The span stays open until the COMMIT / ROLLBACK statement has run, so it
    // covers the time that statement takes.
    fn end_transaction(&mut self, outcome: &'static str) {
        if let Some(span) = &self.transaction {
            span.record("db.transaction.outcome", outcome);
            self.transaction_ending = true;
        }
    }
}

/// The SQL of a statement without its bind values: diesel prints a query as
/// `<sql> -- binds: [...]`, and formatting stops before the binds.
fn statement_head(query: &dyn fmt::Display) -> String {
    struct UntilBinds(String);
    impl fmt::Write for UntilBinds {
        fn write_str(&mut self, text: &str) -> fmt::Result {
            match text.find(" -- binds: ") {
                Some(at) => {
                    self.0.push_str(&text[..at]);
                    Err(fmt::Error)
                }
                None => {
                    self.0.push_str(text);
                    Ok(())
                }
            }
        }
    }
    let mut head = UntilBinds(String::new());
    // The error only means formatting stopped at the binds.
    let _ = write!(head, "{query}");
    head.0
}

/// `(operation, table)` of a statement, e.g. `("UPDATE", Some("products"))`;
/// `None` for transaction control, which the transaction span covers.
fn summarize(sql: &str) -> Option<(String, Option<String>)> {
    let mut words = sql.split_whitespace();
    let operation = words.next()?.to_ascii_uppercase();
    if matches!(operation.as_str(), "BEGIN" | "COMMIT" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" | "END") {
        return None;
    }
    let before_table = match operation.as_str() {
        "INSERT" => "INTO",
        "UPDATE" => "UPDATE",
        _ => "FROM",
    };
    let mut words = sql.split_whitespace().skip_while(|word| !word.eq_ignore_ascii_case(before_table));
    let table = words.nth(1).map(|word| {
        let name = word.trim_matches(|c: char| c == '"' || c == '`' || c == '(' || c == ')' || c == ',' || c == ';');
        name.rsplit('.').next().unwrap_or(name).trim_matches('"').to_owned()
    });
    Some((operation, table.filter(|t| !t.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Printed(&'static str);
    impl fmt::Display for Printed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{} -- binds: {:?}", self.0, ["4242424242424242", "hunter22"])
        }
    }

    #[test]
    fn binds_are_never_formatted() {
        let head = statement_head(&Printed(r#"UPDATE "products" SET "reserved" = $1 WHERE "id" = $2"#));
        assert_eq!(head, r#"UPDATE "products" SET "reserved" = $1 WHERE "id" = $2"#);
    }

    #[test]
    fn statements_are_named_by_operation_and_table() {
        let cases = [
            (r#"SELECT "orders"."id", "orders"."status" FROM "orders" WHERE "orders"."id" = $1"#, "SELECT", "orders"),
            (r#"INSERT INTO "order_events" ("id", "order_id") VALUES ($1, $2)"#, "INSERT", "order_events"),
            (r#"UPDATE `products` SET `reserved` = ?"#, "UPDATE", "products"),
            (r#"DELETE FROM "cart_lines" WHERE "user_id" = ?"#, "DELETE", "cart_lines"),
            (r#"SELECT COUNT(*) FROM "public"."users""#, "SELECT", "users"),
        ];
        for (sql, operation, table) in cases {
            assert_eq!(summarize(sql), Some((operation.to_owned(), Some(table.to_owned()))), "{sql}");
        }
        assert_eq!(summarize("SELECT 1"), Some(("SELECT".to_owned(), None)));
        assert_eq!(summarize("BEGIN IMMEDIATE"), None);
        assert_eq!(summarize("COMMIT"), None);
        assert_eq!(summarize("SAVEPOINT diesel_savepoint_1"), None);
    }
}
