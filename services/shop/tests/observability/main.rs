//! The real `shop` binary, every component its own process, exporting to a
//! test OTLP collector: one checkout (GraphQL, REST, or continuing the
//! client's own trace) is one trace through every service, and the JSON logs
//! of all of it carry trace ids and none of the secrets.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../launch/mod.rs"]
mod launch;
mod mesh;
mod traces;
