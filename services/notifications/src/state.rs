//! The notifications service's state: what its RPCs, its consumer and its
//! delivery rounds share.

use std::sync::Arc;

use shop_runtime::{auth::TokenVerifier, db::Db};
use tokio::sync::Notify;

use crate::{
    clients::Clients, mailer::Mailer, metrics::NotificationMetrics, positions::StoredPositions, templates::Templates,
};

/// Built once at start-up, cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// Verifies access tokens.
    pub verifier: TokenVerifier,
    /// Users (addresses) and the producers' feeds.
    pub clients: Clients,
    /// The mails' templates.
    pub templates: Templates,
    /// Where mails go.
    pub mailer: Mailer,
    /// How sending is retried.
    pub delivery: Delivery,
    /// NATS JetStream, when events come over it.
    pub nats: shop_runtime::config::NatsConfig,
    /// Counts and lag.
    pub metrics: NotificationMetrics,
    /// Wakes the delivery rounds when mails are recorded.
    pub recorded: Arc<Notify>,
    /// The feed positions stored, so that events that record nothing need
    /// not each write theirs.
    pub positions: Arc<StoredPositions>,
}

/// How sending is retried.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    /// Attempts before a mail is dead-lettered.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles.
    pub first_retry: std::time::Duration,
    /// How long one attempt holds a mail against other senders.
    pub claim: std::time::Duration,
}
