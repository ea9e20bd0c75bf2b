//! PostgreSQL variants of the tests exist only when a server is configured:
//! `SHOP_TEST_POSTGRES_URL=postgres://user@host/db` (a database to connect to
//! while creating one fresh database per test). `.ci/run` always sets it.

fn main() {
    // The same for NATS JetStream: `SHOP_TEST_NATS_URL=nats://127.0.0.1:4222`.
    println!("cargo::rustc-check-cfg=cfg(nats_tests)");
    println!("cargo::rerun-if-env-changed=SHOP_TEST_NATS_URL");
    if std::env::var_os("SHOP_TEST_NATS_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=nats_tests");
    }
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=SHOP_TEST_POSTGRES_URL");
    if std::env::var_os("SHOP_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
