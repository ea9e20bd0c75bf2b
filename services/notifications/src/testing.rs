//! A narrow API for tests in other crates (the `test-support` feature).
#![cfg(feature = "test-support")]

use diesel_async::RunQueryDsl;
use shop_runtime::{db::Db, db_run};

use crate::{Config, schema::consumer_positions};

/// Forgets where the consumer is in every feed, as if it had never read
/// one: each event is delivered again (call it while the service is stopped).
pub async fn rewind_feeds(config: &Config) -> anyhow::Result<usize> {
    let db = Db::connect(&config.database).await?;
    let mut conn = db.conn().await?;
    Ok(db_run!(&mut conn, |c| diesel::delete(consumer_positions::table).execute(c).await)?)
}
