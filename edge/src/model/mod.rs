//! The shapes clients see. Each type serves REST (snake_case JSON, in the
//! OpenAPI document) and GraphQL (camelCase) at once, so the two surfaces
//! cannot drift apart.

pub mod cart;
pub mod catalog;
pub mod money;
pub mod notifications;
pub mod orders;
pub mod users;
