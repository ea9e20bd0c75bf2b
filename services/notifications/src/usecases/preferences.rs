//! Customers' choices of what they receive.

use shop_runtime::time;

use crate::{AppState, domain::Preferences, error::Error, store};

/// `user_id`'s choices, if they made any.
pub async fn of(state: &AppState, user_id: &str) -> Result<Option<Preferences>, Error> {
    let stored = store::shipping_updates(&mut state.db.conn().await?, user_id).await?;
    Ok(stored.map(|shipping_updates| Preferences { shipping_updates }))
}

/// Stores `user_id`'s choices.
pub async fn set(state: &AppState, user_id: &str, preferences: Preferences) -> Result<Preferences, Error> {
    store::set_preferences(&mut state.db.conn().await?, user_id, preferences.shipping_updates, time::now()).await?;
    Ok(preferences)
}
