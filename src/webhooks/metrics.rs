//! Webhook deliveries as `/metrics` shows them.

use prometheus::{IntCounter, IntGauge, Registry};

/// Deliveries waiting, and what this instance's attempts came to since it started.
#[derive(Clone)]
pub struct WebhookMetrics {
    /// Deliveries waiting for an attempt, first or retry.
    pub waiting: IntGauge,
    pub delivered: IntCounter,
    /// Deliveries given up on after the last attempt of the schedule.
    pub failed: IntCounter,
    pub failed_attempts: IntCounter,
}

impl WebhookMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let metrics = Self {
            waiting: IntGauge::new(
                "convene_webhook_deliveries_pending",
                "Webhook deliveries waiting for their first attempt or a retry",
            )?,
            delivered: IntCounter::new(
                "convene_webhook_deliveries_delivered_total",
                "Webhook deliveries a destination took (a 2xx answer)",
            )?,
            failed: IntCounter::new(
                "convene_webhook_deliveries_failed_total",
                "Webhook deliveries given up on after every attempt of the schedule failed",
            )?,
            failed_attempts: IntCounter::new(
                "convene_webhook_attempts_failed_total",
                "Webhook delivery attempts that failed (each retried or given up on)",
            )?,
        };
        registry.register(Box::new(metrics.waiting.clone()))?;
        registry.register(Box::new(metrics.delivered.clone()))?;
        registry.register(Box::new(metrics.failed.clone()))?;
        registry.register(Box::new(metrics.failed_attempts.clone()))?;
        Ok(metrics)
    }
}
