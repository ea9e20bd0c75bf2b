//! The shop mesh's gRPC contracts.
//!
//! Generated once from `proto/shop/**`; every other crate imports messages,
//! clients and servers from here, never from its own build script.
//!
//! ```
//! use shop_proto::users::v1::{user_service_client::UserServiceClient, LoginRequest};
//! let _ = LoginRequest { email: "a@example.com".into(), password: "secret".into() };
//! ```

// Generated code is not ours to lint.
#![allow(clippy::all, clippy::pedantic, missing_docs, missing_debug_implementations)]

include!(concat!(env!("OUT_DIR"), "/shop.rs"));

pub use shop::*;

/// The encoded `FileDescriptorSet` of every shop contract, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("shop_descriptor");
