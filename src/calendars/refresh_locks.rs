//! Token refreshes of one connection wait for each other within an instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One lock per connection, so an instance never refreshes the same grant twice at once
/// (Microsoft rotates refresh tokens: the second refresh would present a spent one).
#[derive(Default)]
pub struct RefreshLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl RefreshLocks {
    pub fn for_connection(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(id.to_owned()).or_default().clone()
    }
}
