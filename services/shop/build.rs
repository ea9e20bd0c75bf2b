//! PostgreSQL variants of the tests exist only when a server is configured:
//! `SHOP_TEST_POSTGRES_URL=postgres://user@host/db` (a database to connect to
//! while creating one fresh database per test). `.ci/run` always sets it.
//!
//! A release build of `shop` is linked with the functions the mesh runs
//! first, in `link-order.txt` (README "Performance", "Code paged in").

use std::{path::Path, process::Command};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=SHOP_TEST_POSTGRES_URL");
    if std::env::var_os("SHOP_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
    link_in_order();
}

/// Each component maps the pages of `shop` its code runs in, and the kernel
/// maps 64 KiB around each page it faults in: scattered over the 21 MB of
/// code, the 4 MB a component runs kept 12 MiB of it resident. Listed first,
/// they keep about 4 MiB. Only for release builds (`dist` inherits
/// `release`), and only where the linker is LLD, the one that reads an
/// ordering file: Rust's own since 1.90 on x86-64 Linux. A symbol the file
/// names that the build does not have (it came from other code or another
/// toolchain) is skipped without a word: a stale file costs memory, not the
/// build. `make link-order` writes it afresh.
fn link_in_order() {
    let order = Path::new("link-order.txt");
    println!("cargo::rerun-if-changed={}", order.display());
    let release = std::env::var("PROFILE").is_ok_and(|profile| profile == "release");
    let target = std::env::var("TARGET").unwrap_or_default();
    if !release || target != "x86_64-unknown-linux-gnu" || !order.exists() || !rustc_links_with_lld() {
        return;
    }
    let order = std::fs::canonicalize(order).unwrap_or_else(|_| order.to_path_buf());
    println!("cargo::rustc-link-arg-bin=shop=-Wl,--symbol-ordering-file={}", order.display());
    println!("cargo::rustc-link-arg-bin=shop=-Wl,--no-warn-symbol-ordering");
}

/// Whether this rustc is 1.90 or later, which links with its bundled LLD.
fn rustc_links_with_lld() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(output) = Command::new(rustc).arg("--version").output() else { return false };
    let version = String::from_utf8_lossy(&output.stdout);
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let mut numbers = version.split_whitespace().nth(1).unwrap_or_default().split('.');
    let major: u32 = numbers.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let minor: u32 = numbers.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    (major, minor) >= (1, 90)
}
