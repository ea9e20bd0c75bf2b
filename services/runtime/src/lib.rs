//! What every shop service shares, so that each service crate holds only its
//! own domain: configuration, telemetry, auth, the database layer, gRPC server
//! and client bootstrap, and shutdown.

pub mod admin;
pub mod auth;
pub mod card;
pub mod config;
pub mod db;
pub mod exit;
pub mod grpc;
pub mod listen;
pub mod metrics;
pub mod pagination;
pub mod secret;
pub mod shutdown;
pub mod telemetry;
pub mod time;
pub mod validation;

pub use secret::{Secret, SecretFileError};
pub use shutdown::Shutdown;
