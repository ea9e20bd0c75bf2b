//! The mesh's end-to-end tests, one module per area, linked into one test
//! binary: every module shares one build and one link of the whole mesh
//! instead of paying for both per file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod abandoned_checkouts;
mod abuse_limits;
mod bad_tokens;
mod cart;
mod catalog_admin;
mod catalog_listing;
mod checkout;
mod checkout_concurrency;
mod deadlines;
mod edge_platform;
mod events;
mod health;
mod hop_latency;
mod live_status;
mod mail_delivery;
mod metrics;
mod nats_transport;
mod notifications;
mod payments;
mod pool_checkouts;
mod recovery;
mod response_cache;
mod service_tokens;
mod stock_reservations;
mod users_graphql;
mod users_grpc;
mod users_rest;
