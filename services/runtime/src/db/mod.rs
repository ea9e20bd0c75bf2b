//! The database: a pool for the backend chosen by the URL scheme, one
//! connection type that store functions take, a dispatch macro so each query
//! is written once for both backends, transactions, and embedded migrations.
//!
//! ```text
//! pub async fn find_user(conn: &mut DbConn, id: &str) -> QueryResult<Option<UserRow>> {
//!     db_run!(conn, |c| users::table.find(id).first(c).await.optional())
//! }
//! ```

mod busy;
mod checkpoint;
mod conn;
mod direct;
mod error;
mod inline;
mod metrics;
mod migrate;
mod pool;
mod recycle;
mod reuse;
mod spans;
mod url;
mod writer;

pub use busy::{BUSY_LIMIT, is_busy};
#[doc(hidden)]
pub use busy::{Backoff, pause};
pub use conn::{DbConn, PgConn, Pooled, SqliteConn, SqliteHandle};
pub use error::{DbError, is_unique_violation};
pub use inline::Inline;
pub use metrics::PoolGauges;
pub use migrate::Migrations;
pub use pool::{Backend, Db};
pub use recycle::{PgManager, PgObject, VERIFY_IDLE_AFTER};
pub use reuse::{ReuseStatement, Reused, SHORT_IN_LIST};
pub use url::DatabaseUrl;
pub use writer::{Writer, WriterTurn};

/// Runs the same diesel body against whichever backend `conn` holds.
///
/// `$conn` is a `&mut DbConn`; inside the body `$c` is a `&mut` concrete
/// connection, so each arm type-checks against its own backend. Import
/// `diesel_async::RunQueryDsl` explicitly where the macro is used. On SQLite
/// a body refused because another connection holds the write lock runs
/// again after a pause (see [`BUSY_LIMIT`]), so it must not consume what it
/// captures.
#[macro_export]
macro_rules! db_run {
    ($conn:expr, |$c:ident| $body:expr) => {{
        match $conn {
            $crate::db::DbConn::Sqlite(pooled) => {
                let mut backoff = $crate::db::Backoff::default();
                loop {
                    let $c: &mut $crate::db::SqliteConn = &mut **pooled;
                    let result = $body;
                    let Some(pause) = backoff.pause_after(&result) else { break result };
                    ::std::mem::drop(result);
                    $crate::db::pause(pause).await;
                }
            }
            $crate::db::DbConn::Postgres(pooled) => {
                let $c: &mut $crate::db::PgConn = &mut **pooled;
                $body
            }
        }
    }};
}
