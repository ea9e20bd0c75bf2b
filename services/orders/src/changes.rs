//! Word, inside this process, that an order changed: what wakes WatchOrder
//! streams and checkouts waiting on another call's saga at once (changes made
//! by other replicas are found by polling).

use tokio::sync::broadcast;

/// Tells watchers in this process that an order changed.
#[derive(Clone, Debug)]
pub struct EventBus {
    sender: broadcast::Sender<String>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { sender: broadcast::channel(1024).0 }
    }
}

impl EventBus {
    /// Order `order_id` changed.
    pub fn notify(&self, order_id: &str) {
        let _ = self.sender.send(order_id.to_owned());
    }

    /// A receiver of every order's changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.sender.subscribe()
    }
}

/// Resolves when `order_id` changes (or when changes may have been missed).
pub async fn changed(changes: &mut broadcast::Receiver<String>, order_id: &str) {
    loop {
        match changes.recv().await {
            Ok(id) if id != order_id => continue,
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => return std::future::pending().await,
        }
    }
}
