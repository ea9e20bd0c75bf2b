//! The deployment as its users run it, checked with the tools they use.
//! Needs tools beyond the Rust toolchain (kubectl, docker-compose,
//! kubernetes-validate, grpcurl, Python's grpcio-tools, Chromium, and root
//! for a mount namespace): `make test-deploy` installs them and runs this.
//!
//! - `image`: the Dockerfile builds only what the binary is, runs as non-root.
//! - `compose`: docker-compose.yml validates and agrees with the code.
//! - `manifests`: both overlays render, validate against Kubernetes 1.30,
//!   and agree with the code and with the calls the mesh makes.
//! - `balancing`: one name, several products processes, an edge that
//!   follows them as they come and go.
//! - `grpcurl`, `python_client`: the contracts as outside tools see them.
//! - `browser`: GraphiQL and the REST reference in headless Chromium.
//! - `rest_contract`: schemathesis holds the REST API to its OpenAPI document.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../launch/mod.rs"]
mod launch;

mod balancing;
mod browser;
mod compose;
mod config;
mod grpcurl;
mod image;
mod manifests;
mod mesh;
mod network_policy;
#[path = "../processes/mod.rs"]
#[allow(dead_code, reason = "the REST contract needs only the mesh, not the fault settings")]
mod processes;
mod python_client;
mod rendered;
mod rest_contract;
mod tools;
