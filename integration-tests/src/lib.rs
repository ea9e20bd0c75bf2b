//! Test support for the shop mesh: start the real mesh on ephemeral ports
//! with a fresh database per test, and talk to it over HTTP and gRPC.
//!
//! `mesh_tests!` turns each test into one variant per backend: `sqlite`
//! always, `postgres` when `SHOP_TEST_POSTGRES_URL` is set at build time.

// Test support fails by panicking, with a message.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod actors;
mod checkout;
pub mod collector;
mod database;
mod faults;
mod gate;
mod health;
mod http;
mod mailbox;
mod mesh;
mod smtp;
mod tcp_cut;
pub mod tokens;

pub use actors::{Account, bearer};
pub use checkout::{DECLINED_CARD, FLAKY_CARD, GOOD_CARD, NO_FUNDS_CARD, address, card, eventually};
pub use database::{Backend, TestDatabases};
pub use faults::{Outage, WriteLock};
pub use gate::Gate;
pub use health::health_of;
pub use http::{HttpClient, Reply};
pub use mailbox::{Mail, read_mails, wait_for_mails};
pub use mesh::{
    ADMIN_EMAIL, ADMIN_PASSWORD, CHARGE_CLAIM, GATED_CALL_TIMEOUT, GATED_SAGA_LEASE, MeshOptions, OrdersGates,
    RESERVATION_SWEEP, Running, SAGA_LEASE, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET, TestMesh, payments_config,
    start_payments, start_users, start_users_with,
};
pub use smtp::FakeSmtp;
pub use tcp_cut::TcpCut;

/// Declares tests that run against a fresh mesh on every configured backend:
///
/// ```text
/// mesh_tests! {
///     async fn registers(mesh) { mesh.http.post(...).await; }
/// }
/// ```
#[macro_export]
macro_rules! mesh_tests {
    ($($tests:tt)*) => { $crate::mesh_tests_with! { $crate::MeshOptions::default(); $($tests)* } };
}

/// Like [`mesh_tests!`], on a mesh started with [`TestMesh::start_gated`].
#[macro_export]
macro_rules! gated_mesh_tests {
    ($($tests:tt)*) => { $crate::mesh_tests_with! { $crate::MeshOptions::gated(); $($tests)* } };
}

/// Like [`mesh_tests!`], on a mesh whose events go over the NATS server at
/// `SHOP_TEST_NATS_URL` (the tests exist only when it is set at build time).
#[macro_export]
macro_rules! nats_mesh_tests {
    ($($tests:tt)*) => {
        #[cfg(nats_tests)]
        mod over_nats {
            #[allow(unused_imports)]
            use super::*;
            $crate::mesh_tests_with! { $crate::MeshOptions::over_nats($crate::nats_url()); $($tests)* }
        }
    };
}

/// The NATS server the tests use (`SHOP_TEST_NATS_URL`).
pub fn nats_url() -> String {
    std::env::var("SHOP_TEST_NATS_URL").expect("SHOP_TEST_NATS_URL is set for NATS tests")
}

/// Like [`mesh_tests!`], on a mesh started with the given [`MeshOptions`].
#[macro_export]
macro_rules! mesh_tests_with {
    ($options:expr; $(async fn $name:ident($mesh:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $mesh = $crate::TestMesh::start_with($crate::Backend::Sqlite, $options).await;
                $body
            }

            #[cfg(postgres_tests)]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let $mesh = $crate::TestMesh::start_with($crate::Backend::Postgres, $options).await;
                $body
            }
        }
    )*};
}

/// The deployment tests' tools, for the `deploy` test binary.
#[cfg(feature = "deploy")]
pub use {chromiumoxide, yaml_serde};
