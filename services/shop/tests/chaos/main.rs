//! The fault matrix: the mesh as real processes (`shop serve <component>`,
//! one each), a storefront workload running throughout, and, one after the
//! other, every fault on every component: SIGKILL and restart, SIGSTOP past
//! every deadline then SIGCONT, and (for each service) its database out of
//! reach for 5 s. `mails` SIGKILLs the notifications service mid-burst. When the faults stop and one lease period plus the
//! recovery interval has passed, every invariant in `invariants` is checked.
//!
//! CI runs one round on each backend (`CHAOS_ROUNDS`, 1; `CHAOS_CUSTOMERS`,
//! 4); `make chaos` runs a longer profile. The backends take turns: two
//! meshes of six processes and their workloads on two cores would test the
//! machine's scheduler more than the mesh.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../launch/mod.rs"]
#[allow(dead_code, reason = "the chaos mesh takes only free ports from it")]
mod launch;

#[path = "../processes/mod.rs"]
mod mesh;

mod faults;
mod invariants;
mod mails;
mod workload;

use std::time::{Duration, Instant};

use integration_tests::Backend;

use crate::{
    faults::Fault,
    mesh::{COMPONENTS, Mesh, RECOVERY_INTERVAL, SAGA_LEASE},
    workload::{Catalog, Workload},
};

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One fault matrix at a time.
pub(crate) static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn fault_matrix(backend: Backend) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (rounds, customers) = (setting("CHAOS_ROUNDS", 1), setting("CHAOS_CUSTOMERS", 4));
    let mut mesh = Mesh::start(backend).await;
    let admin = workload::admin_token(&mesh).await;
    let catalog = Catalog::create(&mesh, &admin).await;
    let workload = Workload::start(&mesh, &catalog, admin.clone(), customers).await;
    let started = Instant::now();

    let mut injected = 0;
    for round in 1..=rounds {
        for component in COMPONENTS {
            for fault in Fault::for_component(component) {
                let at = started.elapsed();
                fault.inject(&mut mesh, component).await;
                injected += 1;
                println!("round {round}: {fault:?} on {component} at {:.1} s, cleared", at.as_secs_f64());
                // Some calm between faults, for the workload to get through.
                tokio::time::sleep(Duration::from_millis(700)).await;
            }
        }
    }
    let record = workload.stop().await;
    // Every abandoned checkout is picked up within a lease and a recovery round.
    tokio::time::sleep(SAGA_LEASE + RECOVERY_INTERVAL + Duration::from_secs(2)).await;

    let admin = workload::admin_token(&mesh).await;
    let report = invariants::check(&mesh, &catalog, &record, &admin).await;
    let placed: usize = report.orders_by_status.values().sum();
    println!(
        "chaos on {backend:?}: {placed} orders placed {:?} from {} checkouts sent ({} answered), {} cancels, {} cart edits, \
         {} stock adjustments, {} requests failed; {injected} faults injected over {:.0} s; violations found: {}",
        report.orders_by_status,
        record.checkouts.len(),
        record.answered,
        record.cancelled,
        record.cart_edits,
        record.adjustments.len(),
        record.failures,
        started.elapsed().as_secs_f64(),
        report.violations.len(),
    );
    if !report.violations.is_empty() {
        let kept = keep_logs(&mesh, backend);
        panic!("violations (the processes' logs are kept in {}):\n{}", kept.display(), report.violations.join("\n"));
    }
    assert!(placed > 0, "the workload placed orders");
}

/// Copies the processes' logs out of the mesh's directory (removed with it)
/// into `target/tmp/chaos-logs/`.
fn keep_logs(mesh: &Mesh, backend: Backend) -> std::path::PathBuf {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let kept = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("chaos-logs/{backend:?}-{stamp}"));
    std::fs::create_dir_all(&kept).unwrap();
    for entry in std::fs::read_dir(mesh.dir()).unwrap().flatten() {
        if entry.path().extension().is_some_and(|e| e == "log") {
            std::fs::copy(entry.path(), kept.join(entry.file_name())).unwrap();
        }
    }
    kept
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    fault_matrix(Backend::Sqlite).await;
}

#[cfg(postgres_tests)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    fault_matrix(Backend::Postgres).await;
}
