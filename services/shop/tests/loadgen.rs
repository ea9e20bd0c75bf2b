//! The load generator's smoke run: the bench's whole profile, one second a
//! step, against a mesh the bench starts from this build's `shop` launcher,
//! on SQLite and on PostgreSQL; then the comparison of two builds (this one
//! twice) on SQLite. Every request must succeed; the figures are
//! not judged here (`make bench` prints them from a release build).

#![allow(clippy::unwrap_used)]

use shop_loadgen::bench::{self, BenchArgs};

async fn smoke_run(port: u16, postgres: Option<String>) {
    let out = tempfile::tempdir().unwrap();
    // Two rounds of the compared steps: the ratios' steps take turns, and
    // the load generator switches between the two trace meshes and back.
    let args = BenchArgs {
        shop: env!("CARGO_BIN_EXE_shop").into(),
        seconds: 1,
        port,
        rounds: 2,
        out: out.path().into(),
        postgres,
        against: None,
    };
    let report = bench::run(args).await.unwrap();
    assert!(report.requests > 100, "the profile sent requests: {report:?}");
    assert_eq!(report.failures, 0, "no request failed: {report:?}");
    // The traced rounds' requests each make a span at least, all flushed
    // when the traced mesh stops.
    assert!(report.spans_exported > 100, "the collector counted the exported spans: {report:?}");
    assert!(out.path().join("bench.json").exists(), "the figures were written for machines");
    assert!(out.path().join("checkout-32.html").exists(), "each step has its HTML report");
    for round in 1..=2 {
        let report = out.path().join(format!("graphql-page-32-ratio-{round}.html"));
        assert!(report.exists(), "each ratio round has its report: {}", report.display());
    }
    for arm in ["untraced", "traced"] {
        for round in 1..=2 {
            let report = out.path().join(format!("checkout-32-{arm}-{round}.html"));
            assert!(report.exists(), "each trace-export round has its report: {}", report.display());
        }
    }
}

/// `bench --against`: this build against itself, side by side, one second
/// a round, the meshes' places swapped for the second; every round of every
/// step on each mesh writes its report.
async fn comparison_smoke_run(port: u16) {
    let out = tempfile::tempdir().unwrap();
    let shop: std::path::PathBuf = env!("CARGO_BIN_EXE_shop").into();
    let args = BenchArgs {
        shop: shop.clone(),
        seconds: 1,
        port,
        rounds: 2,
        out: out.path().into(),
        postgres: None,
        against: Some(shop),
    };
    let report = bench::run(args).await.unwrap();
    assert!(report.requests > 100, "the comparison sent requests: {report:?}");
    assert_eq!(report.failures, 0, "no request failed: {report:?}");
    assert!(out.path().join("compare.json").exists(), "the figures were written for machines");
    for arm in ["before", "after"] {
        for round in 1..=2 {
            let report = out.path().join(format!("checkout-32-{arm}-{round}.html"));
            assert!(report.exists(), "each round on each build has its report: {}", report.display());
        }
    }
    // The second round ran with the meshes' places swapped: "before" first
    // on the ports below the bench's, then on the bench's own.
    let edge_of = |log: &str| {
        let log = std::fs::read_to_string(out.path().join(log)).unwrap();
        let line = log.lines().find(|line| line.contains("edge listening")).map(str::to_owned);
        line.unwrap_or_else(|| panic!("the edge said where it listens: {log}"))
    };
    assert!(edge_of("mesh-before.log").contains(&format!("127.0.0.1:{}", port - 100)));
    assert!(edge_of("mesh-before-swapped.log").contains(&format!("127.0.0.1:{port}")));
    assert!(edge_of("mesh-after-swapped.log").contains(&format!("127.0.0.1:{}", port - 100)));
}

// One test, the backends one after the other: the load generator keeps the
// mesh it drives (its products and customers) process-wide, as goose's
// transactions need it, so two bench runs in one process cannot overlap.
// Ports below the ephemeral range, away from the launcher tests' ports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bench_profile_runs_against_fresh_meshes_without_a_failed_request() {
    smoke_run(23080, None).await;
    #[cfg(postgres_tests)]
    smoke_run(23180, Some(std::env::var("SHOP_TEST_POSTGRES_URL").unwrap())).await;
    comparison_smoke_run(23380).await;
}
