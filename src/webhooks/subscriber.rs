//! Webhooks follow the event stream: each event becomes one delivery per subscription that
//! wants it, queued in the event's transaction.

use crate::db::DbConnection;
use crate::events::{Event, PublishError, Subscriber};

pub struct WebhookDeliveries;

impl Subscriber for WebhookDeliveries {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn on_event(&self, conn: &mut DbConnection, event: &Event) -> Result<(), PublishError> {
        Ok(super::queue_deliveries(conn, event, event.occurred_at)?)
    }
}
