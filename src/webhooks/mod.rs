//! Webhook subscriptions and their deliveries (Standard Webhooks): customers' URLs receive
//! signed events, queued in the transaction that publishes each event and sent by the worker.

pub mod delivery;
pub mod destination;
pub mod error;
pub mod metrics;
pub mod model;
pub mod pages;
pub mod repo;
pub mod routes;
pub mod sealing;
pub mod service;
pub mod signing;
pub mod subscriber;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, OnceCell};

use crate::config::WebhookSettings;
use crate::db::{Database, DbConnection, StoreError};
use crate::events::Event;
pub use error::WebhookError;
use metrics::WebhookMetrics;
use sealing::SecretSealer;

/// What delivering webhooks needs on one instance: the settings, the secret sealer (loaded on
/// first use, since it may live in the database), the shared HTTP client and the metrics.
pub struct Webhooks {
    pub settings: WebhookSettings,
    sealer: OnceCell<SecretSealer>,
    client: reqwest::Client,
    /// Names this instance's leases on deliveries.
    worker_id: String,
    /// Wakes the worker when deliveries were queued outside a publishing change.
    wakeup: Notify,
    pub metrics: WebhookMetrics,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks").finish_non_exhaustive()
    }
}

impl Webhooks {
    pub fn new(settings: &WebhookSettings, metrics: WebhookMetrics) -> Self {
        Self {
            settings: settings.clone(),
            sealer: OnceCell::new(),
            client: destination::delivery_client(settings),
            worker_id: crate::values::new_id(),
            wakeup: Notify::new(),
            metrics,
        }
    }

    pub fn allow_private(&self) -> bool {
        self.settings.allow_private_destinations
    }

    /// The sealer, reading (or creating) its key the first time.
    pub async fn sealer(
        &self,
        db: &Database,
        now: DateTime<Utc>,
    ) -> Result<&SecretSealer, StoreError> {
        self.sealer
            .get_or_try_init(|| {
                let settings = self.settings.clone();
                db.run(move |conn| SecretSealer::load(conn, &settings, now))
            })
            .await
    }

    /// Lets the worker know that deliveries were just queued.
    pub fn deliveries_queued(&self) {
        self.wakeup.notify_one();
    }

    /// Resolves when deliveries were queued since the last call.
    pub async fn queued(&self) {
        self.wakeup.notified().await;
    }
}

/// Queues a delivery of `event` to every active subscription that wants its type, inside the
/// publishing transaction: the event and its deliveries commit together.
pub fn queue_deliveries(
    conn: &mut DbConnection,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for subscription in repo::active_subscriptions(conn)? {
        if subscription.selection().wants(&event.event_type) {
            repo::queue(conn, &subscription.id, event, now)?;
        }
    }
    Ok(())
}
