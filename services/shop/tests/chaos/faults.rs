//! The faults: a process killed and restarted, a process frozen for longer
//! than every deadline and then resumed, and a database out of reach.

use std::time::Duration;

use diesel_async::SimpleAsyncConnection;
use integration_tests::Backend;
use shop_runtime::{
    config::DatabaseConfig,
    db::{Db, DbConn},
};

use crate::mesh::{CALL_TIMEOUT, Mesh, REQUEST_DEADLINE};

/// One kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// SIGKILL, then started again.
    Kill,
    /// SIGSTOP for longer than the edge's deadline and any call's timeout, then SIGCONT.
    Freeze,
    /// Its database unreachable for 5 s (PostgreSQL refuses connections and
    /// drops its sessions; a SQLite file is locked for writing).
    DatabaseOutage,
}

const FREEZE_FOR: Duration = Duration::from_millis(3500);
const OUTAGE_FOR: Duration = Duration::from_secs(5);

impl Fault {
    /// The faults that apply to `component`.
    pub fn for_component(component: &str) -> &'static [Fault] {
        if component == "edge" {
            &[Fault::Kill, Fault::Freeze]
        } else {
            &[Fault::Kill, Fault::Freeze, Fault::DatabaseOutage]
        }
    }

    /// Puts this fault into `component` and clears it again.
    pub async fn inject(self, mesh: &mut Mesh, component: &'static str) {
        assert!(FREEZE_FOR > REQUEST_DEADLINE && FREEZE_FOR > CALL_TIMEOUT);
        match self {
            Fault::Kill => {
                let process = mesh.components.get_mut(component).unwrap();
                process.kill();
                tokio::time::sleep(Duration::from_millis(300)).await;
                process.start().await;
            }
            Fault::Freeze => {
                let process = &mesh.components[component];
                process.freeze();
                tokio::time::sleep(FREEZE_FOR).await;
                process.thaw();
                process.wait_serving().await;
            }
            Fault::DatabaseOutage => match mesh.databases.backend() {
                Backend::Postgres => {
                    mesh.databases.set_connectable(component, false).await;
                    tokio::time::sleep(OUTAGE_FOR).await;
                    mesh.databases.set_connectable(component, true).await;
                }
                Backend::Sqlite => {
                    let db = Db::connect(&DatabaseConfig::new(mesh.database_urls[component].clone())).await.unwrap();
                    let mut lock = db.conn().await.unwrap();
                    execute(&mut lock, "BEGIN EXCLUSIVE").await;
                    tokio::time::sleep(OUTAGE_FOR).await;
                    execute(&mut lock, "ROLLBACK").await;
                }
            },
        }
    }
}

async fn execute(conn: &mut DbConn, sql: &str) {
    shop_runtime::db_run!(conn, |c| c.batch_execute(sql).await).unwrap();
}
