//! What every shop service shares, so that each service crate holds only its
//! own domain: configuration, telemetry, auth, the database layer, gRPC server
//! and client bootstrap, and shutdown.

pub mod admin;
pub mod auth;
pub mod component;
pub mod config;
pub mod db;
pub mod exit;
pub mod failure;
pub mod grpc;
pub mod inbox;
pub mod listen;
pub mod metrics;
pub mod nats;
pub mod outbox;
pub mod pagination;
pub mod periodic;
pub mod secret;
pub mod service;
pub mod shutdown;
pub mod telemetry;
pub mod time;
pub mod validation;

pub use secret::{Secret, SecretFileError};

// Every binary that links the runtime (each service, the edge, the launcher)
// allocates with mimalloc: glibc's malloc and its arena locks were a sixth of
// the products service's CPU under load (see README, "Performance").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
pub use shutdown::Shutdown;
